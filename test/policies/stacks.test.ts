import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkStack, exitCode } from "../../cli/check";
import { PROJECT_DIR } from "../../cli/stack-config";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-policies-"));
    dirs.push(dir);
    return dir;
}

/** A project holding the real Pulumi.yaml and one hand-written `dev` stack, checked with dev's policy config. */
function devStack(config: string): string {
    const dir = tempDir();
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), `config:\n  pg-platform:target: docker\n${config}`);
    return dir;
}

/**
 * The real prod stack with some of its lines changed, checked with prod's policy config. Its VPC
 * and subnets are replaced as a user's copy must (check refuses the repository's own in a copy).
 */
function prodStackWith(change: (yaml: string) => string): string {
    const dir = tempDir();
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const prod = fs
        .readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")
        .replace(/vpc-0a1b2c3d4e5f60718/, "vpc-0fedcba987654321f")
        .replace(/subnet-0a1b2c3d4e5f6000(\d)/g, "subnet-0fedcba98765432$1");
    const changed = change(prod);
    expect(changed).not.toEqual(prod);
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), changed);
    return dir;
}

const committedStacks = fs
    .readdirSync(PROJECT_DIR)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined);

describe("npm run check on every committed stack", () => {
    it.each(committedStacks)("%s passes: no mandatory violation, exit 0", async (stack) => {
        const result = await checkStack(stack);
        expect(result.violations.filter((v) => v.level === "mandatory")).toEqual([]);
        expect(exitCode(result)).toBe(0);
    });

    it("every committed stack passes with zero findings, advisory ones included", async () => {
        for (const stack of committedStacks) expect((await checkStack(stack)).violations, stack).toEqual([]);
    });
});

describe("npm run check fails (exit 1) and names the rule", () => {
    it("binding 0.0.0.0 without an exception: localhost-binding; naming the containers as exceptions lets it through", async () => {
        const dir = devStack("  pg-platform:network:\n    bindAddress: 0.0.0.0\n");
        const result = await checkStack("dev", { projectDir: dir });
        const binding = result.violations.filter((v) => v.policy === "localhost-binding");
        expect(exitCode(result)).toBe(1);
        expect(binding.map((v) => v.level)).toContain("mandatory");
        expect(binding[0].message).toMatch(
            /^container port 5432 \(host 5432\) is published on 0\.0\.0\.0; bind 127\.0\.0\.1 or ::1 \(or add "[^"]+" to localhost-binding\.exceptions/,
        );

        const exempt = [...new Set(binding.map((v) => v.urn?.split("::").pop() as string))];
        const policyDir = tempDir();
        const devPolicy = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "policies/config/dev.json"), "utf8"));
        fs.writeFileSync(
            path.join(policyDir, "dev.json"),
            JSON.stringify({ ...devPolicy, "localhost-binding": { enforcementLevel: "mandatory", exceptions: exempt } }),
        );
        const excepted = await checkStack("dev", { projectDir: dir, policyConfigDir: policyDir });
        expect(excepted.violations.filter((v) => v.policy === "localhost-binding")).toEqual([]);
        expect(exitCode(excepted)).toBe(0);
    });

    it("an md5 rule in postgres.hba (the schema lets md5 through so the gate names it): scram-only-auth", async () => {
        const dir = devStack("  pg-platform:postgres:\n    hba:\n      - { type: host, database: app, user: app_app, address: 10.0.0.0/8, method: md5 }\n");
        const result = await checkStack("dev", { projectDir: dir });
        expect(exitCode(result)).toBe(1);
        const scram = result.violations.filter((v) => v.policy === "scram-only-auth");
        expect(scram.length).toBeGreaterThan(0);
        for (const violation of scram) {
            expect(violation.level).toBe("mandatory");
            expect(violation.message).toMatch(
                /^pg_hba\.conf line \d+ \(host "app" "app_app" 10\.0\.0\.0\/8 md5\) uses method md5; allowed methods: scram-sha-256, peer, reject$/,
            );
        }
    });

    it("prod with Multi-AZ and deletion protection switched off: encrypted-and-protected", async () => {
        const dir = prodStackWith((yaml) => yaml.replace(/multiAz: true/, "multiAz: false").replace(/deletionProtection: true/, "deletionProtection: false"));
        const result = await checkStack("prod", { projectDir: dir });
        expect(exitCode(result)).toBe(1);
        expect(result.violations.map((v) => `${v.level} ${v.policy}: ${v.message}`)).toEqual([
            "mandatory encrypted-and-protected: deletionProtection is not true; turn it on",
            "mandatory encrypted-and-protected: multiAz is not true; run a standby in a second availability zone",
        ]);
    });

    it("an image referenced by tag (image.prebuilt): pinned-images, on the server and its backup scheduler", async () => {
        const dir = devStack("  pg-platform:image:\n    prebuilt: postgres:18.4-trixie\n");
        const result = await checkStack("dev", { projectDir: dir });
        expect(exitCode(result)).toBe(1);
        const violation = (container: string) =>
            expect.objectContaining({
                policy: "pinned-images",
                message: "image postgres:18.4-trixie is not pinned by digest; reference it as <repository>@sha256:<digest>",
                urn: expect.stringMatching(new RegExp(`::${container}$`)),
            });
        expect(result.violations.filter((v) => v.level === "mandatory")).toEqual([violation("pg-single"), violation("pg-single-backup-scheduler")]);
    });
});
