import type { PlatformSpec } from "../config";
import { parseMemoryMb } from "../config/memory";
import { fixedParameterReason } from "../config/fixed-parameters";
import { PLATFORM_ROLES } from "../platform/constants";
import { filePaths, type RuntimeLayout } from "./layout";
import { hasFailoverSlots } from "./roles";
import { quoteIdentifier } from "../platform/identifiers";
import { sharedParameters } from "./parameters";
import { checkUserParameters, parameterAvailable } from "../config/parameter-versions";

/** What a PostgreSQL server is in the stack. */
export type ServerRole = "single" | "primary" | "replica";

/**
 * Where a rendered parameter comes from (CloudNativePG's split): `fixed` by the platform for
 * safety or wiring (stack config may not set it), a platform `default` (stack config may
 * override it), or `user`-set through `postgres.parameters`.
 */
export type ParameterSource = "fixed" | "default" | "user";

/** Order of the file's sections. */
const SOURCE_ORDER: readonly ParameterSource[] = ["fixed", "default", "user"];

/** One line of postgresql.conf. */
export interface RenderedParameter {
    /** Parameter name. */
    readonly name: string;
    /** Value as written (always single-quoted in the file). */
    readonly value: string;
    /** Where it comes from. */
    readonly source: ParameterSource;
}

/** Extra connections and slots beyond one per replica: backups, CDC connectors, a spare. */
const SPARE_WAL_SENDERS = 10;

/** The physical replication slot of replica N (1-based); slot names allow no dashes. */
export function replicaSlotName(n: number): string {
    return `replica_${n}`;
}

/**
 * libpq `sslmode` a replica streams with: with TLS on, `verify-full` against the stack's CA
 * (the primary's certificate names the host replicas reach it by), so a replica never sends
 * its replication password to an impostor; without TLS, `prefer`.
 */
export function replicationSslmode(spec: PlatformSpec): "verify-full" | "prefer" {
    return spec.postgres.tls.enabled ? "verify-full" : "prefer";
}

/** libpq connection string a replica streams from the primary with (password from its passfile). */
export function primaryConninfo(spec: PlatformSpec, layout: RuntimeLayout, n: number): string {
    const paths = filePaths(layout);
    return [
        `host=${layout.primary.host}`,
        `port=${layout.primary.port}`,
        `user=${PLATFORM_ROLES.replication}`,
        `passfile=${paths.replicationPassfile}`,
        `application_name=${replicaSlotName(n)}`,
        // Slot synchronisation (17+) reads the primary's slots through a database; streaming ignores it.
        ...(hasFailoverSlots(spec) ? [`dbname=${quoteIdentifier(spec.postgres.cdc.databases[0].name, "conninfo")}`] : []),
        `sslmode=${replicationSslmode(spec)}`,
        ...(spec.postgres.tls.enabled ? [`sslrootcert=${paths.tlsCa}`] : []),
    ].join(" ");
}

/** Base settings every server gets: logging, statistics, autovacuum, I/O. */
function baseParameters(spec: PlatformSpec): Record<string, string> {
    const shared = sharedParameters(spec);
    // pg_cron's default connects over TCP as the job owner, which SCRAM-only hba would make
    // need stored passwords; background workers run jobs without a connection.
    const cron: Record<string, string> = "cron.database_name" in shared ? { "cron.use_background_workers": "on", "cron.max_running_jobs": "4" } : {};
    return {
        ...shared,
        ...cron,
        // Containers log to stdout; a collector would hide logs from `docker logs`/kubectl.
        logging_collector: "off",
        log_destination: "stderr",
        log_line_prefix: "%m [%p] %q%u@%d app=%a client=%h ",
        log_timezone: "UTC",
        timezone: "UTC",
        log_checkpoints: "on",
        log_statement: "ddl",
        track_io_timing: "on",
        track_wal_io_timing: "on",
        track_activity_query_size: "4096",
        // A forgotten open transaction holds locks and blocks vacuum; pools make it likelier.
        idle_in_transaction_session_timeout: "10min",
        autovacuum: "on",
        autovacuum_max_workers: "3",
        autovacuum_naptime: "30s",
        autovacuum_vacuum_scale_factor: "0.05",
        autovacuum_analyze_scale_factor: "0.02",
        autovacuum_vacuum_insert_scale_factor: "0.1",
        autovacuum_vacuum_cost_limit: "1000",
        // 18: asynchronous I/O by worker processes; io_uring is often blocked by container seccomp.
        io_method: "worker",
        io_workers: "3",
    };
}

/** WAL, checkpoint and sender settings; identical on primary and replicas, as a standby requires. */
function walParameters(spec: PlatformSpec): Record<string, string> {
    const senders = String(spec.replicas + SPARE_WAL_SENDERS);
    return {
        wal_level: spec.postgres.cdc.enabled ? "logical" : "replica",
        wal_compression: "on",
        max_wal_size: "2GB",
        min_wal_size: "256MB",
        checkpoint_timeout: "15min",
        checkpoint_completion_target: "0.9",
        max_wal_senders: senders,
        max_replication_slots: senders,
        // A dead replica's or connector's slot is invalidated before it can fill the disk.
        max_slot_wal_keep_size: `${parseMemoryMb(spec.postgres.maxSlotWalKeepSize)}MB`,
        wal_sender_timeout: "60s",
    };
}

function roleParameters(spec: PlatformSpec, role: ServerRole, layout: RuntimeLayout, replica: number): Record<string, string> {
    if (role !== "replica") {
        // A CDC connector is sent only what every replica has confirmed, so a promoted replica's
        // synced slot is never behind the position the connector saw (17+).
        return hasFailoverSlots(spec) ? { synchronized_standby_slots: Array.from({ length: spec.replicas }, (_, i) => replicaSlotName(i + 1)).join(",") } : {};
    }
    return {
        // Failover slots: keep a copy of the CDC slots, at the position the connector confirmed (17+).
        ...(hasFailoverSlots(spec) ? { sync_replication_slots: "on" } : {}),
        hot_standby: "on",
        // Report the oldest snapshot so the primary's vacuum keeps what replica queries read.
        hot_standby_feedback: "on",
        max_standby_streaming_delay: "30s",
        wal_receiver_status_interval: "10s",
        primary_conninfo: primaryConninfo(spec, layout, replica),
        primary_slot_name: replicaSlotName(replica),
    };
}

function placementParameters(spec: PlatformSpec, layout: RuntimeLayout): Record<string, string> {
    const paths = filePaths(layout);
    const params: Record<string, string> = {
        listen_addresses: layout.listenAddress,
        port: String(layout.postgresPort),
        hba_file: paths.pgHbaConf,
    };
    if (spec.postgres.tls.enabled) {
        Object.assign(params, { ssl: "on", ssl_cert_file: paths.tlsCert, ssl_key_file: paths.tlsKey, ssl_min_protocol_version: "TLSv1.2" });
    }
    return params;
}

/** A `postgres.parameters` value as PostgreSQL reads it: booleans as `on`/`off`, the rest as written. */
export function formatParameterValue(value: string | number | boolean): string {
    if (typeof value === "boolean") return value ? "on" : "off";
    return String(value);
}

/**
 * Every parameter postgresql.conf sets for a server, in file order: platform settings (fixed
 * and defaulted) first, the user's `postgres.parameters` last. Settings the spec's major lacks
 * are left out; a user parameter the major lacks is a ConfigError. Memory settings are absent
 * on purpose: the image's auto-tuning passes them as `-c` flags, which override this file.
 *
 * @param replica replica number (1-based) when `role` is `replica`. Default: 1.
 */
export function postgresqlParameters(spec: PlatformSpec, role: ServerRole, layout: RuntimeLayout, replica = 1): RenderedParameter[] {
    const version = spec.postgres.version;
    checkUserParameters(spec.postgres.parameters, version);
    const user = spec.postgres.parameters;
    const platform = {
        ...placementParameters(spec, layout),
        ...baseParameters(spec),
        ...walParameters(spec),
        ...roleParameters(spec, role, layout, replica),
    };
    const rendered: RenderedParameter[] = Object.entries(platform)
        .filter(([name]) => parameterAvailable(name, version) && !(name in user))
        .map(([name, value]) => ({ name, value, source: fixedParameterReason(name) ? "fixed" : "default" }));
    for (const [name, value] of Object.entries(user)) rendered.push({ name, value: formatParameterValue(value), source: "user" });
    return rendered.sort((a, b) => SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source));
}

const quote = (value: string) => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;

const SECTION_TITLES: Readonly<Record<ParameterSource, string>> = {
    fixed: "Fixed by the platform (stack config cannot change these)",
    default: "Platform defaults (override with pg-platform:postgres.parameters)",
    user: "From pg-platform:postgres.parameters",
};

/** postgresql.conf for one server; see {@link postgresqlParameters} for what it holds. */
export function renderPostgresqlConf(spec: PlatformSpec, role: ServerRole, layout: RuntimeLayout, replica = 1): string {
    const params = postgresqlParameters(spec, role, layout, replica);
    const lines = [
        `# postgresql.conf for the ${role === "replica" ? `replica ${replica}` : role} server, PostgreSQL ${spec.postgres.version}.`,
        "# Rendered by pg-platform: edit the stack config, not this file.",
        "# Memory settings (shared_buffers, work_mem, ...) come from the image's auto-tuning as -c flags.",
    ];
    for (const source of SOURCE_ORDER) {
        const section = params.filter((p) => p.source === source);
        if (section.length === 0) continue;
        lines.push("", `# ${SECTION_TITLES[source]}`);
        for (const p of section) lines.push(`${p.name} = ${quote(p.value)}`);
    }
    return `${lines.join("\n")}\n`;
}
