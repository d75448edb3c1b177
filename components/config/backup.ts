// The `backup` section of the stack configuration (issue 13): pgBackRest on the self-hosted
// targets (the WAL archive, full and differential backups, retention), managed targets keep
// their native automated backups.
import { z } from "zod";

/** Days of full backups kept when `production` is false and `backup.retention.fullDays` is not set. */
export const DEFAULT_RETENTION_FULL_DAYS = 7;
/** Days of full backups kept when `production` is true and `backup.retention.fullDays` is not set. */
export const PRODUCTION_RETENTION_FULL_DAYS = 30;

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week): numbers, `*`,
 * ranges, lists and steps only, so the same string works for a Kubernetes CronJob and a
 * scheduler container.
 */
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const cron = z.string().refine(
    (value) => {
        const fields = value.trim().split(/\s+/);
        return fields.length === 5 && fields.every((field) => CRON_FIELD.test(field));
    },
    { message: 'must be a five-field cron expression (e.g. "0 3 * * *")' },
);

/** An S3-compatible object store holding the pgBackRest repository. */
const s3Repository = z.strictObject({
    type: z.literal("s3"),
    /** Bucket name. Required. */
    bucket: z
        .string()
        .min(3)
        .max(63)
        .regex(/^[a-z0-9][a-z0-9.-]+[a-z0-9]$/, { message: "must be an S3 bucket name (lower-case letters, digits, dots, hyphens)" }),
    /** S3 endpoint host (e.g. `s3.eu-west-1.amazonaws.com` or a MinIO host). Required. */
    endpoint: z
        .string()
        .min(1)
        .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, { message: "must be a host name (and optional port), without a scheme" }),
    /** Region. Required. */
    region: z.string().min(1),
    /** Folder inside the bucket. Default: `/pgbackrest`. */
    path: z.string().startsWith("/").default("/pgbackrest"),
    /** Path-style URLs (MinIO, most self-hosted S3 servers). Default: false (virtual-host style). */
    pathStyle: z.boolean().default(false),
    /** Verify the endpoint's TLS certificate. Default: true. */
    verifyTls: z.boolean().default(true),
});

/** The repository on a volume of the stack's own host (the dev default). */
const volumeRepository = z.strictObject({
    type: z.literal("volume"),
});

/** `backup.*`: what is archived and backed up, where, how often, for how long. */
export const backupSchema = z.strictObject({
    /** Backups (pgBackRest WAL archive and backups on self-hosted targets, automated backups on managed). Default: true. */
    enabled: z.boolean().default(true),
    /** Where the pgBackRest repository is: `{ type: volume }` or `{ type: s3, bucket, endpoint, region }`. Default: volume. */
    repository: z.discriminatedUnion("type", [volumeRepository, s3Repository]).default({ type: "volume" }),
    /**
     * Seconds after which an idle primary switches WAL segment, so its last writes reach the
     * archive (the RPO bound when the data volume is lost). Default: 60.
     */
    archiveTimeoutSeconds: z.number().int().min(10).max(3600).default(60),
    retention: z
        .strictObject({
            /** Days full backups (and the WAL to restore them to any time) are kept. Default: 7; 30 when `production`. */
            fullDays: z.number().int().min(1).max(9999).optional(),
        })
        .prefault({}),
    schedule: z
        .strictObject({
            /** When a full backup runs (cron, UTC). Default: daily at 03:00. */
            full: cron.default("0 3 * * *"),
            /** When a differential backup runs (cron, UTC). Default: hourly. */
            differential: cron.default("0 * * * *"),
        })
        .prefault({}),
    /**
     * Scheduled restore verification: the latest backup restored into a scratch server and
     * checked (it opens, pg_amcheck, row counts against the writer), the outcome served by the
     * exporter as `pg_platform_backup_verification_*`. Self-hosted targets only.
     */
    verify: z
        .strictObject({
            /** Run it. Default: true (with `backup.enabled`). */
            enabled: z.boolean().default(true),
            /** When it runs (cron, UTC). Default: weekly, Sunday 05:00 (after that day's full backup; a restore reads the whole database). */
            schedule: cron.default("0 5 * * 0"),
            /** The largest tables of each database amchecked and counted. Default: 3. */
            sampleTables: z.number().int().min(0).max(100).default(3),
        })
        .prefault({}),
});

/** The validated `backup` section. */
export type BackupSpec = z.output<typeof backupSchema>;

/** Days of full backups kept: `backup.retention.fullDays`, else 30 in production and 7 otherwise. */
export function retentionFullDays(spec: { readonly production: boolean; readonly backup: BackupSpec }): number {
    return spec.backup.retention.fullDays ?? (spec.production ? PRODUCTION_RETENTION_FULL_DAYS : DEFAULT_RETENTION_FULL_DAYS);
}
