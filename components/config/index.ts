import { z } from "zod";
import { PROJECT } from "../platform/constants";
import { ConfigError } from "./errors";
import { parseMemoryMb } from "./memory";
import { platformSchema, type PlatformSpec } from "./schema";
import { targetScopeProblems } from "./target-scope";

export { ConfigError, refusals } from "./errors";
export { hasExporter, hasPooler } from "./capabilities";
export type { PlatformConfigInput, PlatformSpec } from "./schema";

/** Top-level keys of the `pg-platform` config namespace, in the order Pulumi.yaml declares them. */
export const CONFIG_KEYS = Object.keys(platformSchema.shape) as readonly (keyof PlatformSpec)[];

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let node: unknown = root;
    for (const key of path) {
        if (node === null || typeof node !== "object") return undefined;
        node = (node as Record<PropertyKey, unknown>)[key];
    }
    return node;
}

function describe(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function problemLine(issue: z.core.$ZodIssue, raw: unknown): string {
    if (issue.code === "unrecognized_keys") {
        const where = issue.path.length ? `${issue.path.join(".")}.` : "";
        return `${PROJECT}:${where}${issue.keys.join(", ")}: unknown key (not part of the ${PROJECT} configuration)`;
    }
    const path = issue.path.map(String).join(".") || "(root)";
    // A record key's own refusals (its regex, its refinements) say more than "Invalid key in record".
    const message = issue.code === "invalid_key" ? issue.issues.map((inner) => inner.message).join("; ") : issue.message;
    return `${PROJECT}:${path}: ${message} (got ${describe(valueAt(raw, issue.path))})`;
}

/**
 * Validates a stack configuration (the `pg-platform:*` keys, values already decoded from
 * YAML/JSON) and applies every default. Throws a {@link ConfigError} naming each bad key.
 */
export function parseSpec(raw: Record<string, unknown>): PlatformSpec {
    const result = platformSchema.safeParse(raw);
    const problems = [...(result.success ? [] : result.error.issues.map((issue) => problemLine(issue, raw))), ...targetScopeProblems(raw)];
    if (!result.success || problems.length > 0) throw new ConfigError(problems);
    return result.data;
}

/** The server memory in MB, as the auto-tuning and container limits read it. */
export function memoryMb(spec: PlatformSpec): number {
    // parseSpec has already proven it parses.
    return parseMemoryMb(spec.postgres.memory) as number;
}
