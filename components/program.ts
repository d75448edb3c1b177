import * as pulumi from "@pulumi/pulumi";
import type { PlatformOutputs } from "./targets/outputs";
import { parseSpec, type PlatformSpec } from "./config";
import { PROJECT } from "./platform/constants";
import { loadTarget } from "./targets";

function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text; // a bare string such as `docker`
    }
}

/**
 * Reads every `pg-platform:*` key of the stack's config (unknown ones too, so a misspelt key
 * is reported rather than ignored), decoding JSON values.
 */
export function readRawConfig(all: Record<string, string> = pulumi.runtime.allConfig()): Record<string, unknown> {
    const prefix = `${PROJECT}:`;
    return Object.fromEntries(
        Object.entries(all)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, text]) => [key.slice(prefix.length), decode(text)]),
    );
}

/** Validates the stack's config into a spec; throws a ConfigError before any resource exists. */
export function readSpec(): PlatformSpec {
    return parseSpec(readRawConfig());
}

/** The whole program: read the spec, build the chosen target, return its outputs. */
export async function runProgram(): Promise<PlatformOutputs> {
    const spec = readSpec();
    const target = await loadTarget(spec.target);
    return target.deploy(spec, { stack: pulumi.getStack() });
}
