import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { InspectedResource, ResourceProps, ResourceType } from "./resources";

/** What a check receives besides the props. */
export interface CheckContext<C> {
    /** The resource as a whole (name for exceptions, type, raw props). */
    readonly resource: InspectedResource;
    /** The rule's config: its schema's defaults overlaid with the stack's policy config. */
    readonly config: C;
}

/** A check for one resource type: the violation messages it finds (none when compliant). */
export type Check<T extends ResourceType, C> = (props: ResourceProps[T], context: CheckContext<C>) => string[];

/** Checks per resource type; a rule covers exactly the types listed. */
export type Checks<C> = { readonly [T in ResourceType]?: Check<T, C> };

/** A check shared by several types (e.g. every Kubernetes workload): it reads the resource as a whole. */
export type ResourceCheck<C> = (context: CheckContext<C>) => string[];

/** The same resource-level check for each of `types`. */
export function forTypes<C>(types: readonly ResourceType[], check: ResourceCheck<C>): Checks<C> {
    return Object.fromEntries(types.map((type) => [type, (_props: unknown, context: CheckContext<C>) => check(context)]));
}

/** The same checks with every result passed through `adjust` (e.g. to clear an exempt resource's findings). */
export function adjustChecks<C>(checks: Checks<C>, adjust: (messages: string[], context: CheckContext<C>) => string[]): Checks<C> {
    const entries = Object.entries(checks) as [ResourceType, Check<ResourceType, C>][];
    return Object.fromEntries(
        entries.map(([type, check]) => [type, (props: ResourceProps[ResourceType], context: CheckContext<C>) => adjust(check(props, context), context)]),
    );
}

/** The rule's metadata, as CrossGuard shows it; every field is required here on purpose. */
export type RuleMetadata = Required<Pick<ResourceValidationPolicy, "name" | "description" | "severity" | "enforcementLevel" | "remediationSteps">> &
    Pick<ResourceValidationPolicy, "configSchema">;

/**
 * A resource rule from per-type checks: each resource of a listed type is checked and every
 * message reported as a violation of that resource; other types are not looked at.
 */
export function resourceRule<C extends object = Record<string, never>>(metadata: RuleMetadata, checks: Checks<C>): ResourceValidationPolicy {
    return {
        ...metadata,
        validateResource: (args, reportViolation) => {
            const check = checks[args.type as ResourceType] as Check<ResourceType, C> | undefined;
            if (!check) return;
            const resource: InspectedResource = { type: args.type, name: args.name, props: args.props };
            for (const message of check(args.props as ResourceProps[ResourceType], { resource, config: args.getConfig<C>() })) reportViolation(message);
        },
    };
}
