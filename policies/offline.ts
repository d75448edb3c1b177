import * as fs from "node:fs";
import * as path from "node:path";
import {
    UnknownValueError,
    unknownCheckingProxy,
    type EnforcementLevel,
    type PolicyResource,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationPolicy,
} from "@pulumi/policy";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME } from "./pack";
import { rules } from "./rules";

/** A resource as the offline gate sees it: its inputs, as CrossGuard sees them in a preview. */
export interface GateResource {
    /** URN. */
    readonly urn: string;
    /** Type token. */
    readonly type: string;
    /** Logical name. */
    readonly name: string;
    /** Parent URN, if any. */
    readonly parent: string | undefined;
    /**
     * Inputs, secrets unwrapped (policies see plain values, as in CrossGuard). In a preview an
     * input the engine has not resolved yet holds the wire's unknown marker.
     */
    readonly props: Record<string, unknown>;
    /** For each input property, the URNs of the resources its value came from. Default: none. */
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

/** One reported violation. */
export interface Violation {
    /** The rule's name. */
    readonly policy: string;
    /** The level it was enforced at. */
    readonly level: EnforcementLevel;
    /** The resource, absent for stack-wide findings. */
    readonly urn: string | undefined;
    /** What is wrong and how to fix it. */
    readonly message: string;
}

/**
 * Whether a finding is @pulumi/policy's "can't run during preview": the rule read an input the
 * engine had not resolved yet, so it decided nothing, and the finding is advisory whatever the
 * rule's level. A mandatory rule that reports one has silently passed a preview.
 */
export function isUndecided(violation: Violation): boolean {
    return /^can't run policy '[^']+' from policy pack '[^']+' during preview: /.test(violation.message);
}

/** A policy-pack config file, in the shape `pulumi preview --policy-pack-config` reads. */
export type PolicyPackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

type Rule = ResourceValidationPolicy | StackValidationPolicy;
type ResourceClass = { __pulumiType?: string; isInstance?: (obj: unknown) => boolean };

/** Folder holding one policy config per stack (`<stack>.json`). */
export const POLICY_CONFIG_DIR = path.join(__dirname, "config");

/** The stack's policy config, or an empty one (the pack's defaults) when it has no file. */
export function loadPolicyConfig(stack: string, dir: string = POLICY_CONFIG_DIR): PolicyPackConfig {
    const file = path.join(dir, `${stack}.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as PolicyPackConfig) : {};
}

/** The level a rule runs at: stack config for the rule, then `all`, then the rule's own, then the pack's. */
export function enforcementLevel(rule: Rule, config: PolicyPackConfig): EnforcementLevel {
    const own = config[rule.name];
    const fromConfig = typeof own === "string" ? own : own?.enforcementLevel;
    const all = config.all;
    const fromAll = typeof all === "string" ? all : all?.enforcementLevel;
    return fromConfig ?? fromAll ?? rule.enforcementLevel ?? PACK_ENFORCEMENT_LEVEL;
}

/** The rule's config: its schema's defaults, overlaid with the stack's values. */
export function ruleConfig(rule: Rule, config: PolicyPackConfig): Record<string, unknown> {
    const defaults = Object.fromEntries(
        Object.entries(rule.configSchema?.properties ?? {})
            .filter(([, schema]) => schema.default !== undefined)
            .map(([key, schema]) => [key, schema.default]),
    );
    const own = config[rule.name];
    const values = typeof own === "object" ? Object.fromEntries(Object.entries(own).filter(([key]) => key !== "enforcementLevel")) : {};
    return { ...defaults, ...values };
}

class NotApplicable extends Error {}

function isTypeOf(type: string, resourceClass: ResourceClass): boolean {
    if (resourceClass.__pulumiType) return resourceClass.__pulumiType === type;
    return resourceClass.isInstance?.({ __pulumiType: type }) === true;
}

/** One resource as every rule sees it: props behind the preview proxy. */
function resourceView(resource: GateResource): Pick<PolicyResource, "type" | "props" | "urn" | "name" | "opts"> {
    return { type: resource.type, props: unknownCheckingProxy(resource.props), urn: resource.urn, name: resource.name, opts: options(resource) };
}

/** The resources as a stack rule sees them: props behind the preview proxy, parents, dependencies. */
function policyResources(resources: readonly GateResource[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const all = resources.map((resource) => {
        const view = resourceView(resource);
        const policy: PolicyResource = {
            ...view,
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(resource.type, cls as ResourceClass),
            asType: (cls) => (isTypeOf(resource.type, cls as ResourceClass) ? (view.props as never) : undefined),
        };
        byUrn.set(resource.urn, policy);
        return policy;
    });
    const lookup = (urns: readonly string[]) => urns.map((urn) => byUrn.get(urn)).filter((found): found is PolicyResource => found !== undefined);
    resources.forEach((resource, i) => {
        const policy = all[i];
        policy.parent = resource.parent ? byUrn.get(resource.parent) : undefined;
        const deps = resource.propertyDependencies ?? {};
        policy.propertyDependencies = Object.fromEntries(Object.entries(deps).map(([property, urns]) => [property, lookup(urns)]));
        policy.dependencies = lookup([...new Set(Object.values(deps).flat())]);
    });
    return all;
}

function options(resource: GateResource): ResourceValidationArgs["opts"] {
    return {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        parent: resource.parent,
    };
}

/** @pulumi/policy's message for a rule that read an unknown input (server.js, analyze). */
function undecided(rule: Rule, error: UnknownValueError): string {
    return `can't run policy '${rule.name}' from policy pack '${PACK_NAME}@v${PACK_VERSION}' during preview: ${error.message}`;
}

/** The pack's version as the analyzer reports it (its package.json). */
const PACK_VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, "package.json"), "utf8")) as { version: string }).version;

/**
 * Runs rules over resources the way the Pulumi CLI runs a policy pack in a preview:
 * each rule at its configured level (disabled rules skipped), resource rules per resource,
 * stack rules once over all of them. Props are wrapped as @pulumi/policy wraps them, so a rule
 * that reads an unknown input yields the same advisory "can't run … during preview" finding.
 */
export async function runPolicies(resources: readonly GateResource[], config: PolicyPackConfig, policies: readonly Rule[] = rules): Promise<Violation[]> {
    const violations: Violation[] = [];
    const notApplicable = (): never => {
        throw new NotApplicable();
    };
    for (const rule of policies) {
        const level = enforcementLevel(rule, config);
        if (level === "disabled") continue;
        const getConfig = <T extends object>() => ruleConfig(rule, config) as T;
        const report = (urn: string | undefined) => (message: string, violationUrn?: string) =>
            violations.push({ policy: rule.name, level: level === "remediate" ? "mandatory" : level, urn: violationUrn ?? urn, message });
        const reportUndecided = (urn: string | undefined, error: UnknownValueError) =>
            violations.push({ policy: rule.name, level: "advisory", urn, message: undecided(rule, error) });
        try {
            if ("validateResource" in rule && rule.validateResource) {
                const validations = Array.isArray(rule.validateResource) ? rule.validateResource : [rule.validateResource];
                for (const resource of resources) {
                    const view = resourceView(resource);
                    const args: ResourceValidationArgs = {
                        ...view,
                        isType: (cls) => isTypeOf(resource.type, cls as ResourceClass),
                        asType: (cls) => (isTypeOf(resource.type, cls as ResourceClass) ? (view.props as never) : undefined),
                        stackTags: new Map(),
                        getConfig,
                        notApplicable,
                    };
                    for (const validate of validations) {
                        try {
                            await validate(args, report(resource.urn));
                        } catch (error) {
                            if (error instanceof UnknownValueError) reportUndecided(resource.urn, error);
                            else if (!(error instanceof NotApplicable)) throw error;
                        }
                    }
                }
            } else if ("validateStack" in rule && rule.validateStack) {
                try {
                    await rule.validateStack({ resources: policyResources(resources), stackTags: new Map(), getConfig, notApplicable }, report(undefined));
                } catch (error) {
                    if (error instanceof UnknownValueError) reportUndecided(undefined, error);
                    else throw error;
                }
            }
        } catch (error) {
            if (!(error instanceof NotApplicable)) throw error;
        }
    }
    return violations;
}
