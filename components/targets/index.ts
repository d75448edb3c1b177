import type { PlatformOutputs } from "./outputs";
import type { PlatformSpec } from "../config";

/** What every target receives besides the spec. */
export interface DeployContext {
    /** The stack name, used in resource names that must be unique per environment. */
    readonly stack: string;
}

/** A target module: builds its components for a spec and returns the common outputs. */
export interface TargetModule {
    /** Creates the target's components. */
    deploy(spec: PlatformSpec, context: DeployContext): PlatformOutputs;
}

type Target = PlatformSpec["target"];

/**
 * Loaders per target. Each is a dynamic import so a provider SDK is loaded only by the
 * target that uses it. Typed by the schema's target enum, so a new target cannot be added
 * to the configuration without a loader here.
 */
const TARGETS: Readonly<Record<Target, () => Promise<TargetModule>>> = {
    docker: () => import("./docker"),
    kubernetes: () => import("./kubernetes"),
    aws: () => import("./aws"),
    gcp: () => import("./gcp"),
};

/** Loads the target's module. */
export function loadTarget(target: Target): Promise<TargetModule> {
    return TARGETS[target]();
}
