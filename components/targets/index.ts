// Which module builds each target, loaded only when that target is chosen.
import type { PlatformSpec } from "../config";
import type { TargetModule } from "./target";

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
