// pgbackrest.conf for a writer on the self-hosted targets (issue 13): the repository (a volume
// of the stack, or S3-compatible object storage), retention, compression, and the stanza of the
// stack's cluster. Pure: no Pulumi import. Credentials never appear here: an S3 repository's
// keys and the cipher pass are in a separate secret file (renderPgbackrestSecrets) that
// pgBackRest reads from its config-path's conf.d, delivered like the other secret files.
import { isOneLineSecret, repositoryEncrypted, retentionFullDays, type BackupSpec } from "../config/backup";
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

/**
 * The socket folder of Debian's and the official image's PostgreSQL, where pgBackRest connects;
 * the backup jobs share it with the writer (components/self-hosted/backup-jobs).
 */
export const SOCKET_DIR = "/var/run/postgresql";

/**
 * A marker file in PGDATA (relative: `archive_command` runs in the data directory) left once
 * the stanza exists, so the first archived segment creates the stanza and later ones do not.
 */
export const STANZA_MARKER = "pg-platform-stanza-created";

/**
 * A marker file the image's entrypoint leaves in the new PGDATA after pg_upgrade
 * (`postgres.upgradeFrom`): the repository's stanza still describes the old major's cluster,
 * so the first archived segment runs stanza-upgrade instead of stanza-create.
 */
export const STANZA_UPGRADE_MARKER = "pg-platform-stanza-upgrade";

/** Where pgbackrest.conf lives in a layout: beside postgresql.conf. */
export function pgbackrestConfPath(layout: RuntimeLayout): string {
    return `${layout.postgresConfigDir}/pgbackrest.conf`;
}

/**
 * PGDATA of the platform's image for a major: `/var/lib/postgresql/<major>/docker`, the official
 * layout from 18, which the image's Dockerfile sets for every major (an official base before 18
 * would put it at `/var/lib/postgresql/data`, in a Docker volume of its own).
 */
export function containerPgdata(version: number): string {
    return `/var/lib/postgresql/${version}/docker`;
}

/** Whether a pgBackRest version has zstd compression (2.27 added it). */
export function supportsZstd(version: string): boolean {
    const [major, minor] = version.split(".").map(Number);
    return major > 2 || (major === 2 && minor >= 27);
}

/** Where things are for {@link renderPgbackrestConf}: PGDATA and the repository volume's mount. */
export interface PgbackrestPaths {
    /** The cluster's data directory. Default: the platform image's for the spec's version ({@link containerPgdata}). */
    readonly pgdata?: string;
    /** Where a `volume` repository is mounted. Default: the image's WAL archive folder. */
    readonly repositoryPath?: string;
    /** pgBackRest's version, for options only some versions know. Default: {@link PGBACKREST_VERSION}. */
    readonly pgbackrestVersion?: string;
    /** Folder of pgBackRest's lock files. Default: `/tmp/pgbackrest`. */
    readonly lockPath?: string;
}

/**
 * pgBackRest's `--config-path` on the self-hosted targets: its `conf.d/*.conf` are read after
 * `--config` when present (and skipped when absent, so a stack without secrets needs no file).
 * The secret file lives there, under the targets' secret folder.
 */
export const PGBACKREST_SECRETS_CONFIG_PATH = "/run/pg-platform/pgbackrest";
/** The same for the repository a stack restores from (`backup.restore.from` another stack's). */
export const PGBACKREST_RESTORE_SECRETS_CONFIG_PATH = "/run/pg-platform/pgbackrest-restore";

/**
 * The secret pgBackRest file under a config path: S3 keys and the cipher pass. Named after the
 * folder, so the own and the restore file differ by basename too (Kubernetes keys a Secret's
 * files by basename).
 */
export function pgbackrestSecretsFile(configPath: string): string {
    return `${configPath}/conf.d/${configPath.split("/").pop()}-secrets.conf`;
}

/** The `pgbackrest` command for a stanza, with the rendered configuration and its secret file. */
export function pgbackrestCommand(layout: RuntimeLayout): string {
    return `pgbackrest --config=${pgbackrestConfPath(layout)} --config-path=${PGBACKREST_SECRETS_CONFIG_PATH} --stanza=${BACKUP_STANZA}`;
}

/**
 * The writer's `archive_command`: create the stanza the first time (the server is up, which
 * stanza-create needs, and the repository may be a fresh volume), or upgrade it the first time
 * after pg_upgrade (falling back to stanza-create when backups were off before), then push the
 * segment.
 */
export function pgbackrestArchiveCommand(layout: RuntimeLayout): string {
    const command = pgbackrestCommand(layout);
    const stanza = `{ test -f ${STANZA_UPGRADE_MARKER} && ${command} stanza-upgrade || ${command} stanza-create; }`;
    return `{ test -f ${STANZA_MARKER} || { ${stanza} && touch ${STANZA_MARKER} && rm -f ${STANZA_UPGRADE_MARKER}; }; } && ${command} archive-push %p`;
}

/** pgbackrest.conf for the stack's writer: its own `backup.repository`. */
export function renderPgbackrestConf(spec: PlatformSpec, layout: RuntimeLayout, paths: PgbackrestPaths = {}): string {
    return renderConf(spec, layout, paths, spec.backup.repository, repositoryEncrypted(spec));
}

/**
 * pgbackrest-restore.conf: the repository of `backup.restore.from` when it is another stack's,
 * read only by the restore (so the writer never archives into the other stack's repository).
 */
export function pgbackrestRestoreConfPath(layout: RuntimeLayout): string {
    return `${layout.postgresConfigDir}/pgbackrest-restore.conf`;
}

/** The restore's pgbackrest.conf, when `backup.restore.from` is another stack's repository; else none. */
export function renderPgbackrestRestoreConf(spec: PlatformSpec, layout: RuntimeLayout, paths: PgbackrestPaths = {}): string | undefined {
    const restore = spec.backup.restore;
    if (restore === undefined || restore.from === "self") return undefined;
    return renderConf(spec, layout, paths, restore.from, restore.fromEncrypted);
}

/** The secret values of {@link renderPgbackrestSecrets}: each set only when the repository needs it. */
export interface PgbackrestSecrets {
    /** S3 access key id (`repo1-s3-key`). */
    readonly s3Key?: string;
    /** S3 secret access key (`repo1-s3-key-secret`). */
    readonly s3KeySecret?: string;
    /** Repository cipher pass (`repo1-cipher-pass`). */
    readonly cipherPass?: string;
}

/**
 * The secret file pgBackRest reads beside pgbackrest.conf (mode 0600, never in `render`'s
 * output). A value holding a line break could add options of its own, so it is refused.
 */
export function renderPgbackrestSecrets(secrets: PgbackrestSecrets): string {
    const options: [string, string | undefined][] = [
        ["repo1-s3-key", secrets.s3Key],
        ["repo1-s3-key-secret", secrets.s3KeySecret],
        ["repo1-cipher-pass", secrets.cipherPass],
    ];
    const lines = options.flatMap(([key, value]) => {
        if (value === undefined) return [];
        if (!isOneLineSecret(value)) throw new Error(`${key}: the value must be one line without surrounding blanks`);
        return [`${key}=${value}`];
    });
    return `# Secret: written by ${PROJECT}, mode 0600.\n[global]\n${lines.join("\n")}\n`;
}

/**
 * The `pgbackrest restore` options for `backup.restore.target`: recovery to the time or restore
 * point then promotion, or to the end of the archive (`latest`, pgBackRest's default type).
 */
export function restoreTypeAndTarget(target: NonNullable<BackupSpec["restore"]>["target"]): { type: "time" | "name" | "default"; target?: string } {
    // pgBackRest reads "YYYY-MM-DD HH:MM:SS[.mmm][+HH[:MM]]" only (no "T", no "Z"), seen refusing ISO 8601's.
    if ("time" in target) return { type: "time", target: target.time.replace("T", " ").replace(/Z$/, "+00") };
    if ("restorePoint" in target) return { type: "name", target: target.restorePoint };
    return { type: "default" };
}

function renderConf(spec: PlatformSpec, layout: RuntimeLayout, paths: PgbackrestPaths, repository: BackupSpec["repository"], encrypted: boolean): string {
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
    // The pass is in the secret file; without it pgBackRest refuses to touch the repository.
    if (encrypted) global.push(["repo1-cipher-type", "aes-256-cbc"]);
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
