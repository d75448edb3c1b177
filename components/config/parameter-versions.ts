import { ConfigError } from "./errors";
import { PROJECT, POSTGRES_VERSIONS, type PostgresVersion } from "../platform/constants";

/** The first and last major that know a parameter (absent: every supported major). */
interface Availability {
    readonly since?: PostgresVersion;
    readonly until?: PostgresVersion;
    /** The name the next major knows it by, when it was renamed rather than removed. */
    readonly renamedTo?: string;
}

const since = (version: PostgresVersion, names: readonly string[]) => names.map((name) => [name, { since: version }] as const);
const until = (version: PostgresVersion, names: readonly string[]) => names.map((name) => [name, { until: version }] as const);

/**
 * Server parameters that exist in only some of the supported majors (15–18), from the
 * release notes; the integration suite cross-checks it against real 15 and 18 binaries, and
 * the config layer reads it before the catalogues (parameters.ts) for majors without their own.
 * Anything not listed exists in every supported major (or is an extension's `x.y` setting).
 */
export const PARAMETER_AVAILABILITY: ReadonlyMap<string, Availability> = new Map<string, Availability>([
    ...since(16, [
        "createrole_self_grant",
        "enable_presorted_aggregate",
        "gss_accept_delegation",
        "icu_validation_level",
        "max_parallel_apply_workers_per_subscription",
        "reserved_connections",
        "scram_iterations",
        "vacuum_buffer_usage_limit",
    ]),
    ...since(17, [
        "allow_alter_system",
        "commit_timestamp_buffers",
        "enable_group_by_reordering",
        "event_triggers",
        "io_combine_limit",
        "max_notify_queue_pages",
        "multixact_member_buffers",
        "multixact_offset_buffers",
        "notify_buffers",
        "serializable_buffers",
        "subtransaction_buffers",
        "summarize_wal",
        "sync_replication_slots",
        "synchronized_standby_slots",
        "transaction_buffers",
        "transaction_timeout",
        // Arrived in a 17 minor release (17.12, dumped in catalogue/pg17.json, has it).
        "file_extend_method",
        "wal_summary_keep_time",
    ]),
    ...since(18, [
        "autovacuum_vacuum_max_threshold",
        "autovacuum_worker_slots",
        "enable_distinct_reordering",
        "enable_self_join_elimination",
        "extension_control_path",
        "file_copy_method",
        "idle_replication_slot_timeout",
        "io_max_combine_limit",
        "io_max_concurrency",
        "io_method",
        "io_workers",
        "log_lock_failures",
        "max_active_replication_origins",
        "md5_password_warnings",
        "oauth_validator_libraries",
        "ssl_groups",
        "ssl_tls13_ciphers",
        "track_cost_delay_timing",
        "vacuum_max_eager_freeze_failure_rate",
        "vacuum_truncate",
    ]),
    ...until(15, ["promote_trigger_file", "vacuum_defer_cleanup_age"]),
    ...until(16, ["db_user_namespace", "old_snapshot_threshold"]),
    // 18 renamed it to ssl_groups; the old name is still read as an alias, but is refused here
    // so files use the name 18 lists.
    ["ssl_ecdh_curve", { until: 17, renamedTo: "ssl_groups" }],
]);

/** Whether PostgreSQL `version` knows the parameter `name`. */
export function parameterAvailable(name: string, version: PostgresVersion): boolean {
    const availability = PARAMETER_AVAILABILITY.get(name);
    if (!availability) return true;
    return (availability.since ?? POSTGRES_VERSIONS[0]) <= version && version <= (availability.until ?? POSTGRES_VERSIONS[POSTGRES_VERSIONS.length - 1]);
}

/**
 * Why `name` is not a parameter of PostgreSQL `version` by this table (added later, removed or
 * renamed earlier), or undefined.
 */
export function availabilityProblem(name: string, version: PostgresVersion): string | undefined {
    if (parameterAvailable(name, version)) return undefined;
    const { since: first, until: last, renamedTo } = PARAMETER_AVAILABILITY.get(name) ?? {};
    if (renamedTo && last !== undefined && version > last) {
        return `is named ${renamedTo} from PostgreSQL ${last + 1}, and postgres.version is ${version}: set ${renamedTo} instead`;
    }
    const range = first ? `from PostgreSQL ${first}` : `up to PostgreSQL ${last}`;
    return `exists only ${range}, and postgres.version is ${version}`;
}

/** Throws a ConfigError naming every user parameter the chosen major does not have. */
export function checkUserParameters(parameters: Readonly<Record<string, unknown>>, version: PostgresVersion): void {
    const problems = Object.keys(parameters).flatMap((name) => {
        const problem = availabilityProblem(name, version);
        return problem ? [`${PROJECT}:postgres.parameters.${name}: ${problem}`] : [];
    });
    if (problems.length > 0) throw new ConfigError(problems);
}
