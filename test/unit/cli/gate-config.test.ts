import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PolicyConfigError, gatePolicyConfig } from "../../../cli/gate-config";
import { enforcementLevel } from "../../../policies/offline";
import { rules } from "../../../policies/rules";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function policyDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-gate-"));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
}

const gate = (text: string | undefined, production = false) =>
    gatePolicyConfig("s", { dir: policyDir(text === undefined ? {} : { "s.json": text }), production });

describe("the gate's policy config: scram-only-auth cannot be lowered", () => {
    it.each([
        ['{ "scram-only-auth": "disabled" }', "scram-only-auth: sets scram-only-auth to disabled"],
        ['{ "scram-only-auth": { "enforcementLevel": "advisory" } }', "scram-only-auth: sets scram-only-auth to advisory"],
        ['{ "all": "disabled" }', "all: sets scram-only-auth to disabled"],
        ['{ "all": { "enforcementLevel": "advisory" } }', "all: sets scram-only-auth to advisory"],
    ])("%s is refused", (text, message) => {
        expect(() => gate(text)).toThrow(PolicyConfigError);
        expect(() => gate(text)).toThrow(message);
    });

    it("lets it be mandatory or remediate, and other rules be lowered on a non-production stack", () => {
        expect(gate('{ "scram-only-auth": "remediate", "tls-required": "disabled" }').raised).toEqual([]);
    });
});

describe("the gate's policy config: production stacks run every rule mandatory, whatever the file", () => {
    const levels = (config: ReturnType<typeof gate>["config"]) => rules.map((rule) => enforcementLevel(rule, config));

    it("raises lowered rules and says which", () => {
        const result = gate(
            '{ "tls-required": "advisory", "encrypted-and-protected": { "enforcementLevel": "disabled", "minimumBackupRetentionDays": 7 } }',
            true,
        );
        expect(levels(result.config).every((level) => level === "mandatory")).toBe(true);
        expect(result.raised).toEqual(
            expect.arrayContaining([
                { rule: "tls-required", from: "advisory" },
                { rule: "encrypted-and-protected", from: "disabled" },
            ]),
        );
        expect((result.config["encrypted-and-protected"] as { minimumBackupRetentionDays: number }).minimumBackupRetentionDays).toBe(7);
    });

    it("needs no file: a production stack named anything gets every rule mandatory", () => {
        expect(levels(gate(undefined, true).config).every((level) => level === "mandatory")).toBe(true);
        expect(levels(gate('{ "all": "advisory", "scram-only-auth": "mandatory" }', true).config).every((level) => level === "mandatory")).toBe(true);
    });
});

describe("the gate's policy config is read strictly (exit 2, never a crash)", () => {
    it.each([
        ['{ "scram-only-auth": "mandatory",\n  "tls-required": }', /s\.json(:\d+)?: not valid JSON/],
        ['{ "scram-only-auth": "mandatory",\n  "tls-required": "mandatory" ', /s\.json(:\d+)?: not valid JSON/],
        ['{ "tls-required": "advisory",\n  "tls-required": "disabled" }', /s\.json:2: a key given twice/],
        ['["scram-only-auth"]', /must be an object of rule names/],
        ['{ "tls-requried": "mandatory" }', /tls-requried: names no rule of the pack/],
        ['{ "tls-required": "strict" }', /tls-required: enforcementLevel must be one of advisory, mandatory, remediate, disabled/],
        ['{ "tls-required": 1 }', /tls-required: must be a level or an object/],
        ['{ "localhost-binding": { "allowedPublicRanges": ["0.0.0.0/1", "128.0.0.0/1"] } }', /allowedPublicRanges: together allow every public IPv4 address/],
        ['{ "localhost-binding": { "allowedPublicRanges": ["10.0.0.0/33"] } }', /"10\.0\.0\.0\/33" is not a CIDR block/],
        ['{ "encrypted-and-protected": { "minimumBackupRetentionDays": 0 } }', /minimumBackupRetentionDays: must be a whole number of days, at least 1/],
    ])("%s", (text, message) => {
        expect(() => gate(text)).toThrow(PolicyConfigError);
        expect(() => gate(text)).toThrow(message);
    });
});
