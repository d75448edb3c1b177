// Issue 17's proof: every hostile configuration of catalogue.ts through `npm run check`'s own
// code path (runCheck, in this process), each answered as the catalogue says: exit 2 naming the
// key, or exit 1 with the named policy's mandatory violation. Never exit 3, never a stack trace.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCheck } from "../../../cli/check";
import { PROJECT_DIR } from "../../../cli/stack-config";
import { BASES, HOSTILE_CASES, stackFile, type HostileCase } from "./catalogue";

const STACK = "hostile";
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A project folder with Pulumi.yaml and the case's stack file, and a policy folder with its policy file. */
function workspace(stack: string, policy: string | undefined): { project: string; policies: string } {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-hostile-"));
    const policies = path.join(project, "policies");
    dirs.push(project);
    fs.mkdirSync(policies);
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
    fs.writeFileSync(path.join(project, `Pulumi.${STACK}.yaml`), stack);
    if (policy !== undefined) fs.writeFileSync(path.join(policies, `${STACK}.json`), policy);
    return { project, policies };
}

async function check(stack: string, policy?: string) {
    const { project, policies } = workspace(stack, policy);
    return runCheck(["--stack", STACK, "--json", "--project-dir", project, "--policy-config-dir", policies]);
}

interface JsonReport {
    readonly violations: readonly { readonly policy: string; readonly level: string; readonly message: string }[];
}

describe("the hostile catalogue's bases are accepted (so each case fails for its own reason)", () => {
    it.each(Object.entries(BASES))("%s", async (_, config) => {
        const run = await check(stackFile(config));
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
    });
});

describe("the catalogue is large and covers every class", () => {
    it("has at least 200 cases, in all six classes", () => {
        expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(200);
        expect(new Set(HOSTILE_CASES.map((c) => c.class))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
        expect(new Set(HOSTILE_CASES.map((c) => `${c.class} ${c.name}`)).size).toBe(HOSTILE_CASES.length);
    });
});

const byClass = (klass: HostileCase["class"]) => HOSTILE_CASES.filter((c) => c.class === klass).map((c) => [c.name, c] as const);
const CLASSES: readonly [HostileCase["class"], string][] = [
    [1, "names the server or the pool reserves or parses"],
    [2, "server parameters against the server's own catalogue"],
    [3, "address ranges judged as ranges"],
    [4, "settings meaningless on a target, values providers refuse"],
    [5, "nothing crashes"],
    [6, "the gate cannot be configured off"],
];

for (const [klass, title] of CLASSES) {
    describe(`class ${klass}: ${title}`, () => {
        it.each(byClass(klass))("%s", async (_, hostile) => {
            const run = await check(hostile.stackFile, hostile.policyFile);
            const output = `${run.stdout}\n${run.stderr}`;
            expect(output).not.toMatch(/The program failed|\n\s+at .+\(.+:\d+:\d+\)/);
            const expected = hostile.expect;
            if (expected.exit === 2) {
                expect(run.code, output).toBe(2);
                expect(run.stderr).toContain(expected.key);
                if (expected.says) expect(run.stderr).toMatch(expected.says);
            } else {
                expect(run.code, output.slice(0, 4000)).toBe(1);
                const { violations } = JSON.parse(run.stdout) as JsonReport;
                const found = violations.filter((v) => v.policy === expected.policy && v.level === "mandatory");
                expect(
                    found.length,
                    JSON.stringify(
                        violations.map((v) => `${v.level} ${v.policy}: ${v.message}`),
                        null,
                        1,
                    ),
                ).toBeGreaterThan(0);
                if (expected.says) expect(found.map((v) => v.message).join("\n")).toMatch(expected.says);
            }
        });
    });
}
