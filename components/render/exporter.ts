import { stringify } from "yaml";
import type { PlatformSpec } from "../config";
import { BACKUP_VERIFICATION_TABLE, PLATFORM_ROLES } from "../platform/constants";
import { filePaths, type RuntimeLayout } from "./layout";

/** Metric name prefix of the platform's custom queries (kept apart from the exporter's own `pg_*`). */
export const EXPORTER_METRIC_PREFIX = "pg_platform";

interface QueryMetric {
    readonly usage: "LABEL" | "GAUGE" | "COUNTER";
    readonly description: string;
}

interface CustomQuery {
    readonly query: string;
    readonly master: true;
    readonly metrics: readonly Record<string, QueryMetric>[];
}

const label = (description: string): QueryMetric => ({ usage: "LABEL", description });
const gauge = (description: string): QueryMetric => ({ usage: "GAUGE", description });

/** Current WAL position on a primary, last received on a standby: valid on both. */
const WAL_POSITION = "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END";

const VERIFICATION_TABLE = `${BACKUP_VERIFICATION_TABLE.schema}.${BACKUP_VERIFICATION_TABLE.table}`;

/**
 * The exporter's custom queries (postgres_exporter `queries.yaml` format), valid on
 * PostgreSQL 15–18 and readable with `pg_monitor` alone.
 */
export const EXPORTER_QUERIES: Readonly<Record<string, CustomQuery>> = {
    [`${EXPORTER_METRIC_PREFIX}_replication`]: {
        query:
            "SELECT application_name AS replica, COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)::float8 AS replay_lag_seconds, " +
            "COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::float8 AS replay_lag_bytes " +
            "FROM pg_stat_replication WHERE NOT pg_is_in_recovery()",
        master: true,
        metrics: [
            { replica: label("application_name of the standby (the replica's slot name)") },
            { replay_lag_seconds: gauge("Time since the standby last replayed WAL the primary flushed (0 when caught up)") },
            { replay_lag_bytes: gauge("WAL bytes the standby has not replayed yet") },
        ],
    },
    [`${EXPORTER_METRIC_PREFIX}_replication_slot`]: {
        query:
            `SELECT slot_name, slot_type, active::int AS active, COALESCE(pg_wal_lsn_diff(${WAL_POSITION}, restart_lsn), 0)::float8 AS retained_bytes, ` +
            "COALESCE(safe_wal_size, -1)::float8 AS safe_wal_size_bytes FROM pg_replication_slots",
        master: true,
        metrics: [
            { slot_name: label("Replication slot") },
            { slot_type: label("physical or logical") },
            { active: gauge("1 when a consumer is connected") },
            { retained_bytes: gauge("WAL the slot keeps on disk") },
            { safe_wal_size_bytes: gauge("WAL that can still be written before the slot is invalidated (-1: unbounded)") },
        ],
    },
    [`${EXPORTER_METRIC_PREFIX}_connections`]: {
        query:
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::float8 AS used, " +
            "current_setting('max_connections')::float8 AS max, current_setting('superuser_reserved_connections')::float8 AS reserved",
        master: true,
        metrics: [{ used: gauge("Client connections open") }, { max: gauge("max_connections") }, { reserved: gauge("Connections reserved for superusers") }],
    },
    [`${EXPORTER_METRIC_PREFIX}_postmaster`]: {
        query:
            "SELECT EXTRACT(EPOCH FROM pg_postmaster_start_time())::float8 AS start_time_seconds, " +
            "EXTRACT(EPOCH FROM now() - pg_postmaster_start_time())::float8 AS uptime_seconds",
        master: true,
        metrics: [{ start_time_seconds: gauge("Unix time the server started") }, { uptime_seconds: gauge("Seconds since the server started") }],
    },
    [`${EXPORTER_METRIC_PREFIX}_database`]: {
        query: "SELECT datname, pg_database_size(datname)::float8 AS size_bytes FROM pg_database WHERE datallowconn AND NOT datistemplate",
        master: true,
        metrics: [{ datname: label("Database") }, { size_bytes: gauge("Disk space the database uses") }],
    },
    // The latest restore verification (backup.verify); no row (never run) gives no sample.
    [`${EXPORTER_METRIC_PREFIX}_backup_verification`]: {
        query:
            "SELECT success::int::float8 AS success, EXTRACT(EPOCH FROM finished_at)::float8 AS last_run_timestamp_seconds, " +
            `COALESCE(restore_seconds, -1)::float8 AS restore_seconds, duration_seconds::float8 AS duration_seconds, ` +
            `COALESCE((SELECT EXTRACT(EPOCH FROM max(finished_at)) FROM ${VERIFICATION_TABLE} WHERE success), 0)::float8 AS last_success_timestamp_seconds ` +
            `FROM ${VERIFICATION_TABLE} ORDER BY finished_at DESC LIMIT 1`,
        master: true,
        metrics: [
            { success: gauge("1 when the latest restore verification passed, 0 when it failed") },
            { last_run_timestamp_seconds: gauge("Unix time the latest restore verification finished") },
            { restore_seconds: gauge("Seconds the latest verification took to restore the backup and open it (-1: it did not get that far)") },
            { duration_seconds: gauge("Seconds the latest restore verification took in all") },
            { last_success_timestamp_seconds: gauge("Unix time of the latest successful restore verification (0: none yet)") },
        ],
    },
    [`${EXPORTER_METRIC_PREFIX}_memory_setting`]: {
        query:
            "SELECT name AS setting, source, (setting::numeric * CASE unit WHEN '8kB' THEN 8192 WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 ELSE 1 END)::float8 AS bytes " +
            "FROM pg_settings WHERE name IN ('shared_buffers', 'effective_cache_size', 'maintenance_work_mem', 'work_mem')",
        master: true,
        metrics: [
            { setting: label("Memory parameter the image's auto-tuning sets") },
            { source: label("Where the value came from (command line: the auto-tuning)") },
            { bytes: gauge("Value in bytes") },
        ],
    },
};

/** queries.yaml for postgres_exporter's `--extend.query-path`. */
export function renderExporterQueries(): string {
    return `# postgres_exporter custom queries, rendered by pg-platform.\n${stringify(EXPORTER_QUERIES, { lineWidth: 0 })}`;
}

/** Environment of the exporter: where the primary is, as whom, and the password file. */
export function exporterEnvironment(spec: PlatformSpec, layout: RuntimeLayout): Record<string, string> {
    return {
        DATA_SOURCE_URI: `${layout.primary.host}:${layout.primary.port}/postgres?sslmode=${spec.postgres.tls.enabled ? "require" : "disable"}`,
        DATA_SOURCE_USER: PLATFORM_ROLES.exporter,
        DATA_SOURCE_PASS_FILE: filePaths(layout).exporterPassword,
    };
}

/** Command-line flags of the exporter (the image's entrypoint is the exporter itself). */
export function exporterArgs(layout: RuntimeLayout): string[] {
    const host = layout.listenAddress === "*" ? "" : layout.listenAddress;
    return [`--extend.query-path=${filePaths(layout).exporterQueries}`, `--web.listen-address=${host}:${layout.exporterPort}`];
}
