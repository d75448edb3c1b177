// The committed example stacks name this repository's own VPC, subnets, project, network and
// registry. A copy that keeps them used to pass `npm run check` and fail at `pulumi up` with a
// provider error; now check refuses it (exit 2), naming each setting to replace.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConfigError } from "../../../components/config";
import { checkStack } from "../../../cli/check";
import { EXAMPLE_STACKS, SITE_SETTINGS } from "../../../cli/placeholders";
import { PROJECT_DIR, loadStackConfig } from "../../../cli/stack-config";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A project with the real Pulumi.yaml and `Pulumi.<as>.yaml` copied from a committed stack, edited. */
function copyOf(stack: string, as: string, edit: (yaml: string) => string = (yaml) => yaml): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-copy-"));
    dirs.push(dir);
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, `Pulumi.${as}.yaml`), edit(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")));
    return dir;
}

async function problems(stack: string, projectDir: string): Promise<readonly string[]> {
    try {
        await checkStack(stack, { projectDir });
    } catch (error) {
        return (error as ConfigError).problems;
    }
    return [];
}

const committed = fs
    .readdirSync(PROJECT_DIR)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined);

/** The site settings a stack file sets. */
function siteSettingsOf(stack: string): string[] {
    const { config } = loadStackConfig(stack);
    return Object.keys(SITE_SETTINGS).filter((key) => {
        const [top, ...rest] = key.split(".");
        let node: unknown = config[`pg-platform:${top}`] === undefined ? undefined : JSON.parse(config[`pg-platform:${top}`]);
        for (const part of rest) node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[part] : undefined;
        return node !== undefined && !(Array.isArray(node) && node.length === 0);
    });
}

describe("the committed stack files say what a user must change", () => {
    it.each(committed)("Pulumi.%s.yaml: its header names every setting that identifies this repository's resources", (stack) => {
        const text = fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
        const header = text.slice(0, text.search(/^[^\s#]/m));
        const named = [...header.matchAll(/^#\s+pg-platform:([\w.]+)\s/gm)].map((m) => m[1]);
        const sets = siteSettingsOf(stack);
        expect(named).toEqual(expect.arrayContaining(sets));
        if (sets.length > 0) {
            expect(EXAMPLE_STACKS).toContain(stack);
            expect(header).toMatch(/Settings you must change before the first `pulumi up`/);
        }
    });

    it("every example stack passes check where it is committed", async () => {
        for (const stack of EXAMPLE_STACKS) expect(await problems(stack, PROJECT_DIR), stack).toEqual([]);
    });
});

describe("npm run check on a copy that kept the example values", () => {
    it("prod copied as staging: refused, naming the VPC and the subnets", async () => {
        expect(await problems("staging", copyOf("prod", "staging"))).toEqual([
            expect.stringMatching(
                /^pg-platform:aws\.vpcId: "vpc-0a1b2c3d4e5f60718" is the example value of Pulumi\.prod\.yaml, not yours; replace it with your VPC/,
            ),
            expect.stringMatching(
                /^pg-platform:aws\.subnetIds: "subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003" are the example value of Pulumi\.prod\.yaml/,
            ),
        ]);
    });

    it("prod copied under its own name into another project: refused all the same", async () => {
        expect((await problems("prod", copyOf("prod", "prod"))).map((line) => line.split(":").slice(0, 2).join(":"))).toEqual([
            "pg-platform:aws.vpcId",
            "pg-platform:aws.subnetIds",
        ]);
    });

    it("gcp-prod and k8s copies: the project, the network and the image repository", async () => {
        const keys = async (stack: string) => (await problems("mine", copyOf(stack, "mine"))).map((line) => line.split(":").slice(0, 2).join(":"));
        expect(await keys("gcp-prod")).toEqual(["pg-platform:gcp.project", "pg-platform:gcp.network"]);
        expect(await keys("k8s")).toEqual(["pg-platform:image.repository"]);
    });

    it("the copy with its own VPC and subnets passes", async () => {
        const own = copyOf("prod", "staging", (yaml) =>
            yaml.replace(/vpc-0a1b2c3d4e5f60718/, "vpc-0fedcba987654321f").replace(/subnet-0a1b2c3d4e5f6000(\d)/g, "subnet-0fedcba98765432$1"),
        );
        expect(await problems("staging", own)).toEqual([]);
    });

    it("the CLI exits 2 and prints the keys, before any provider is involved", () => {
        const dir = copyOf("prod", "staging");
        let status = 0;
        let stderr = "";
        try {
            execFileSync(
                process.execPath,
                [path.join(PROJECT_DIR, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_DIR, "cli/check.ts"), "--stack", "staging", "--project-dir", dir],
                { encoding: "utf8", stdio: "pipe" },
            );
        } catch (error) {
            status = (error as { status: number }).status;
            stderr = (error as { stderr: string }).stderr;
        }
        expect(status).toBe(2);
        expect(stderr).toMatch(/^Configuration error in stack "staging":\n {2}- pg-platform:aws\.vpcId: .*\n {2}- pg-platform:aws\.subnetIds: /);
    }, 60_000);
});
