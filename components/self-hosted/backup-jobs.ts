// The scheduled pgBackRest jobs of a self-hosted writer (issue 13): full and differential
// backups and the restore verification, each one of the image's scripts on a cron schedule
// from `backup.*`. One runner on both targets: a scheduler (busybox crond, from the crontab
// rendered here) in the writer's image beside the writer, sharing its data volume and socket
// folder: a container of the stack on Docker, a second container of the writer's pod on
// Kubernetes (pgBackRest backs up a local cluster only, see the README's Backups). Pure: no Pulumi.
import type { PlatformSpec } from "../config";
import { BACKUP_SCRIPT_PATH, VERIFY_RESTORE_PATH } from "../image/runtime";
import { CONTAINER_LAYOUT } from "../render/layout";
import {
    BACKUP_STANZA,
    PGBACKREST_SECRETS_CONFIG_PATH,
    SOCKET_DIR,
    pgbackrestConfPath,
    pgbackrestSecretsFile,
    renderPgbackrestConf,
} from "../render/pgbackrest";

/** What a scheduled job does. */
export type BackupJobKind = "full" | "differential" | "verify";

/** One scheduled job. */
export interface BackupJob {
    /** What it does. */
    readonly kind: BackupJobKind;
    /** Five-field cron expression, UTC. */
    readonly schedule: string;
    /** The command, run as postgres in the platform's image. */
    readonly command: readonly string[];
}

/** The socket folder of the writer, shared with the jobs (pgBackRest backs up a local cluster only). */
export { SOCKET_DIR };

/** Where the scheduler container's crontab folder is (busybox crond reads the file named after the user). */
export const CRONTAB_DIR = "/etc/pg-platform/crontabs";

/** The crontab: busybox crond runs its lines as the user the file is named after. */
export const CRONTAB_PATH = `${CRONTAB_DIR}/postgres`;

/**
 * The scheduler container's command: busybox crond in the foreground, its log on stderr
 * (`docker logs`), the jobs' output inherited. It runs as root only to become postgres for each job.
 */
export const SCHEDULER_COMMAND = ["busybox", "crond", "-f", "-l", "6", "-L", "/dev/stderr", "-c", CRONTAB_DIR] as const;

/** The scheduler's name: its Docker container's suffix, its container's name in the writer's pod. */
export const SCHEDULER_NAME = "backup-scheduler";

/**
 * The only capabilities the scheduler keeps (every other one dropped): crond runs as root
 * solely to become postgres for each job (initgroups, setgid, setuid), and nothing else.
 */
export const SCHEDULER_CAPABILITIES = ["SETUID", "SETGID"] as const;

/**
 * The scheduler's healthcheck: the writer answers on the shared socket folder, which is all its jobs
 * need besides the shared volumes (busybox crond is the container's main process: it lives or
 * the container stops).
 */
export const SCHEDULER_HEALTHCHECK = ["pg_isready", "--quiet", "--host", SOCKET_DIR, "--port", String(CONTAINER_LAYOUT.postgresPort)] as const;

/** A plain (never secret) file the scheduler needs. */
export interface SchedulerFile {
    /** Absolute path in the scheduler's container. */
    readonly path: string;
    /** Content. */
    readonly content: string;
    /** Read by crond as root (the crontab) or by the jobs as postgres (pgBackRest's configuration). */
    readonly reader: "root" | "postgres";
}

/**
 * The scheduler's plain files: the crontab, and the writer's own pgbackrest.conf (the same
 * rendering). Its secret file, when the repository has one, is {@link SCHEDULER_SECRET_FILE}.
 */
export function schedulerFiles(spec: PlatformSpec): SchedulerFile[] {
    return [
        { path: CRONTAB_PATH, content: renderCrontab(spec), reader: "root" },
        { path: pgbackrestConfPath(CONTAINER_LAYOUT), content: renderPgbackrestConf(spec, CONTAINER_LAYOUT), reader: "postgres" },
    ];
}

/**
 * The one of the writer's pgBackRest secret files the jobs read: their own repository's (S3
 * keys, cipher pass). The restore-source file (`backup.restore.from` another stack's) is
 * the writer's alone.
 */
export const SCHEDULER_SECRET_FILE = pgbackrestSecretsFile(PGBACKREST_SECRETS_CONFIG_PATH);

/**
 * Environment every job reads: pgBackRest's configuration, the folder whose conf.d holds its
 * secret file (as the writer's archive_command passes it), the stanza, the verification's sample size.
 */
export function backupJobEnvironment(spec: PlatformSpec): Record<string, string> {
    return {
        PGBACKREST_CONFIG: pgbackrestConfPath(CONTAINER_LAYOUT),
        PGBACKREST_CONFIG_PATH: PGBACKREST_SECRETS_CONFIG_PATH,
        PGBACKREST_STANZA: BACKUP_STANZA,
        VERIFY_SAMPLE_TABLES: String(spec.backup.verify.sampleTables),
    };
}

/** The jobs `backup.*` asks for: none without `backup.enabled`; the verification unless `backup.verify.enabled` is false. */
export function backupJobs(spec: PlatformSpec): BackupJob[] {
    if (!spec.backup.enabled) return [];
    const { schedule, verify } = spec.backup;
    return [
        { kind: "full", schedule: schedule.full, command: [BACKUP_SCRIPT_PATH, "full"] },
        { kind: "differential", schedule: schedule.differential, command: [BACKUP_SCRIPT_PATH, "diff"] },
        ...(verify.enabled ? [{ kind: "verify" as const, schedule: verify.schedule, command: [VERIFY_RESTORE_PATH] }] : []),
    ];
}

/**
 * The scheduler's crontab: one line per job, its environment inline (crond gives jobs a bare
 * one). Values are the platform's own paths and numbers, never a secret.
 */
export function renderCrontab(spec: PlatformSpec): string {
    const env = Object.entries(backupJobEnvironment(spec))
        .map(([name, value]) => `${name}=${value}`)
        .join(" ");
    const lines = backupJobs(spec).map((job) => `${job.schedule.trim().split(/\s+/).join(" ")} ${env} ${job.command.join(" ")}`);
    return `# Rendered by pg-platform from backup.schedule and backup.verify: do not edit.\n${lines.join("\n")}\n`;
}
