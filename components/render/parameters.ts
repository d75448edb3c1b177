import { PASSWORD_ENCRYPTION, PRELOAD_EXTENSIONS } from "../platform/constants";
import type { PlatformSpec } from "../config";
import { EXPLAIN_FACTOR } from "../config/derived-settings";

/** Order preloads are written in: statistics first, so they see the other modules' queries. */
const PRELOAD_ORDER = ["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit"] as const;

/** The libraries `shared_preload_libraries` lists for the spec's extensions, in a stable order. */
export function preloadLibraries(spec: PlatformSpec): string[] {
    return PRELOAD_ORDER.filter((name) => PRELOAD_EXTENSIONS.includes(name) && spec.postgres.extensions.includes(name));
}

/**
 * Server parameters that mean the same on every target, self-hosted or managed (an RDS
 * parameter group, Cloud SQL flags): authentication, preloads and their settings, logging.
 * Values are plain strings in each parameter's default unit, as parameter groups want them.
 * File paths, listening, memory and replication wiring are per target and live elsewhere.
 */
export function sharedParameters(spec: PlatformSpec): Record<string, string> {
    const preloads = preloadLibraries(spec);
    const slow = spec.postgres.slowQueryMs;
    const params: Record<string, string> = {
        password_encryption: PASSWORD_ENCRYPTION,
        log_min_duration_statement: String(slow),
        log_connections: "on",
        log_disconnections: "on",
        log_lock_waits: "on",
        log_temp_files: "0",
        log_autovacuum_min_duration: "1000",
    };
    if (preloads.length > 0) params.shared_preload_libraries = preloads.join(",");
    if (preloads.includes("pg_stat_statements")) {
        params["pg_stat_statements.max"] = "10000";
        params["pg_stat_statements.track"] = "top";
    }
    if (preloads.includes("auto_explain")) {
        params["auto_explain.log_min_duration"] = slow < 0 ? "-1" : String(slow * EXPLAIN_FACTOR);
        params["auto_explain.log_analyze"] = "off";
        params["auto_explain.log_format"] = "text";
    }
    if (preloads.includes("pgaudit")) {
        params["pgaudit.log"] = spec.postgres.auditLog;
        params["pgaudit.log_catalog"] = "off";
        params["pgaudit.log_parameter"] = "off";
    }
    if (preloads.includes("pg_cron")) params["cron.database_name"] = spec.postgres.databases[0].name;
    return params;
}
