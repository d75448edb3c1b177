/**
 * The RDS parameter group of a spec. Pure: no Pulumi import.
 */
import { parseMemoryMb } from "../../config/memory";
import type { PlatformSpec } from "../../config";
import { RDS_ACCEPTED_PASSWORD_AUTH_METHOD, type PostgresVersion } from "../../platform/constants";
import { sharedParameters } from "../../render/parameters";

/** The parameter group family of a major version, e.g. `postgres17`. */
export function rdsFamily(version: PostgresVersion): string {
    return `postgres${version}`;
}

/**
 * Values the supported families (postgres15 to postgres18) already have. AWS reports a
 * parameter set to its default as unmodified, so the provider would show it as missing on
 * every preview (hashicorp/terraform-provider-aws#22857): such parameters are left out of
 * the group, and the instance runs them anyway. `rds.force_ssl` is 1 and `password_encryption`
 * is scram-sha-256 by default from postgres15, which is why TLS and SCRAM hashing hold on RDS
 * without appearing in the group.
 */
export const RDS_FAMILY_DEFAULTS: Readonly<Record<string, string>> = {
    "rds.force_ssl": "1",
    password_encryption: "scram-sha-256",
    "rds.logical_replication": "0",
    shared_preload_libraries: "pg_stat_statements",
    log_min_duration_statement: "-1",
    "pg_stat_statements.track": "top",
    "auto_explain.log_min_duration": "-1",
    "auto_explain.log_analyze": "0",
    "auto_explain.log_format": "text",
    "pgaudit.log_parameter": "0",
    "cron.database_name": "postgres",
};

/** Defaults that changed with a major version (PostgreSQL 18 logs lock waits by default). */
const VERSION_DEFAULTS: Readonly<Partial<Record<PostgresVersion, Readonly<Record<string, string>>>>> = {
    18: { log_lock_waits: "1" },
};

/** The family default of a parameter, when the platform knows it. */
export function rdsDefault(version: PostgresVersion, name: string): string | undefined {
    return VERSION_DEFAULTS[version]?.[name] ?? RDS_FAMILY_DEFAULTS[name];
}

/**
 * Parameters that take effect only at server start (postmaster context); RDS refuses
 * `immediate` for them. Everything else applies immediately.
 */
export const RDS_STATIC_PARAMETERS: ReadonlySet<string> = new Set([
    "shared_preload_libraries",
    "rds.logical_replication",
    "cron.database_name",
    "cron.use_background_workers",
    "pg_stat_statements.max",
    "max_connections",
    "shared_buffers",
    "max_worker_processes",
    "max_wal_senders",
    "max_replication_slots",
    "max_locks_per_transaction",
    "max_prepared_transactions",
    "wal_buffers",
    "track_activity_query_size",
    "huge_pages",
]);

/** One entry of an RDS parameter group. */
export interface RdsParameter {
    /** Parameter name. */
    readonly name: string;
    /** Value as RDS stores it. */
    readonly value: string;
    /** `pending-reboot` for static parameters, else `immediate`. */
    readonly applyMethod: "immediate" | "pending-reboot";
}

/** Booleans as RDS reports them, so "on" and "1" compare equal. */
function normalise(value: string): string {
    const lower = value.trim().toLowerCase();
    if (["on", "true", "1"].includes(lower)) return "1";
    if (["off", "false", "0"].includes(lower)) return "0";
    return lower;
}

/** RDS lists PostgreSQL booleans as 1 / 0; writing them so keeps the group free of diffs. */
function rdsBoolean(value: string): string {
    const lower = value.trim().toLowerCase();
    if (lower === "on" || lower === "true") return "1";
    if (lower === "off" || lower === "false") return "0";
    return value;
}

/**
 * The settings the group must carry before family defaults are dropped: the shared
 * parameters, SCRAM-only logins, logical replication for CDC, the slot WAL bound, then the
 * stack's own parameters (last, so they win; the fixed ones were refused by validation).
 */
export function rdsDesiredParameters(spec: PlatformSpec): Record<string, string> {
    const desired: Record<string, string> = {
        ...sharedParameters(spec),
        "rds.force_ssl": "1",
        "rds.accepted_password_auth_method": RDS_ACCEPTED_PASSWORD_AUTH_METHOD,
        "rds.logical_replication": spec.postgres.cdc.enabled ? "1" : "0",
        // RDS takes this one in MB; parseSpec has proven the size parses.
        max_slot_wal_keep_size: String(parseMemoryMb(spec.postgres.maxSlotWalKeepSize)),
    };
    for (const [name, value] of Object.entries(spec.postgres.parameters)) desired[name] = String(value);
    return desired;
}

/** The parameter group's entries: the desired settings minus family defaults, sorted by name. */
export function rdsParameters(spec: PlatformSpec): RdsParameter[] {
    const version = spec.postgres.version;
    return Object.entries(rdsDesiredParameters(spec))
        .filter(([name, value]) => {
            const fallback = rdsDefault(version, name);
            return fallback === undefined || normalise(fallback) !== normalise(value);
        })
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value: rdsBoolean(value), applyMethod: RDS_STATIC_PARAMETERS.has(name) ? "pending-reboot" : "immediate" }));
}
