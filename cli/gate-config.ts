/**
 * The stack's policy config as the gate (`npm run check`, CI) applies it: read strictly, and held
 * to floors no policy file can lower.
 *
 * - `scram-only-auth` is mandatory on every stack: a config that makes it advisory or disabled
 *   (by name or through `all`) is refused, exit 2, naming the file and key.
 * - A production stack (`production: true`) runs every rule of the pack mandatory, whatever its
 *   policy file says or is named: the levels come from the stack's own flag, not from which
 *   `<stack>.json` happens to exist.
 * - localhost-binding's `allowedPublicRanges` may not cover a family's whole public space, and
 *   the file itself must be valid JSON without duplicate keys, naming only the pack's rules,
 *   with levels CrossGuard knows.
 *
 * `pulumi preview --policy-pack-config` applies a file's levels itself, before any rule runs; no
 * pack can refuse it there. This is why CI runs the gate through `npm run check`.
 */
import * as fs from "node:fs";
import { ProblemsError } from "./problems-error";
import * as path from "node:path";
import type { EnforcementLevel } from "@pulumi/policy";
import { LineCounter, parseDocument } from "yaml";
import { POLICY_CONFIG_DIR, enforcementLevel, type PolicyPackConfig } from "../policies/offline";
import { rules } from "../policies/rules";
import { parseAddressRanges, wholePublicFamilies } from "../components/platform/address-ranges";

/** Rules no stack's policy config may lower below mandatory. */
export const NON_NEGOTIABLE_RULES: readonly string[] = ["scram-only-auth"];

/** Enforcement levels CrossGuard accepts. */
const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

const enforces = (level: EnforcementLevel) => level === "mandatory" || level === "remediate";

/** A policy config the gate refuses; `problems` start with `<file>: <key>:`. */
export class PolicyConfigError extends ProblemsError {}

/** The message `npm run check` prints (exit 2) for a refused policy config, or undefined. */
export function policyConfigFailure(stack: string, error: unknown): string | undefined {
    return error instanceof PolicyConfigError ? `Policy config error in stack "${stack}":\n  - ${error.problems.join("\n  - ")}` : undefined;
}

/** What the gate runs with. */
export interface GateConfig {
    /** The config with the floors applied. */
    readonly config: PolicyPackConfig;
    /** Rules whose level the floors raised, with the level the file gave them. */
    readonly raised: readonly { readonly rule: string; readonly from: EnforcementLevel }[];
}

function readStrict(file: string): Record<string, unknown> {
    const name = path.basename(file);
    const text = fs.readFileSync(file, "utf8");
    const lineCounter = new LineCounter();
    // YAML 1.2 reads JSON; it reports duplicate keys and positions, JSON.parse checks the syntax.
    const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
    const duplicates = doc.errors
        .filter((e) => e.code === "DUPLICATE_KEY")
        .map((e) => `${name}:${lineCounter.linePos(e.pos[0]).line}: a key given twice (the last would silently win)`);
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        // Node names the position for most syntax errors (not all): the line when it does.
        const at = /position (\d+)/.exec(String(error))?.[1];
        const where = at !== undefined ? `${name}:${lineCounter.linePos(Number(at)).line}` : name;
        throw new PolicyConfigError([`${where}: not valid JSON (${(error instanceof Error ? error.message : String(error)).split("\n")[0]})`, ...duplicates]);
    }
    if (duplicates.length > 0) throw new PolicyConfigError(duplicates);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new PolicyConfigError([`${name}:1: must be an object of rule names`]);
    return parsed as Record<string, unknown>;
}

function entryProblems(name: string, key: string, value: unknown): string[] {
    const level =
        typeof value === "string"
            ? value
            : typeof value === "object" && value !== null && !Array.isArray(value)
              ? (value as { enforcementLevel?: unknown }).enforcementLevel
              : value;
    if (typeof value !== "string" && (typeof value !== "object" || value === null || Array.isArray(value))) {
        return [`${name}: ${key}: must be a level or an object with enforcementLevel (got ${JSON.stringify(value)})`];
    }
    if (level !== undefined && !LEVELS.includes(level as EnforcementLevel)) {
        return [`${name}: ${key}: enforcementLevel must be one of ${LEVELS.join(", ")} (got ${JSON.stringify(level)})`];
    }
    if (key === "localhost-binding" && typeof value === "object") {
        const allowed = (value as { allowedPublicRanges?: unknown }).allowedPublicRanges;
        if (allowed === undefined) return [];
        if (!Array.isArray(allowed) || allowed.some((item) => typeof item !== "string"))
            return [`${name}: localhost-binding.allowedPublicRanges: must be a list of CIDR blocks`];
        const { ranges, invalid } = parseAddressRanges(allowed as string[]);
        const whole = wholePublicFamilies(ranges);
        return [
            ...invalid.map((text) => `${name}: localhost-binding.allowedPublicRanges: "${text}" is not a CIDR block`),
            ...(whole.length > 0
                ? [
                      `${name}: localhost-binding.allowedPublicRanges: together allow every public IPv${whole.join(" and IPv")} address, which would turn the rule off; list the clients' own ranges`,
                  ]
                : []),
        ];
    }
    if (key === "encrypted-and-protected" && typeof value === "object") {
        const days = (value as { minimumBackupRetentionDays?: unknown }).minimumBackupRetentionDays;
        if (days !== undefined && !(Number.isInteger(days) && (days as number) >= 1))
            return [`${name}: encrypted-and-protected.minimumBackupRetentionDays: must be a whole number of days, at least 1 (got ${JSON.stringify(days)})`];
    }
    return [];
}

/**
 * Reads `<dir>/<stack>.json` (absent: the pack's defaults) and applies the floors. Throws a
 * {@link PolicyConfigError} for a file the gate refuses.
 */
export function gatePolicyConfig(stack: string, options: { readonly dir?: string; readonly production: boolean }): GateConfig {
    const file = path.join(options.dir ?? POLICY_CONFIG_DIR, `${stack}.json`);
    const name = path.relative(process.cwd(), file) || file;
    const raw = fs.existsSync(file) ? readStrict(file) : {};
    const known = new Set(rules.map((rule) => rule.name));
    const problems: string[] = [];
    for (const [key, value] of Object.entries(raw)) {
        if (key !== "all" && !known.has(key)) {
            problems.push(`${name}: ${key}: names no rule of the pack (rules: ${[...known].join(", ")})`);
            continue;
        }
        problems.push(...entryProblems(name, key, value));
    }
    if (problems.length > 0) throw new PolicyConfigError(problems);
    const config = raw as PolicyPackConfig;

    for (const rule of rules.filter((r) => NON_NEGOTIABLE_RULES.includes(r.name))) {
        const level = enforcementLevel(rule, config);
        if (!enforces(level)) {
            const via = config[rule.name] === undefined ? "all" : rule.name;
            problems.push(`${name}: ${via}: sets ${rule.name} to ${level}; ${rule.name} is mandatory on every stack and cannot be lowered or disabled`);
        }
    }
    if (problems.length > 0) throw new PolicyConfigError(problems);

    const raised: { rule: string; from: EnforcementLevel }[] = [];
    const floored: PolicyPackConfig = { ...config };
    if (options.production) {
        for (const rule of rules) {
            const level = enforcementLevel(rule, config);
            if (enforces(level)) continue;
            raised.push({ rule: rule.name, from: level });
            const own = config[rule.name];
            floored[rule.name] = typeof own === "object" ? { ...own, enforcementLevel: "mandatory" } : "mandatory";
        }
    }
    return { config: floored, raised };
}
