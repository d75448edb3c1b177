/**
 * `postgres.parameters` checked against the server's own catalogue: every name must be a
 * setting of the stack's major (or of one of its extensions), settable in postgresql.conf, and
 * every value must read as the server reads it (platform/setting-values.ts: units, ranges,
 * octal and hex, rounding, booleans, enums). The catalogues are dumps of real servers'
 * pg_settings, made by `npm run catalogue` (cli/parameter-catalogue.ts) and committed in
 * catalogue/pg<major>.json.
 */
import { parseSettingValue, type SettingDescriptor, type SettingType } from "../platform/setting-values";
import type { ExtensionName, PostgresVersion } from "../platform/constants";
import { availabilityProblem } from "./parameter-versions";
import pg15 from "./catalogue/pg15.json";
import pg17 from "./catalogue/pg17.json";
import pg18 from "./catalogue/pg18.json";

/** One setting of a catalogue, as cli/parameter-catalogue.ts writes it. */
export interface CatalogueEntry extends SettingDescriptor {
    /** pg_settings.context (internal, postmaster, sighup, superuser, user, ...). */
    readonly context: string;
    /** False when the server refuses the setting in postgresql.conf. */
    readonly file?: false;
}

/** A dump of one server's pg_settings. */
export interface Catalogue {
    /** Major version dumped. */
    readonly major: number;
    /** server_version of the server it came from. */
    readonly serverVersion: string;
    /** How to make it again. */
    readonly generatedBy: string;
    /** Extension libraries whose settings it lists. */
    readonly extensions: readonly string[];
    /** Platform extensions the server lacked (their settings are taken from another catalogue). */
    readonly missingExtensions: readonly string[];
    /** Settings by name. */
    readonly parameters: Readonly<Record<string, CatalogueEntry>>;
}

const asCatalogue = (json: unknown) => json as Catalogue;

/**
 * The catalogues made on these machines, by major: 15 from Debian 12's packages on the host
 * (with pg_cron and pgAudit), 17 from Debian trixie's and 18 from Debian sid's in containers
 * (17 without pgAudit or pgvector; 18 with every platform extension). No 16 server exists here.
 */
export const CATALOGUES: ReadonlyMap<number, Catalogue> = new Map([
    [15, asCatalogue(pg15)],
    [17, asCatalogue(pg17)],
    [18, asCatalogue(pg18)],
]);

/** Setting-name prefixes of each platform extension, and the library that defines them. */
export const EXTENSION_PREFIXES: Readonly<Record<ExtensionName, { readonly library: string; readonly prefixes: readonly string[] }>> = {
    pg_stat_statements: { library: "pg_stat_statements", prefixes: ["pg_stat_statements."] },
    auto_explain: { library: "auto_explain", prefixes: ["auto_explain."] },
    pg_cron: { library: "pg_cron", prefixes: ["cron."] },
    pgaudit: { library: "pgaudit", prefixes: ["pgaudit."] },
    pg_trgm: { library: "pg_trgm", prefixes: ["pg_trgm."] },
    pgvector: { library: "vector", prefixes: ["hnsw.", "ivfflat."] },
};

/** Settings of the managed services themselves, meaningful on one target only. */
const TARGET_PREFIXES: Readonly<Record<string, { readonly target: string; readonly what: string }>> = {
    "rds.": { target: "aws", what: "an RDS parameter" },
    "cloudsql.": { target: "gcp", what: "a Cloud SQL flag" },
};

/** Directives of the configuration file, never settings. */
const DIRECTIVES = new Set(["include", "include_dir", "include_if_exists"]);

/** pgAudit's log classes (pgaudit.log and postgres.auditLog). */
export const PGAUDIT_CLASSES = ["read", "write", "function", "role", "ddl", "misc", "misc_set", "all", "none"] as const;

/** Why a pgaudit.log value is refused (pgAudit's check hook turns auditing off on an unknown class), or undefined. */
export function pgauditLogProblem(value: string): string | undefined {
    const items = value.split(",").map((item) => item.trim().toLowerCase());
    const bad = items.filter((item) => !(PGAUDIT_CLASSES as readonly string[]).includes(item.replace(/^-/, "")));
    if (bad.length === 0) return undefined;
    return `has unknown pgAudit class${bad.length > 1 ? "es" : ""} ${bad.map((b) => `"${b}"`).join(", ")} (classes: ${PGAUDIT_CLASSES.join(", ")}, each optionally prefixed with -)`;
}

/** TLS protocol versions in order; the platform's floor is TLSv1.2. */
const TLS_VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;

/** The lowest TLS version any setting may allow. */
export const TLS_FLOOR = "TLSv1.2";

/** Extra checks of settings whose server-side check hook the catalogue cannot describe. */
const VALUE_CHECKS: Readonly<Record<string, (value: string, parsed: boolean | number | string | undefined) => string | undefined>> = {
    "pgaudit.log": pgauditLogProblem,
    // check_vacuum_buffer_usage_limit (16+): 0 turns the ring off, else 128kB .. 16GB.
    vacuum_buffer_usage_limit: (_, kb) => (typeof kb === "number" && kb !== 0 && kb < 128 ? "must be 0 or at least 128kB (the server's own check)" : undefined),
    ssl_min_protocol_version: (value) =>
        TLS_VERSIONS.indexOf(value as (typeof TLS_VERSIONS)[number]) < TLS_VERSIONS.indexOf(TLS_FLOOR)
            ? `is below the platform's TLS floor: ${TLS_FLOOR} or TLSv1.3 only`
            : undefined,
    ssl_max_protocol_version: (value) =>
        value !== "" && TLS_VERSIONS.indexOf(value as (typeof TLS_VERSIONS)[number]) < TLS_VERSIONS.indexOf(TLS_FLOOR)
            ? `would cap TLS below the platform's floor (${TLS_FLOOR}); leave it empty or set TLSv1.2 / TLSv1.3`
            : undefined,
};

/** What a setting's own server-side check hook refuses beyond its catalogue range, or undefined. */
export function valueCheckProblem(name: string, text: string, value: boolean | number | string | undefined): string | undefined {
    return VALUE_CHECKS[name]?.(text, value);
}

/** Edit distance (Levenshtein), for "did you mean". */
function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let previous = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const current = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
            previous = current;
        }
    }
    return row[b.length];
}

/** The closest known name to `name`, when one is close enough to be a typo (a name it begins counts as closest). */
export function closestName(name: string, names: Iterable<string>): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of names) {
        const d = candidate.startsWith(name) && name.length >= 4 ? 1 : distance(name, candidate);
        if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) [best, bestDistance] = [candidate, d];
    }
    return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/** The catalogue a major is checked against and how it was made. */
export interface MajorCatalogue {
    /** Settings by name. */
    readonly parameters: ReadonlyMap<string, CatalogueEntry>;
    /** A note for messages when the catalogue is not that major's own dump. */
    readonly note: string;
}

/**
 * The settings of `version`: its own dump when these machines ran that major; otherwise the
 * nearest dumps merged (16: 15, then 17, then 18), whose version-specific names the
 * availability table (parameter-versions.ts) narrows first. An extension the major's dump
 * lacked (17 from trixie has no pgAudit or pgvector) is taken from the nearest dump that has it.
 */
export function catalogueFor(version: PostgresVersion): MajorCatalogue {
    const own = CATALOGUES.get(version);
    const nearest = [...CATALOGUES.values()].sort((a, b) => Math.abs(a.major - version) - Math.abs(b.major - version) || a.major - b.major);
    const order = own ? [own] : nearest;
    const parameters = new Map<string, CatalogueEntry>();
    for (const catalogue of order) {
        for (const [name, entry] of Object.entries(catalogue?.parameters ?? {})) if (!parameters.has(name)) parameters.set(name, entry);
    }
    const borrowed: string[] = [];
    for (const { library, prefixes } of Object.values(EXTENSION_PREFIXES)) {
        if (order.some((c) => c?.extensions.includes(library))) continue;
        const donor = nearest.find((c) => c.extensions.includes(library));
        if (!donor) continue;
        borrowed.push(`${library} from ${donor.major}`);
        for (const [name, entry] of Object.entries(donor.parameters)) {
            if (prefixes.some((p) => name.startsWith(p)) && !parameters.has(name)) parameters.set(name, entry);
        }
    }
    const base = own
        ? `PostgreSQL ${version}'s catalogue`
        : `the catalogues of PostgreSQL ${order.map((c) => c?.major).join(" and ")} (none of ${version} on these machines)`;
    return { parameters, note: borrowed.length > 0 ? `${base}, extensions ${borrowed.join(", ")}` : base };
}

/** What a parameter check needs of the spec. */
export interface ParameterContext {
    /** postgres.version. */
    readonly version: PostgresVersion;
    /** The stack's target. */
    readonly target: string;
    /** postgres.extensions. */
    readonly extensions: readonly ExtensionName[];
}

/** A postgres.parameters value as the server reads it from postgresql.conf: booleans as on/off. */
export function parameterText(value: string | number | boolean): string {
    if (typeof value === "boolean") return value ? "on" : "off";
    return String(value);
}

/** Why `name` is not a setting the stack may write, or undefined. */
function nameProblem(name: string, context: ParameterContext, catalogue: MajorCatalogue): string | undefined {
    if (DIRECTIVES.has(name)) return `is a configuration-file directive, not a parameter: the platform renders the whole postgresql.conf and includes nothing`;
    for (const [prefix, { target, what }] of Object.entries(TARGET_PREFIXES)) {
        if (name.startsWith(prefix)) return context.target === target ? undefined : `is ${what}; it means nothing on the ${context.target} target`;
    }
    const extension = (Object.entries(EXTENSION_PREFIXES) as [ExtensionName, { prefixes: readonly string[] }][]).find(([, e]) =>
        e.prefixes.some((p) => name.startsWith(p)),
    )?.[0];
    if (extension && !context.extensions.includes(extension)) {
        return `belongs to ${extension}, which is not in postgres.extensions, so the server would never read it`;
    }
    const unavailable = availabilityProblem(name, context.version);
    if (unavailable) return unavailable;
    const entry = catalogue.parameters.get(name);
    if (!entry) {
        // pgvector's settings are in no catalogue made here (no server with it): taken as written.
        if (extension === "pgvector") return undefined;
        const hint = closestName(name, catalogue.parameters.keys());
        return `is not a parameter of PostgreSQL ${context.version}${extension ? ` or ${extension}` : ""}${hint ? ` (did you mean ${hint}?)` : ""} [${catalogue.note}]`;
    }
    if (entry.file === false) return `cannot be set in postgresql.conf: the server fixes it (context ${entry.context})`;
    return undefined;
}

/**
 * Every problem of `postgres.parameters` as [name, message]: unknown or misspelt names (with
 * the closest one), directives, settings of absent extensions or of another target, settings
 * the server fixes, values it would refuse or misread, and the TLS floor.
 */
export function parameterProblems(parameters: Readonly<Record<string, string | number | boolean>>, context: ParameterContext): [string, string][] {
    const catalogue = catalogueFor(context.version);
    const problems: [string, string][] = [];
    for (const [name, raw] of Object.entries(parameters)) {
        const bad = nameProblem(name, context, catalogue);
        if (bad) {
            problems.push([name, bad]);
            continue;
        }
        const entry = catalogue.parameters.get(name);
        const text = parameterText(raw);
        let value: boolean | number | string | undefined;
        if (entry) {
            const parsed = parseSettingValue(text, entry);
            if (!parsed.ok) {
                problems.push([name, `${parsed.reason} (PostgreSQL ${context.version} reads ${describeType(entry.type, entry.unit)})`]);
                continue;
            }
            value = parsed.value;
        }
        const extra = VALUE_CHECKS[name]?.(text, value);
        if (extra) problems.push([name, extra]);
    }
    return problems;
}

function describeType(type: SettingType, unit: string | null | undefined): string {
    return unit ? `${type} in ${unit}` : type;
}

/** The catalogue entry of a setting the platform itself computes (for checking derived values). */
export function settingDescriptor(name: string, version: PostgresVersion): CatalogueEntry | undefined {
    return catalogueFor(version).parameters.get(name);
}
