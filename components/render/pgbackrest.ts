// pgbackrest.conf for a writer on the self-hosted targets (issue 13): the repository (a volume
// of the stack, or S3-compatible object storage), retention, compression, and the stanza of the
// stack's cluster. Pure: no Pulumi import. Credentials never appear here: an S3 repository's
// keys (and a cipher pass) reach pgBackRest as PGBACKREST_* environment variables from secrets.
import { retentionFullDays } from "../config/backup";
import type { PlatformSpec } from "../config";
import { PROJECT } from "../platform/constants";
import { SUPERUSER } from "../platform/identifiers";
import type { RuntimeLayout } from "./layout";

/** The pgBackRest stanza every stack's cluster is backed up under (one cluster per repository). */
export const BACKUP_STANZA = PROJECT;

/** The pgBackRest version the stand-in image (Debian sid) carries; the production image's comes from PGDG. */
export const PGBACKREST_VERSION = "2.60";

/**
 * Where a `volume` repository is mounted in a writer's container: the image's WAL archive
 * folder (`WAL_ARCHIVE_DIR` of components/image, which render may not import; a test holds
 * them equal), owned by postgres.
 */
export const REPOSITORY_MOUNT = "/var/lib/postgresql-wal-archive";

/** The socket folder of Debian's and the official image's PostgreSQL, where pgBackRest connects. */
const SOCKET_DIR = "/var/run/postgresql";

/**
 * A marker file in PGDATA (relative: `archive_command` runs in the data directory) left once
 * the stanza exists, so the first archived segment creates the stanza and later ones do not.
 */
export const STANZA_MARKER = "pg-platform-stanza-created";

/** Where pgbackrest.conf lives in a layout: beside postgresql.conf. */
export function pgbackrestConfPath(layout: RuntimeLayout): string {
    return `${layout.postgresConfigDir}/pgbackrest.conf`;
}

/**
 * PGDATA of the official image (and the stand-in) for a major: `/var/lib/postgresql/<major>/docker`
 * from 18, `/var/lib/postgresql/data` before.
 */
export function containerPgdata(version: number): string {
    return version >= 18 ? `/var/lib/postgresql/${version}/docker` : "/var/lib/postgresql/data";
}

/** Whether a pgBackRest version has zstd compression (2.27 added it). */
export function supportsZstd(version: string): boolean {
    const [major, minor] = version.split(".").map(Number);
    return major > 2 || (major === 2 && minor >= 27);
}

/** Where things are for {@link renderPgbackrestConf}: PGDATA and the repository volume's mount. */
export interface PgbackrestPaths {
    /** The cluster's data directory. Default: the official image's for the spec's version. */
    readonly pgdata?: string;
    /** Where a `volume` repository is mounted. Default: the image's WAL archive folder. */
    readonly repositoryPath?: string;
    /** pgBackRest's version, for options only some versions know. Default: {@link PGBACKREST_VERSION}. */
    readonly pgbackrestVersion?: string;
    /** Folder of pgBackRest's lock files. Default: `/tmp/pgbackrest`. */
    readonly lockPath?: string;
}

/** The `pgbackrest` command for a stanza, with the rendered configuration. */
export function pgbackrestCommand(layout: RuntimeLayout): string {
    return `pgbackrest --config=${pgbackrestConfPath(layout)} --stanza=${BACKUP_STANZA}`;
}

/**
 * The writer's `archive_command`: create the stanza the first time (the server is up, which
 * stanza-create needs, and the repository may be a fresh volume), then push the segment.
 */
export function pgbackrestArchiveCommand(layout: RuntimeLayout): string {
    const command = pgbackrestCommand(layout);
    return `{ test -f ${STANZA_MARKER} || { ${command} stanza-create && touch ${STANZA_MARKER}; }; } && ${command} archive-push %p`;
}

/** pgbackrest.conf for the stack's writer. */
export function renderPgbackrestConf(spec: PlatformSpec, layout: RuntimeLayout, paths: PgbackrestPaths = {}): string {
    const repository = spec.backup.repository;
    const version = paths.pgbackrestVersion ?? PGBACKREST_VERSION;
    const global: [string, string | number][] = [];
    if (repository.type === "s3") {
        global.push(
            ["repo1-type", "s3"],
            ["repo1-path", repository.path],
            ["repo1-s3-bucket", repository.bucket],
            ["repo1-s3-endpoint", repository.endpoint],
            ["repo1-s3-region", repository.region],
            ["repo1-s3-uri-style", repository.pathStyle ? "path" : "host"],
            ["repo1-storage-verify-tls", repository.verifyTls ? "y" : "n"],
        );
    } else {
        global.push(["repo1-path", paths.repositoryPath ?? REPOSITORY_MOUNT]);
    }
    global.push(
        // Full backups (and every differential and WAL segment they need) kept this many days.
        ["repo1-retention-full-type", "time"],
        ["repo1-retention-full", retentionFullDays(spec)],
        ["compress-type", supportsZstd(version) ? "zst" : "gz"],
        // A backup starts with an immediate checkpoint instead of waiting for the next one.
        ["start-fast", "y"],
        ["archive-async", "n"],
        ["lock-path", paths.lockPath ?? "/tmp/pgbackrest"],
        // Logs go to the server's stderr (archive_command) or the job's output, not a file.
        ["log-level-console", "info"],
        ["log-level-stderr", "warn"],
        ["log-level-file", "off"],
    );
    const stanza: [string, string | number][] = [
        ["pg1-path", paths.pgdata ?? containerPgdata(spec.postgres.version)],
        ["pg1-port", layout.postgresPort],
        ["pg1-socket-path", SOCKET_DIR],
        ["pg1-user", SUPERUSER],
    ];
    const section = (name: string, options: [string, string | number][]) => [`[${name}]`, ...options.map(([k, v]) => `${k}=${v}`)].join("\n");
    return `# Rendered by ${PROJECT}: do not edit.\n${section("global", global)}\n\n${section(BACKUP_STANZA, stanza)}\n`;
}
