import type { PlatformOutputs } from "./outputs";
import { ConfigError, type PlatformSpec } from "./spec";

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
 * target that uses it. A target without a loader is not built yet.
 */
const TARGETS: Readonly<Record<Target, (() => Promise<TargetModule>) | undefined>> = {
    docker: () => import("./docker"),
    kubernetes: () => import("./kubernetes"),
    aws: () => import("./aws"),
    gcp: () => import("./gcp"),
};

/** Loads the target's module, or fails with a configuration error when it is not built yet. */
export async function loadTarget(target: Target): Promise<TargetModule> {
    const load = TARGETS[target];
    if (!load) {
        const available = (Object.keys(TARGETS) as Target[]).filter((name) => TARGETS[name]);
        throw new ConfigError([
            `pg-platform:target: "${target}" is not available yet (available: ${available.length ? available.join(", ") : "none"})`,
        ]);
    }
    return load();
}
