// How a PostgreSQL server runs on the self-hosted targets: mounts, the secret files beside the
// rendered ones, and the server's command. Pure: no Pulumi import.
import { AUTO_TUNED_PARAMETERS, INIT_SQL_ENV, SERVER_ENV, UPGRADE_FROM_ENV, WAL_ARCHIVE_DIR } from "../image/runtime";
import { CONTAINER_LAYOUT, filePaths } from "../render/layout";
import { formatParameterValue } from "../render/postgresql-conf";
import { pgbackrestArchiveCommand } from "../render/pgbackrest";
import type { PlatformSpec } from "../config";
import { restoreEnvironment, type EnvironmentVariable } from "./restore";

/**
 * Where a PostgreSQL container's data volume is mounted. The official image's VOLUME: from 18
 * PGDATA is `/var/lib/postgresql/<major>/docker` beneath it (so `pg_upgrade --link` can work
 * across majors on one volume); mounting the parent keeps PGDATA inside the volume.
 */
export const DATA_MOUNT = "/var/lib/postgresql";

/** Where the backup volume (pgBackRest's `volume` repository) is mounted when `backup.enabled`: the image's own archive folder. */
export const WAL_ARCHIVE_MOUNT = WAL_ARCHIVE_DIR;

/** Folder of secret files the Docker target adds beside the rendered ones (mode 0600). */
export const SECRET_DIR = "/run/pg-platform";

/** Secret files the Docker target uploads itself, for the images' `_FILE` variables. */
export const SECRET_FILES = {
    /** The superuser's password, for the image's initdb (`POSTGRES_PASSWORD_FILE`). */
    superuserPassword: `${SECRET_DIR}/superuser.password`,
    /** The replication role's password, for the replica bootstrap (`REPLICATION_PASSWORD_FILE`). */
    replicationPassword: `${SECRET_DIR}/replication.password`,
} as const;

/**
 * The PostgreSQL container's command (after the image's auto-tuning entrypoint): the rendered
 * postgresql.conf; WAL archiving through pgBackRest on a writer when `backup.enabled`
 * (the volume's path is this target's, so the flags are too); and each user parameter the
 * entrypoint would otherwise tune, as a `-c` flag, because the entrypoint's flags override
 * every file and it leaves alone only settings it is given.
 */
export function postgresCommand(spec: PlatformSpec, server: "writer" | "replica"): string[] {
    const tuned = new Set<string>(AUTO_TUNED_PARAMETERS);
    const flags: string[] = [];
    if (server === "writer" && spec.backup.enabled) {
        // pgBackRest pushes each segment into the repository (pgbackrest.conf, rendered beside
        // postgresql.conf); archive_timeout switches segment on an idle writer, so the last
        // writes reach the repository within it (the RPO when the data volume is lost).
        flags.push(
            "-c",
            "archive_mode=on",
            "-c",
            `archive_command=${pgbackrestArchiveCommand(CONTAINER_LAYOUT)}`,
            "-c",
            `archive_timeout=${spec.backup.archiveTimeoutSeconds}`,
        );
    }
    for (const [name, value] of Object.entries(spec.postgres.parameters)) {
        if (tuned.has(name)) flags.push("-c", `${name}=${formatParameterValue(value)}`);
    }
    return ["postgres", "-c", `config_file=${filePaths(CONTAINER_LAYOUT).postgresqlConf}`, ...flags];
}

/**
 * Environment of a writer (primary or single node): the superuser's password file for initdb,
 * the init SQL re-applied on every start of an existing cluster (so config changes converge),
 * and `postgres.upgradeFrom` for the entrypoint's pg_upgrade when it is set.
 */
export function writerEnvironment(spec: PlatformSpec): EnvironmentVariable[] {
    const upgrade = spec.postgres.upgradeFrom === undefined ? [] : [{ name: UPGRADE_FROM_ENV, value: String(spec.postgres.upgradeFrom) }];
    return [{ name: SERVER_ENV.passwordFile, value: SECRET_FILES.superuserPassword }, { ...INIT_SQL_ENV }, ...upgrade, ...restoreEnvironment(spec)];
}
