// `npm run check -- --stack <name> [--json]`: the offline preview and policy gate.
// Exit codes: 0 clean, 1 a mandatory violation (or duplicate URNs), 2 a configuration error,
// 3 the program itself failed.
import { parseArgs } from "node:util";
import { readRawConfig, runProgram } from "../components/program";
import { parseSpec } from "../components/config";
import { runPolicies, type GateResource, type Violation } from "../policies/offline";
import { gatePolicyConfig, policyConfigFailure } from "./gate-config";
import { runUnderMocks, type MockedResource } from "./offline/harness";
import { redactSecrets } from "./offline/secrets";
import { PROJECT } from "../components/platform/constants";
import { configFailure, loadStackConfig } from "./stack-config";
import { refusePlaceholders } from "./placeholders";

/** What `check` found for one stack. */
export interface CheckResult {
    /** Every resource the program would create. */
    readonly resources: readonly MockedResource[];
    /** URNs registered twice. */
    readonly duplicateUrns: readonly string[];
    /** Policy findings at their levels. */
    readonly violations: readonly Violation[];
    /** Rules a production stack runs mandatory although its policy file set them lower. */
    readonly raised?: readonly { readonly rule: string; readonly from: string }[];
}

/** Where `check` reads its files from. */
export interface CheckOptions {
    /** Folder with Pulumi.yaml and the stack files. Default: this project. */
    readonly projectDir?: string;
    /** Folder with the per-stack policy configs. Default: policies/config. */
    readonly policyConfigDir?: string;
    /**
     * Run as a first `pulumi preview` does: every computed output unknown, the rules reading the
     * inputs through @pulumi/policy's unknown-checking proxy. Default: false (an update's values).
     */
    readonly preview?: boolean;
}

/** A mocked resource as the policy gate sees it. */
export function gateResource(resource: MockedResource): GateResource {
    return {
        urn: resource.urn,
        type: resource.type,
        name: resource.name,
        parent: resource.parent,
        props: resource.inputs,
        propertyDependencies: resource.propertyDependencies,
    };
}

/**
 * Runs the stack's program under mocks and its policies; throws ConfigError on bad config,
 * including a copy of an example stack that still names the repository's own cloud resources.
 */
export async function checkStack(stack: string, options: CheckOptions = {}): Promise<CheckResult> {
    const { config, secretKeys } = loadStackConfig(stack, options.projectDir);
    refusePlaceholders(stack, config, options.projectDir);
    // Validated here first, before the mocked engine starts: every configuration refusal is
    // then an exit 2 without a half-run program, and the gate knows whether the stack is production.
    const spec = parseSpec(readRawConfig(config));
    const gate = gatePolicyConfig(stack, { dir: options.policyConfigDir, production: spec.production });
    const run = await runUnderMocks(runProgram, { project: PROJECT, stack, config, secretKeys, preview: options.preview });
    const gateResources: GateResource[] = run.resources.map(gateResource);
    const violations = await runPolicies(gateResources, gate.config);
    return { resources: run.resources, duplicateUrns: run.duplicateUrns, violations, raised: gate.raised };
}

/** The exit code for a result: 1 when anything mandatory failed, else 0. */
export function exitCode(result: CheckResult): number {
    return result.duplicateUrns.length > 0 || result.violations.some((v) => v.level === "mandatory") ? 1 : 0;
}

/** The resource tree, one line per resource, indented under its parent like `pulumi preview`. */
export function formatTree(stack: string, resources: readonly MockedResource[]): string {
    const children = new Map<string | undefined, MockedResource[]>();
    for (const resource of resources) {
        const key = resource.parent && resources.some((r) => r.urn === resource.parent) ? resource.parent : undefined;
        children.set(key, [...(children.get(key) ?? []), resource]);
    }
    const lines = [`    Type${" ".repeat(52)}Name`, ` +  pulumi:pulumi:Stack${" ".repeat(36)}${PROJECT}-${stack}`];
    const walk = (parent: string | undefined, prefix: string) => {
        const list = children.get(parent) ?? [];
        list.forEach((resource, i) => {
            const last = i === list.length - 1;
            const label = `${prefix}${last ? "└─ " : "├─ "}${resource.type}`;
            lines.push(` +  ${label.padEnd(56)}${resource.name}`);
            walk(resource.urn, `${prefix}${last ? "   " : "│  "}`);
        });
    };
    walk(undefined, "");
    return lines.join("\n");
}

function formatViolations(violations: readonly Violation[]): string {
    if (violations.length === 0) return "Policies: no violations.";
    return ["Policy violations:", ...violations.map((v) => `    [${v.level}] ${v.policy}  ${v.urn ?? "(stack)"}\n        ${v.message}`)].join("\n");
}

/** What a `check` run printed and its exit code. */
export interface CheckRun {
    /** 0 clean, 1 mandatory violation, 2 configuration error, 3 program failure. */
    readonly code: number;
    /** Everything printed to stdout. */
    readonly stdout: string;
    /** Everything printed to stderr. */
    readonly stderr: string;
}

/** `npm run check` with these arguments, in this process: what it prints and its exit code. */
export async function runCheck(args: readonly string[]): Promise<CheckRun> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await check(args, { log: (text) => out.push(text), error: (text) => err.push(text) });
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

interface Console {
    log(text: string): void;
    error(text: string): void;
}

async function check(args: readonly string[], console: Console): Promise<number> {
    const usage = "usage: npm run check -- --stack <name> [--json] [--preview] [--project-dir <dir>] [--policy-config-dir <dir>]";
    const options = {
        stack: { type: "string" },
        json: { type: "boolean", default: false },
        preview: { type: "boolean", default: false },
        "project-dir": { type: "string" },
        "policy-config-dir": { type: "string" },
    } as const;
    let parsed;
    try {
        parsed = parseArgs({ args: [...args], options });
    } catch (error) {
        console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
        return 2;
    }
    const { values } = parsed;
    if (!values.stack) {
        console.error(usage);
        return 2;
    }
    let result: CheckResult;
    try {
        result = await checkStack(values.stack, { projectDir: values["project-dir"], policyConfigDir: values["policy-config-dir"], preview: values.preview });
    } catch (error) {
        const refusal = configFailure(values.stack, error) ?? policyConfigFailure(values.stack, error);
        if (refusal) {
            console.error(refusal);
            return 2;
        }
        console.error(`The program failed: ${error instanceof Error ? error.stack : String(error)}`);
        return 3;
    }
    for (const { rule, from } of result.raised ?? []) {
        console.error(`note: ${rule} runs mandatory (the policy file says ${from}): production stacks run every rule mandatory`);
    }
    if (values.json) {
        const resources = result.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent ?? null,
            inputs: redactSecrets(r.rawInputs),
        }));
        console.log(JSON.stringify({ resources, violations: result.violations, duplicateUrns: result.duplicateUrns }, null, 2));
    } else {
        const shape = values.preview ? ", computed values unknown as in a first preview" : "";
        console.log(`Previewing stack "${values.stack}" offline (mocked providers, no cloud calls${shape})\n`);
        console.log(formatTree(values.stack, result.resources));
        console.log(`\nResources: ${result.resources.length} to create`);
        for (const urn of result.duplicateUrns) console.log(`error: duplicate URN ${urn} (the engine refuses this)`);
        console.log(formatViolations(result.violations));
    }
    return exitCode(result);
}

if (require.main === module) {
    check(process.argv.slice(2), globalThis.console).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(error);
            process.exit(3);
        },
    );
}
