import * as pulumi from "@pulumi/pulumi";
import type { PlatformOutputs } from "./targets/outputs";
import { ConfigError, parseSpec, type PlatformSpec } from "./config";
import { BACKUP_SECRET_KEYS, backupSecretProblems } from "./config/backup";
import { PROJECT } from "./platform/constants";
import { loadTarget } from "./targets";

function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text; // a bare string such as `docker`
    }
}

/** Secret keys read on their own (the backup credentials), never part of the spec. */
const SECRET_KEYS = new Set<string>(Object.values(BACKUP_SECRET_KEYS));

/**
 * Reads every `pg-platform:*` key of the stack's config (unknown ones too, so a misspelt key
 * is reported rather than ignored), decoding JSON values.
 */
export function readRawConfig(all: Record<string, string> = pulumi.runtime.allConfig()): Record<string, unknown> {
    const prefix = `${PROJECT}:`;
    return Object.fromEntries(
        Object.entries(all)
            .filter(([key]) => key.startsWith(prefix) && !SECRET_KEYS.has(key.slice(prefix.length)))
            .map(([key, text]) => [key.slice(prefix.length), decode(text)]),
    );
}

/** Validates the stack's config into a spec; throws a ConfigError before any resource exists. */
export function readSpec(): PlatformSpec {
    const spec = parseSpec(readRawConfig());
    const prefix = `${PROJECT}:`;
    const all = pulumi.runtime.allConfig();
    const problems = backupSecretProblems(
        spec,
        (key) => all[`${prefix}${key}`],
        (key) => isConfigSecret(`${prefix}${key}`),
        prefix,
    );
    if (problems.length > 0) throw new ConfigError(problems);
    return spec;
}

/**
 * Whether a config key was set with `--secret`. The SDK's runtime has `isConfigSecret` but leaves
 * it out of its typings; should it ever go, every key counts as plain and a stack needing a
 * backup secret is refused (fail closed) rather than trusted.
 */
function isConfigSecret(key: string): boolean {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    return runtime.isConfigSecret?.(key) ?? false;
}

/** The whole program: read the spec, build the chosen target, return its outputs. */
export async function runProgram(): Promise<PlatformOutputs> {
    const spec = readSpec();
    const target = await loadTarget(spec.target);
    return target.deploy(spec, { stack: pulumi.getStack() });
}
