import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { POLICY_CONFIG_DIR, enforcementLevel, loadPolicyConfig, runPolicies } from "../../policies/offline";
import { rules } from "../../policies/rules";
import { PROJECT_DIR } from "../../cli/stack-config";
import { resource } from "./gate";

const ALWAYS_MANDATORY = ["scram-only-auth", "localhost-binding"];

const levels = (stack: string) => Object.fromEntries(rules.map((rule) => [rule.name, enforcementLevel(rule, loadPolicyConfig(stack))]));

const committedStacks = fs
    .readdirSync(PROJECT_DIR)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined);

/** The pack's own levels, which the dev stack keeps: auth, binding, pinning and the preview gate mandatory, the rest advisory, backups off. */
const PACK_DEFAULT_LEVELS = {
    "scram-only-auth": "mandatory",
    "localhost-binding": "mandatory",
    "pinned-images": "mandatory",
    "tls-required": "advisory",
    "encrypted-and-protected": "advisory",
    "bounded-replication-slots": "advisory",
    "known-at-preview": "mandatory",
    "self-hosted-backups": "disabled",
};

describe("policy levels per environment", () => {
    it("dev: auth, binding, pinning and the preview gate mandatory; TLS, managed safeguards and slot bounds advisory", () => {
        expect(levels("dev")).toEqual(PACK_DEFAULT_LEVELS);
    });

    it("prod: every rule mandatory", () => {
        expect(Object.values(levels("prod"))).toEqual(rules.map(() => "mandatory"));
    });

    it("a stack without a policy file gets the pack's defaults: auth, binding, pinning and the preview gate mandatory, the rest advisory", () => {
        expect(loadPolicyConfig("no-such-stack")).toEqual({});
        expect(levels("no-such-stack")).toEqual(PACK_DEFAULT_LEVELS);
    });

    it("every committed stack has a policy file that keeps the two guardrails mandatory and names only known rules", () => {
        const known = new Set(rules.map((rule) => rule.name));
        for (const stack of committedStacks) {
            expect(fs.existsSync(path.join(POLICY_CONFIG_DIR, `${stack}.json`)), `policies/config/${stack}.json`).toBe(true);
            for (const name of ALWAYS_MANDATORY) expect(levels(stack)[name], `${stack}: ${name}`).toBe("mandatory");
            for (const name of Object.keys(loadPolicyConfig(stack))) expect(known.has(name) || name === "all", `${stack}: unknown rule ${name}`).toBe(true);
        }
    });

    it("every rule carries the metadata CrossGuard shows: description, severity, level, remediation", () => {
        for (const rule of rules) {
            expect(rule.description.length, rule.name).toBeGreaterThan(20);
            expect(rule.severity, rule.name).toBeDefined();
            expect(rule.enforcementLevel, rule.name).toBeDefined();
            expect(rule.remediationSteps?.length ?? 0, rule.name).toBeGreaterThan(20);
        }
    });
});

describe("levels as the runner applies them", () => {
    const taggedImage = resource("docker:index/container:Container", "dev-primary", {
        image: "postgres:18",
        ports: [{ internal: 5432, external: 5432, ip: "127.0.0.1" }],
    });

    it("reports a finding at the level the stack's config gives the rule", async () => {
        const found = async (config: Parameters<typeof runPolicies>[1]) => (await runPolicies([taggedImage], config)).map((v) => `${v.policy}:${v.level}`);
        expect(await found(loadPolicyConfig("dev"))).toEqual(["pinned-images:mandatory"]);
        expect(await found({ "pinned-images": "advisory" })).toEqual(["pinned-images:advisory"]);
        expect(await found({ "pinned-images": "disabled" })).toEqual([]);
        expect(await found({ all: "mandatory" })).toEqual(["pinned-images:mandatory"]);
        expect(await found({ all: "disabled", "pinned-images": { enforcementLevel: "advisory" } })).toEqual(["pinned-images:advisory"]);
    });
});
