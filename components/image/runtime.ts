/**
 * How a container runs the platform image: where its scripts are, what they read from the
 * environment and which arguments they take. Targets import these instead of repeating paths.
 * Pure: no Pulumi import.
 */
import type { PlatformSpec } from "../config";
import { extensionSqlName } from "../platform/constants";
import { CONTAINER_LAYOUT, filePaths } from "../render/layout";
import { preloadLibraries } from "../render/parameters";

/** Directory the image installs its scripts into (on PATH). */
const SCRIPT_DIR = "/usr/local/bin";

/**
 * The image's entrypoint, the project's own runtime end to end: on an empty data directory it
 * runs initdb (SCRAM, the superuser's password from its file), then on every start of a
 * non-standby cluster the init SQL, and finally execs `postgres` with the auto-tuned `-c`
 * flags. Give it `postgres` and any options.
 */
export const ENTRYPOINT_PATH = `${SCRIPT_DIR}/docker-auto-config-entrypoint.sh`;

/** The healthcheck script (the image's default HEALTHCHECK runs it without arguments). */
export const HEALTHCHECK_PATH = `${SCRIPT_DIR}/healthcheck.sh`;

/**
 * The replica bootstrap. Use it as the replica container's entrypoint, followed by
 * {@link ENTRYPOINT_PATH} and `postgres ...`: it clones the primary into an empty data
 * directory, then execs the rest of its arguments.
 */
export const REPLICA_BOOTSTRAP_PATH = `${SCRIPT_DIR}/replica-bootstrap.sh`;

/**
 * The major-version upgrade (`upgrade-cluster.sh [--rehearse] OLD NEW [ROOT]`): pg_upgrade
 * --check, then --link, of ROOT/OLD/docker into ROOT/NEW/docker, in a container with both
 * majors' binaries and the server stopped. The entrypoint runs it when {@link UPGRADE_FROM_ENV}
 * names the major of the cluster it finds on the volume; `--rehearse` is run by hand.
 */
export const UPGRADE_CLUSTER_PATH = `${SCRIPT_DIR}/upgrade-cluster.sh`;

/**
 * The environment variable (`postgres.upgradeFrom`) naming the major of the cluster a writer's
 * entrypoint upgrades with {@link UPGRADE_CLUSTER_PATH} before it starts. Unset, a server that
 * finds an older major's cluster on its volume refuses to start.
 */
export const UPGRADE_FROM_ENV = "PG_UPGRADE_FROM";

/**
 * The runtime scripts' shared functions (die, say, wants_no_server), sourced (not run) from
 * beside them: a container that carries one of the scripts needs this file in the same directory.
 */
export const SCRIPT_LIB_PATH = `${SCRIPT_DIR}/lib.sh`;

/** A scheduled backup (`backup.sh full|diff`, then expire), run as postgres beside the writer's data and socket. */
export const BACKUP_SCRIPT_PATH = `${SCRIPT_DIR}/backup.sh`;

/** The scheduled restore verification (`verify-restore.sh`), run as postgres beside the writer's socket. */
export const VERIFY_RESTORE_PATH = `${SCRIPT_DIR}/verify-restore.sh`;

/**
 * The init SQL re-apply. The entrypoint runs it with the server's command before starting
 * PostgreSQL: on an existing, non-standby cluster it applies the init SQL file through a
 * socket-only temporary server, so roles, databases, extensions and slots added to the config
 * later are created too (initdb runs the file only on an empty data directory).
 */
export const APPLY_INIT_SQL_PATH = `${SCRIPT_DIR}/apply-init-sql.sh`;

/**
 * Environment the entrypoint reads to create a cluster: where the data lives, the file holding
 * the superuser's password (never the password itself), and the superuser's name.
 */
export const SERVER_ENV = { pgdata: "PGDATA", passwordFile: "POSTGRES_PASSWORD_FILE", user: "POSTGRES_USER" } as const;

/**
 * The environment variable naming the init SQL file for {@link APPLY_INIT_SQL_PATH}, set on
 * writer containers (primary and single node; a standby skips it anyway) to the file targets
 * install (`filePaths(CONTAINER_LAYOUT).initSql`). Unset, nothing is re-applied.
 */
export const INIT_SQL_ENV = { name: "PG_PLATFORM_INIT_SQL", value: filePaths(CONTAINER_LAYOUT).initSql } as const;

/**
 * Where a writer's WAL archive volume is mounted. The image creates it owned by postgres
 * (mode 0700) so a fresh named volume inherits that ownership and archiving can write to it.
 */
export const WAL_ARCHIVE_DIR = "/var/lib/postgresql-wal-archive";

/** Environment the auto-tuning entrypoint reads; all optional. */
export const AUTO_CONFIG_ENV = {
    /** Memory in whole MB, instead of the cgroup limit or /proc/meminfo (1..1048576; under 512 is refused). */
    memory: "POSTGRES_MEMORY",
    /** Workload profile `web`, `oltp` or `dw`. Default: none (the documented rules unchanged). */
    workload: "POSTGRES_WORKLOAD",
    /** Storage profile `ssd` or `hdd`. Default: none. */
    storage: "POSTGRES_STORAGE",
    /** Where cgroup v2 `memory.max` and `cpu.max` are read. Default: `/sys/fs/cgroup`. */
    cgroupRoot: "PG_AUTOCONFIG_CGROUP_ROOT",
    /** Where MemTotal is read. Default: `/proc/meminfo`. */
    meminfo: "PG_AUTOCONFIG_MEMINFO",
    /** CPU count used instead of `nproc` when cgroup sets no CPU quota. Default: `nproc`. */
    nproc: "PG_AUTOCONFIG_NPROC",
} as const;

/**
 * Settings the entrypoint tunes (io_workers on 18+ only; WAL sizes and I/O costs only with a
 * profile). A container command that passes one of them as `-c name=value` keeps its value:
 * that is how a target lets `postgres.parameters` win over the tuning.
 */
export const AUTO_TUNED_PARAMETERS = [
    "max_connections",
    "shared_buffers",
    "effective_cache_size",
    "maintenance_work_mem",
    "work_mem",
    "max_worker_processes",
    "max_parallel_workers",
    "max_parallel_workers_per_gather",
    "max_parallel_maintenance_workers",
    "io_workers",
    "min_wal_size",
    "max_wal_size",
    "random_page_cost",
    "effective_io_concurrency",
] as const;

/** Environment the replica bootstrap reads. */
export const REPLICA_BOOTSTRAP_ENV = {
    /** Primary's host name. Required. */
    primaryHost: "PRIMARY_HOST",
    /** Primary's port. Default: 5432. */
    primaryPort: "PRIMARY_PORT",
    /** Role with REPLICATION. Default: `replicator`. */
    user: "REPLICATION_USER",
    /** File holding that role's password (a mounted secret). Required. */
    passwordFile: "REPLICATION_PASSWORD_FILE",
    /** The primary's physical slot this replica streams from. Required. */
    slot: "REPLICATION_SLOT",
    /** libpq password file the script writes (0600) and primary_conninfo names. Default: `<parent of PGDATA>/replication.pgpass`. */
    passfile: "REPLICATION_PASSFILE",
    /** libpq sslmode for replication. Default: `prefer`. */
    sslmode: "PRIMARY_SSLMODE",
    /** Seconds to wait for the primary before failing. Default: 300. */
    waitSeconds: "PRIMARY_WAIT_SECONDS",
} as const;

/** What a server is, for the healthcheck's recovery test. */
export type HealthRole = "single" | "primary" | "replica";

/**
 * Arguments for {@link HEALTHCHECK_PATH} on a server of this spec: its role (a single node
 * must not be in recovery either), the extensions the image must ship and the libraries that
 * must be preloaded.
 */
export function healthcheckArgs(spec: PlatformSpec, role: HealthRole): string[] {
    const available = spec.postgres.extensions.map(extensionSqlName).filter((name): name is string => name !== undefined);
    const preloaded = preloadLibraries(spec);
    const args = ["--role", role === "replica" ? "replica" : "primary"];
    if (available.length > 0) args.push("--available", available.join(","));
    if (preloaded.length > 0) args.push("--preloaded", preloaded.join(","));
    return args;
}

/**
 * The restore-as-configuration step (`backup.restore`). Use it as the writer container's
 * entrypoint, followed by {@link ENTRYPOINT_PATH} and `postgres ...`: it fills an empty data
 * directory from a pgBackRest repository, then execs the rest of its arguments.
 */
export const RESTORE_PATH = `${SCRIPT_DIR}/restore-from-backup.sh`;

/** The environment {@link RESTORE_PATH} reads (see the script's header). */
export const RESTORE_ENV = {
    type: "PG_PLATFORM_RESTORE_TYPE",
    target: "PG_PLATFORM_RESTORE_TARGET",
    config: "PG_PLATFORM_RESTORE_CONFIG",
    configPath: "PG_PLATFORM_RESTORE_CONFIG_PATH",
    stanza: "PG_PLATFORM_RESTORE_STANZA",
} as const;
