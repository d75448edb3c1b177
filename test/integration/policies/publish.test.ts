// `pulumi policy publish` uploads `npm pack` of policies/ and nothing else; the analyzer then
// installs that package's dependencies and compiles it with the TypeScript it finds there
// (without one, the vendored TypeScript 3.8, which rejects the pack). So: pack the folder, unpack
// the tarball where nothing of the repository is in reach, install it, type-check it with its own
// TypeScript, and run it on every committed stack's resources through the analyzer's own loader
// (@pulumi/pulumi's tsutils and vendored ts-node, as `run-policy-pack` registers them).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkStack, gateResource } from "../../../cli/check";
import { PROJECT_DIR } from "../../../cli/stack-config";
import { loadPolicyConfig, type Violation } from "../../../policies/offline";

const SOURCE = path.join(PROJECT_DIR, "policies");

const committedStacks = fs
    .readdirSync(PROJECT_DIR)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();

/** The environment without npm's per-run settings (workspace, prefix), as a fresh shell has it. */
function cleanEnv(): NodeJS.ProcessEnv {
    return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

const run = (command: string, args: string[], cwd: string) =>
    execFileSync(command, args, { cwd, env: cleanEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** What the analyzer does with a pack folder, minus the gRPC server: load it with its own TypeScript, run the rules. */
const RUNNER = `
const path = require("path");
const fs = require("fs");
const { createRequire } = require("module");
const [pack, input] = process.argv.slice(2);
process.chdir(pack);
const pulumi = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [pack] }));
// Resolve as run-policy-pack does, from inside @pulumi/pulumi.
const fromPulumi = createRequire(path.join(pulumi, "cmd", "run-policy-pack", "run.js"));
const tsutils = fromPulumi("../../tsutils");
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
const ts = fromPulumi(typescriptRequire);
fromPulumi(tsnodeRequire).register({
    typeCheck: true,
    skipProject: false,
    compiler: typescriptRequire,
    compilerOptions: { target: "ES2020", module: "commonjs", moduleResolution: "node", sourceMap: "true", ...tsutils.loadTypeScriptCompilerOptions("tsconfig.json") },
});
const { runPolicies } = require(path.join(pack, "offline.ts"));
const { resources, config } = JSON.parse(fs.readFileSync(input, "utf8"));
runPolicies(resources, config).then(
    (violations) => process.stdout.write(JSON.stringify({ typescript: ts.version, compiler: typescriptRequire, violations })),
    (error) => { console.error(error); process.exit(1); },
);
`;

describe("the policy pack as `pulumi policy publish` ships it", () => {
    let work: string;
    let pack: string;

    beforeAll(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-pack-"));
        const tarball = run("npm", ["pack", "--pack-destination", work, "--silent"], SOURCE).trim().split("\n").pop() as string;
        run("tar", ["-xzf", path.join(work, tarball), "-C", work], work);
        pack = path.join(work, "package");
        // From the npm cache when it holds them, as CI's warm cache does; the registry otherwise.
        run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], pack);
        fs.writeFileSync(path.join(work, "runner.js"), RUNNER);
    }, 600_000);

    afterAll(() => {
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("holds the rules, the pack's own TypeScript settings and no path outside itself", () => {
        for (const file of ["PulumiPolicy.yaml", "package.json", "tsconfig.json", "index.ts", "offline.ts", "shared/vocabulary.ts", "rules/index.ts"]) {
            expect(fs.existsSync(path.join(pack, file)), file).toBe(true);
        }
        const tsconfig = JSON.parse(fs.readFileSync(path.join(pack, "tsconfig.json"), "utf8"));
        expect(tsconfig.extends).toBeUndefined();
        const sources = fs.readdirSync(pack, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts") && !file.startsWith("node_modules"));
        for (const file of sources) {
            const text = fs.readFileSync(path.join(pack, file), "utf8");
            for (const [, spec] of text.matchAll(/from "(\.[^"]*)"/g)) {
                const target = path.resolve(path.dirname(path.join(pack, file)), spec);
                expect(target.startsWith(pack + path.sep), `${file} imports ${spec}`).toBe(true);
            }
        }
    });

    it("type-checks with its own TypeScript (5.x, not the analyzer's bundled 3.8)", () => {
        const tsc = path.join(pack, "node_modules", "typescript", "bin", "tsc");
        expect(run(process.execPath, [tsc, "--version"], pack)).toMatch(/^Version 5\./);
        run(process.execPath, [tsc, "--noEmit", "-p", "."], pack);
    }, 300_000);

    it.each(committedStacks)(
        "%s: the unpacked pack, loaded as the analyzer loads it, gives the repository pack's verdicts (update and preview)",
        async (stack) => {
            for (const preview of [false, true]) {
                const result = await checkStack(stack, { preview });
                const input = path.join(work, `${stack}-${preview ? "preview" : "update"}.json`);
                fs.writeFileSync(input, JSON.stringify({ resources: result.resources.map(gateResource), config: loadPolicyConfig(stack) }));
                const out = JSON.parse(run(process.execPath, [path.join(work, "runner.js"), pack, input], work)) as {
                    typescript: string;
                    compiler: string;
                    violations: Violation[];
                };
                expect(out.compiler).toBe("typescript");
                expect(out.typescript).toMatch(/^5\./);
                expect(out.violations, `${stack} ${preview ? "preview" : "update"}`).toEqual(result.violations);
            }
        },
        300_000,
    );
});
