import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { afterAll, describe, expect, it } from "vitest";
import { exitCode, formatTree } from "../../../cli/check";
import { PROJECT_DIR } from "../../../cli/stack-config";
import { runUnderMocks } from "../../../cli/offline/harness";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A copy of the project's Pulumi.yaml beside one hand-written stack file. */
function projectWithStack(stack: string, yaml: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-check-"));
    dirs.push(dir);
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), yaml);
    return dir;
}

function check(args: string[]): { status: number | null; out: string } {
    const result = spawnSync(process.execPath, ["--import", "tsx", path.join(PROJECT_DIR, "cli/check.ts"), ...args], { encoding: "utf8", cwd: PROJECT_DIR });
    return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe("npm run check: configuration errors exit 2 before any resource exists", () => {
    it("names a fixed parameter (password_encryption: md5)", () => {
        const dir = projectWithStack("bad", "config:\n  pg-platform:postgres:\n    parameters:\n      password_encryption: md5\n");
        const { status, out } = check(["--stack", "bad", "--project-dir", dir]);
        expect(status).toBe(2);
        expect(out).toContain("pg-platform:postgres.parameters.password_encryption: is fixed by the platform");
    });

    it("reports a target's own refusals together, before any resource exists", () => {
        const dir = projectWithStack("old", "config:\n  pg-platform:postgres:\n    version: 15\n  pg-platform:image:\n    push: true\n");
        const { status, out } = check(["--stack", "old", "--project-dir", dir]);
        expect(status).toBe(2);
        expect(out).toContain("pg-platform:postgres.version: the platform image is PostgreSQL 18");
        expect(out).toContain("pg-platform:image.repository: required when image.push is true");
    });

    it("refuses a parameter the chosen major lacks in the config layer, naming it and the version", () => {
        const dir = projectWithStack("oldparam", "config:\n  pg-platform:postgres:\n    version: 15\n    parameters:\n      io_method: worker\n");
        const { status, out } = check(["--stack", "oldparam", "--project-dir", dir]);
        expect(status).toBe(2);
        expect(out).toContain("pg-platform:postgres.parameters.io_method: exists only from PostgreSQL 18, and postgres.version is 15");
    });

    it("refuses a kubernetes stack that could never start rather than succeeding with nothing: no settings, or an unpushed build", () => {
        const bare = projectWithStack("bare", "config:\n  pg-platform:target: kubernetes\n");
        const noSettings = check(["--stack", "bare", "--project-dir", bare]);
        expect(noSettings.status).toBe(2);
        expect(noSettings.out).toContain('target "kubernetes" needs its own settings under pg-platform:kubernetes');

        const local = projectWithStack("k8s", "config:\n  pg-platform:target: kubernetes\n  pg-platform:kubernetes:\n    namespace: db\n");
        const unpushed = check(["--stack", "k8s", "--project-dir", local]);
        expect(unpushed.status).toBe(2);
        expect(unpushed.out).toContain("pg-platform:image.push: the kubernetes target pulls the PostgreSQL image from a registry");
    });

    it("refuses a stack without a stack file, and bad arguments", () => {
        expect(check(["--stack", "missing"]).status).toBe(2);
        expect(check(["--stak", "dev"]).status).toBe(2);
    });
});

class Pair extends pulumi.ComponentResource {
    constructor(name: string, childName: string, opts?: pulumi.ComponentResourceOptions) {
        super("pg-platform:test:Pair", name, {}, opts);
        new random.RandomPassword(childName, { length: 16 }, { parent: this });
        this.registerOutputs({});
    }
}

describe("npm run check --json", () => {
    it("prints one parseable document: the dev stack's resources with every secret redacted, no violations", () => {
        const { status, out } = check(["--stack", "dev", "--json"]);
        expect(status).toBe(0);
        const json = out.slice(out.indexOf("{"), out.lastIndexOf("}") + 1);
        const document = JSON.parse(json) as { resources: { type: string; inputs: unknown }[]; violations: unknown[]; duplicateUrns: unknown[] };
        expect(document.violations).toEqual([]);
        expect(document.duplicateUrns).toEqual([]);
        expect(document.resources.map((r) => r.type)).toContain("docker:index/container:Container");
        // The mocks' RandomPassword results are pw-<hex>; private keys are PEM. Neither may be printed.
        expect(json).toContain('"[secret]"');
        expect(json).not.toMatch(/pw-[0-9a-f]{24}/);
        expect(json).not.toContain("PRIVATE KEY");
    });
});

describe("check's exit code", () => {
    const violation = (level: "mandatory" | "advisory") => ({ policy: "tls-required", level, urn: "urn:x", message: "m" });

    it("is 1 for a mandatory violation and 0 when every violation is advisory", () => {
        expect(exitCode({ resources: [], duplicateUrns: [], violations: [violation("advisory"), violation("mandatory")] })).toBe(1);
        expect(exitCode({ resources: [], duplicateUrns: [], violations: [violation("advisory")] })).toBe(0);
    });
});

describe("the mock harness check relies on", () => {
    it("records parents and reports URNs the engine would refuse as duplicates", async () => {
        const run = await runUnderMocks(() => {
            new Pair("a", "same");
            new Pair("b", "same"); // same child type and name under the same parent type: same URN
        });
        const pair = run.resources.find((r) => r.name === "a");
        const child = run.resources.filter((r) => r.name === "same");
        expect(child[0].parent).toBe(pair?.urn);
        expect(run.duplicateUrns).toEqual([child[0].urn]);
        expect(exitCode({ resources: run.resources, duplicateUrns: run.duplicateUrns, violations: [] })).toBe(1);
    });

    it("prints the tree with children under their component", async () => {
        const run = await runUnderMocks(() => new Pair("a", "a-password"));
        expect(formatTree("dev", run.resources).split("\n").slice(1)).toEqual([
            expect.stringMatching(/^ \+ {2}pulumi:pulumi:Stack +pg-platform-dev$/),
            expect.stringMatching(/^ \+ {2}└─ pg-platform:test:Pair +a$/),
            expect.stringMatching(/^ \+ {5}└─ random:index\/randomPassword:RandomPassword +a-password$/),
        ]);
    });

    it("marks secret inputs and a clean run exits 0", async () => {
        const run = await runUnderMocks(() => new random.RandomPassword("p", { length: 8, keepers: { token: pulumi.secret("s3cret") } }));
        expect(run.resources[0].secretInputs).toEqual(["keepers.token"]);
        expect(run.resources[0].inputs.keepers).toEqual({ token: "s3cret" });
        expect(exitCode({ resources: run.resources, duplicateUrns: [], violations: [] })).toBe(0);
    });
});
