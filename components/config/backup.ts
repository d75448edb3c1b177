// The `backup` section of the stack configuration (issue 13): pgBackRest on the self-hosted
// targets (the WAL archive, full and differential backups, retention), managed targets keep
// their native automated backups.
import { z } from "zod";
import { productionDefault } from "./production-defaults";

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week): numbers, `*`,
 * ranges, lists and steps only: the subset every cron reads alike, busybox crond (the backup
 * scheduler on both self-hosted targets) included.
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

/** Whether the date and time fields name a real instant (Date.parse would take 30 February as 2 March). */
function isRealTime(value: string): boolean {
    const [year, month, day, hour, minute, second] = (value.match(/\d+/g) ?? []).slice(0, 6).map(Number);
    const date = new Date(Date.UTC(year, month - 1, day));
    return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
}

/**
 * A recovery target time: ISO 8601 with seconds (milliseconds at most: pgBackRest picks the
 * backup set by it and reads no finer) and an explicit zone (`Z` or `+hh:mm`), so it means the
 * same instant whatever the server's `timezone` is.
 */
const targetTime = z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}(:?\d{2})?)$/, {
        message: 'must be an ISO 8601 time with seconds and a zone, e.g. "2026-11-29T22:40:00Z" or "2026-11-29 23:40:00+01:00"',
    })
    .refine(isRealTime, { message: "is not a real date and time" });

/** Where a restore stops: a time, a named restore point (`pg_create_restore_point`), or the end of the archive. */
const restoreTarget = z.union(
    [
        z.strictObject({ time: targetTime }),
        z.strictObject({
            restorePoint: z.string().regex(/^[A-Za-z0-9_.:-]{1,63}$/, { message: "must be a restore point name: 1-63 letters, digits, _ . : -" }),
        }),
        z.strictObject({ latest: z.literal(true) }),
    ],
    { error: 'must be one of { time: "<ISO 8601 with zone>" }, { restorePoint: "<name>" }, { latest: true }' },
);

/** The repository on a volume of the stack's own host (the dev default). */
const volumeRepository = z.strictObject({
    type: z.literal("volume"),
});

/** `backup.*` fields, before the cross-field checks of {@link backupSchema}. */
const backupFields = z.strictObject({
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
    /**
     * Encrypt the repository at rest: pgBackRest `repo1-cipher-type=aes-256-cbc` with a key
     * generated per stack (a secret, never in a rendered file). Default: true when `production`,
     * false otherwise.
     */
    encrypted: z.boolean().optional(),
    /**
     * Start a writer whose data volume is empty from a backup instead of initdb: from this stack's
     * repository (`from: self`) or another stack's S3 repository, to `target`. Default: none (initdb).
     */
    restore: z
        .strictObject({
            /** `self` (this stack's `repository`) or another stack's `{ type: s3, … }` repository. Default: `self`. */
            from: z
                .union([z.literal("self"), s3Repository], { error: 'must be "self" or an S3 repository { type: s3, bucket, endpoint, region }' })
                .default("self"),
            /** Whether `from` (another stack's repository) is encrypted; its key is the secret config key `backupRestoreCipherPass`. Default: false. */
            fromEncrypted: z.boolean().default(false),
            /** `{ time }`, `{ restorePoint }` or `{ latest: true }`. Required. */
            target: restoreTarget,
        })
        .optional(),
});

/** `backup.*`: what is archived and backed up, where, how often, for how long; what a new writer restores. */
export const backupSchema = backupFields.superRefine((backup, ctx) => {
    // pgBackRest's configuration is rendered only with backups on; a restore reads it.
    if (backup.restore !== undefined && !backup.enabled) {
        ctx.addIssue({
            code: "custom",
            path: ["restore"],
            message: "needs backup.enabled: true (the restore runs through the stack's pgBackRest configuration)",
        });
    }
    if (backup.restore?.fromEncrypted && backup.restore.from === "self") {
        ctx.addIssue({
            code: "custom",
            path: ["restore", "fromEncrypted"],
            message: 'applies to another stack\'s repository only; with from: "self" backup.encrypted decides',
        });
    }
});

/** The validated `backup` section. */
export type BackupSpec = z.output<typeof backupSchema>;

/** Days of full backups kept: `backup.retention.fullDays`, else 30 in production and 7 otherwise. */
export function retentionFullDays(spec: { readonly production: boolean; readonly backup: BackupSpec }): number {
    return productionDefault("backup.retention.fullDays", spec.backup.retention.fullDays, spec.production);
}

/** Whether the repository is encrypted at rest: `backup.encrypted`, else on in production. */
export function repositoryEncrypted(spec: { readonly production: boolean; readonly backup: BackupSpec }): boolean {
    return spec.backup.enabled && productionDefault("backup.encrypted", spec.backup.encrypted, spec.production);
}

/**
 * Secret config keys the backups read (set with `pulumi config set --secret`), outside the
 * `backup` object so no error message or rendered file can ever print them.
 */
export const BACKUP_SECRET_KEYS = {
    /** The S3 access key id, when an S3 repository is used (own or `restore.from`). */
    s3AccessKeyId: "backupS3AccessKeyId",
    /** The S3 secret access key, when an S3 repository is used. */
    s3SecretAccessKey: "backupS3SecretAccessKey",
    /** The cipher pass of another stack's encrypted repository (`backup.restore.fromEncrypted`). */
    restoreCipherPass: "backupRestoreCipherPass",
} as const;

/**
 * Whether a secret value can go into pgBackRest's secret file as it is: one non-empty line
 * without surrounding blanks (a line break would add options of its own).
 */
export function isOneLineSecret(value: string): boolean {
    return value !== "" && !/[\r\n]/.test(value) && value.trim() === value;
}

/** Which of {@link BACKUP_SECRET_KEYS} a spec needs. */
export function neededBackupSecrets(spec: { readonly backup: BackupSpec }): (keyof typeof BACKUP_SECRET_KEYS)[] {
    const backup = spec.backup;
    if (!backup.enabled) return [];
    const restore = backup.restore;
    const s3 = backup.repository.type === "s3" || (restore !== undefined && restore.from !== "self");
    return [...(s3 ? (["s3AccessKeyId", "s3SecretAccessKey"] as const) : []), ...(restore?.fromEncrypted ? (["restoreCipherPass"] as const) : [])];
}

/**
 * Problems with the backup secret keys, before any resource: each one the spec needs must be
 * set and be a config secret (so Pulumi keeps it encrypted in the stack file and the state);
 * one the spec does not use is refused rather than ignored; a value must be one line (it goes
 * into pgBackRest's secret file). Names the key, never prints a value.
 */
export function backupSecretProblems(
    spec: { readonly backup: BackupSpec },
    value: (key: string) => string | undefined,
    isSecret: (key: string) => boolean,
    prefix: string,
): string[] {
    const needed = new Set(neededBackupSecrets(spec));
    const problems: string[] = [];
    for (const [name, key] of Object.entries(BACKUP_SECRET_KEYS) as [keyof typeof BACKUP_SECRET_KEYS, string][]) {
        const text = value(key);
        const present = text !== undefined;
        if (needed.has(name) && !present)
            problems.push(`${prefix}${key}: required by the backup configuration; set it with pulumi config set --secret ${prefix}${key} <value>`);
        else if (needed.has(name) && !isSecret(key))
            problems.push(`${prefix}${key}: must be a secret (pulumi config set --secret ${prefix}${key} <value>), not plain text in the stack file`);
        else if (needed.has(name) && !isOneLineSecret(text ?? ""))
            problems.push(`${prefix}${key}: must be one line without surrounding blanks (the value is not shown)`);
        else if (!needed.has(name) && present) problems.push(`${prefix}${key}: set but the backup configuration does not use it; remove it`);
    }
    return problems;
}
