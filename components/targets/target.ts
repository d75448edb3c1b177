// The contract every target module fulfils: build its components, return the common outputs.
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
