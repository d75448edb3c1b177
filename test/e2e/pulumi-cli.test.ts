// The real Pulumi CLI, built here from the Go module proxy by scripts/install-pulumi.sh, on the
// committed project and stack files and the policy pack. The Node.js language host and the
// provider plugins are not served on these machines, so the program itself cannot run under
// the CLI; what can, runs for real: the CLI's own validation of every stack file against
// Pulumi.yaml's declarations (through the YAML language host, which is served), the same
// refusal `npm run check` makes, and the policy pack loaded by the real analyzer.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../components/config";
import { PROJECT_DIR, loadStackConfig } from "../../cli/stack-config";
import { POLICY_CONFIG_DIR } from "../../policies/offline";

const STACKS = fs.readdirSync(PROJECT_DIR).flatMap((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1] ?? []);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-cli-"));
let env: NodeJS.ProcessEnv;

/** The engine's environment, as install-pulumi.sh prints it (building the CLI when missing), evaluated by bash. */
function engineEnv(): NodeJS.ProcessEnv {
    const script = `set -a; eval "$(bash '${path.join(PROJECT_DIR, "scripts/install-pulumi.sh")}' --print-env)"; env -0`;
    const printed = execFileSync("bash", ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 3_000_000 });
    const values = Object.fromEntries(
        printed
            .split("\0")
            .filter(Boolean)
            .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
    );
    return { ...values, PULUMI_CONFIG_PASSPHRASE: "e2e-only-passphrase" };
}

/** The project as committed, its runtime switched to YAML (an empty program) so the CLI reaches config validation. */
function projectCopy(name: string, pulumiYaml = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")): string {
    const dir = path.join(work, name);
    // Each copy has its own state backend, so the same stack name can be created in each.
    fs.mkdirSync(path.join(dir, ".state"), { recursive: true });
    const runtime = /^runtime:\n(?: {2}.*\n)+/m;
    expect(pulumiYaml).toMatch(runtime);
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), pulumiYaml.replace(runtime, "runtime: yaml\n"));
    return dir;
}

/** A committed stack file, its secrets provider switched to this test's passphrase. */
function copyStack(dir: string, stack: string): void {
    const text = fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text.replace(/^(secretsprovider|encryptedkey|encryptionsalt):.*\n/gm, ""));
}

function pulumi(dir: string, args: readonly string[]): { code: number; output: string } {
    const result = spawnSync("pulumi", [...args, "--non-interactive", "--cwd", dir], {
        env: { ...env, PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}` },
        encoding: "utf8",
        timeout: 300_000,
    });
    return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

function initStack(dir: string, stack: string): void {
    const init = pulumi(dir, ["stack", "init", stack, "--secrets-provider", "passphrase"]);
    expect(init.code, init.output).toBe(0);
}

describe("the real Pulumi CLI", () => {
    beforeAll(() => {
        env = engineEnv();
    }, 3_100_000);

    afterAll(() => {
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("is the version package.json's SDK asks for", () => {
        const version = spawnSync("pulumi", ["version"], { env, encoding: "utf8" }).stdout.trim();
        const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
        expect(version).toBe(`v${lock.packages["node_modules/@pulumi/pulumi"].version}`);
    });

    it.each(STACKS)("accepts the committed stack %s against Pulumi.yaml's declarations (pulumi up validates before any program runs)", (stack) => {
        const dir = projectCopy(`accept-${stack}`);
        copyStack(dir, stack);
        initStack(dir, stack);
        const up = pulumi(dir, ["up", "--yes", "--stack", stack]);
        expect(up.output).not.toMatch(/missing configuration value/);
        expect(up.code, up.output).toBe(0);
    });

    it("refuses a stack lacking a key declared without a default, and npm run check refuses it the same way", () => {
        const declared = fs
            .readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")
            .replace(/^config:\n/m, "config:\n  aws:\n    description: AWS settings (declared without a default)\n");
        const dir = projectCopy("refuse", declared);
        copyStack(dir, "dev");
        initStack(dir, "dev");
        const up = pulumi(dir, ["up", "--yes", "--stack", "dev"]);
        expect(up.code).not.toBe(0);
        expect(up.output).toMatch(/Stack 'dev' is missing configuration value 'aws'/);

        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), declared);
        let offline: unknown;
        try {
            loadStackConfig("dev", dir);
        } catch (error) {
            offline = error;
        }
        expect(offline).toBeInstanceOf(ConfigError);
        expect((offline as ConfigError).problems.join("\n")).toMatch(/Stack 'dev' is missing configuration value 'aws'/);
    });

    it("loads the policy pack in the real analyzer (pulumi preview --policy-pack policies --policy-pack-config)", () => {
        const dir = projectCopy("policy");
        copyStack(dir, "dev");
        initStack(dir, "dev");
        const config = path.join(POLICY_CONFIG_DIR, "dev.json");
        const preview = pulumi(dir, ["preview", "--stack", "dev", "--policy-pack", path.join(PROJECT_DIR, "policies"), "--policy-pack-config", config]);
        expect(preview.code, preview.output).toBe(0);
        expect(preview.output).toMatch(/pg-platform-guardrails@v[\d.]+ \(local: /);
    }, 300_000);
});
