import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OPAQUE_SECRET, StackFileError, loadStackConfig } from "../../../cli/stack-config";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-stack-"));
    dirs.push(dir);
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
    return dir;
}

describe("loadStackConfig", () => {
    it("merges declared defaults under the stack's values, as the CLI does", () => {
        const dir = project({
            "Pulumi.yaml":
                "name: pg-platform\nruntime: nodejs\nconfig:\n  target:\n    type: string\n    default: docker\n  replicas:\n    type: integer\n    default: 0\n",
            "Pulumi.x.yaml": "config:\n  pg-platform:replicas: 2\n  pg-platform:postgres:\n    version: 17\n",
        });
        expect(loadStackConfig("x", dir)).toEqual({
            config: { "pg-platform:target": "docker", "pg-platform:replicas": "2", "pg-platform:postgres": '{"version":17}' },
            secretKeys: [],
        });
    });

    it("turns encrypted values into opaque secrets, nested ones too", () => {
        const dir = project({
            "Pulumi.yaml": "name: pg-platform\nruntime: nodejs\n",
            "Pulumi.x.yaml": "config:\n  pg-platform:token:\n    secure: v1:abc\n  pg-platform:aws:\n    key:\n      secure: v1:def\n    region: eu-west-1\n",
        });
        const { config, secretKeys } = loadStackConfig("x", dir);
        expect(config["pg-platform:token"]).toBe(OPAQUE_SECRET);
        expect(JSON.parse(config["pg-platform:aws"])).toEqual({ key: OPAQUE_SECRET, region: "eu-west-1" });
        expect(secretKeys).toEqual(["pg-platform:token", "pg-platform:aws"]);
        expect(JSON.stringify(config)).not.toContain("v1:");
    });

    it("fails clearly when the stack file is missing", () => {
        const dir = project({ "Pulumi.yaml": "name: pg-platform\nruntime: nodejs\n" });
        expect(() => loadStackConfig("nope", dir)).toThrow(/no stack file Pulumi\.nope\.yaml/);
    });
});

describe("loadStackConfig refuses a stack file it cannot read unambiguously, naming file and line", () => {
    const load = (yaml: string) => () => loadStackConfig("x", project({ "Pulumi.yaml": "name: pg-platform\nruntime: nodejs\n", "Pulumi.x.yaml": yaml }));

    it.each([
        ["a key given twice", "config:\n  pg-platform:target: docker\n  pg-platform:target: aws\n", /Pulumi\.x\.yaml:3: Map keys must be unique/],
        ["malformed YAML", "config:\n  pg-platform:postgres: [\n", /Pulumi\.x\.yaml:\d+: /],
        ["an alias", "config:\n  pg-platform:postgres: &a\n    version: 18\n  pg-platform:pooler: *a\n", /Pulumi\.x\.yaml:4: alias \*a/],
        ["a __proto__ key", "config:\n  pg-platform:postgres:\n    __proto__:\n      version: 3\n", /Pulumi\.x\.yaml:3: key "__proto__" is refused/],
        ["an unknown tag", "config:\n  pg-platform:replicas: !!js/undefined 3\n", /Pulumi\.x\.yaml:2: Unresolved tag/],
        ["a list as a key", "config:\n  ? [a, b]\n  : 1\n", /Pulumi\.x\.yaml:2: a list or mapping used as a key/],
        ["config that is not a mapping", "config: 5\n", /Pulumi\.x\.yaml:1: config: must be a mapping/],
        ["a file that is a list", "- a\n", /Pulumi\.x\.yaml:1: must be a mapping/],
    ])("%s", (_, yaml, message) => {
        expect(load(yaml)).toThrow(StackFileError);
        expect(load(yaml)).toThrow(message);
    });
});
