// `npm run check -- --stack <name> [--json]`: the offline preview and policy gate.
// Exit codes: 0 clean, 1 a mandatory violation (or duplicate URNs), 2 a configuration error,
// 3 the program itself failed.
import { parseArgs } from "node:util";
import { runProgram } from "../components/program";
import { loadPolicyConfig, runPolicies, type GateResource, type Violation } from "../policies/offline";
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
    return { urn: resource.urn, type: resource.type, name: resource.name, parent: resource.parent, props: resource.inputs, propertyDependencies: resource.propertyDependencies };
}

/**
 * Runs the stack's program under mocks and its policies; throws ConfigError on bad config,
 * including a copy of an example stack that still names the repository's own cloud resources.
 */
export async function checkStack(stack: string, options: CheckOptions = {}): Promise<CheckResult> {
    const { config, secretKeys } = loadStackConfig(stack, options.projectDir);
    refusePlaceholders(stack, config, options.projectDir);
    const run = await runUnderMocks(runProgram, { project: PROJECT, stack, config, secretKeys, preview: options.preview });
    const gateResources: GateResource[] = run.resources.map(gateResource);
    const violations = await runPolicies(gateResources, loadPolicyConfig(stack, options.policyConfigDir));
    return { resources: run.resources, duplicateUrns: run.duplicateUrns, violations };
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
    return [
        "Policy violations:",
        ...violations.map((v) => `    [${v.level}] ${v.policy}  ${v.urn ?? "(stack)"}\n        ${v.message}`),
    ].join("\n");
}

async function main(): Promise<number> {
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
        parsed = parseArgs({ options });
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
        const refusal = configFailure(values.stack, error);
        if (refusal) {
            console.error(refusal);
            return 2;
        }
        console.error(`The program failed: ${error instanceof Error ? error.stack : String(error)}`);
        return 3;
    }
    if (values.json) {
        const resources = result.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent ?? null, inputs: redactSecrets(r.rawInputs) }));
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
    main().then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(error);
            process.exit(3);
        },
    );
}
