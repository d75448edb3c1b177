// The scheduled pgBackRest jobs of a self-hosted writer (issue 13): full and differential
// backups and the restore verification, each one of the image's scripts on a cron schedule
// from `backup.*`. One list, two runners: the Docker target's scheduler container (busybox
// crond, from the crontab rendered here) and the Kubernetes target's CronJobs. Pure: no Pulumi.
import type { PlatformSpec } from "../config";
import { BACKUP_SCRIPT_PATH, VERIFY_RESTORE_PATH } from "../image/runtime";
import { CONTAINER_LAYOUT } from "../render/layout";
import { BACKUP_STANZA, pgbackrestConfPath } from "../render/pgbackrest";

/** What a scheduled job does. */
export type BackupJobKind = "full" | "differential" | "verify";

/** One scheduled job. */
export interface BackupJob {
    /** What it does; also the suffix of its Kubernetes CronJob's name. */
    readonly kind: BackupJobKind;
    /** Five-field cron expression, UTC. */
    readonly schedule: string;
    /** The command, run as postgres in the platform's image. */
    readonly command: readonly string[];
}

/** The socket folder of the writer, shared with the jobs (pgBackRest backs up a local cluster only). */
export const SOCKET_DIR = "/var/run/postgresql";

/** Where the scheduler container's crontab folder is (busybox crond reads the file named after the user). */
export const CRONTAB_DIR = "/etc/pg-platform/crontabs";

/** The crontab: busybox crond runs its lines as the user the file is named after. */
export const CRONTAB_PATH = `${CRONTAB_DIR}/postgres`;

/**
 * The scheduler container's command: busybox crond in the foreground, its log on stderr
 * (`docker logs`), the jobs' output inherited. It runs as root only to become postgres for each job.
 */
export const SCHEDULER_COMMAND = ["busybox", "crond", "-f", "-l", "6", "-L", "/dev/stderr", "-c", CRONTAB_DIR] as const;

/** Environment every job reads: pgBackRest's configuration and stanza, the verification's sample size. */
export function backupJobEnvironment(spec: PlatformSpec): Record<string, string> {
    return {
        PGBACKREST_CONFIG: pgbackrestConfPath(CONTAINER_LAYOUT),
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
