import * as pulumi from "@pulumi/pulumi";

/** Endpoints a target may lack (a managed service without a session pool, say). */
export type OptionalEndpoint = "transactionPoolUrl" | "sessionPoolUrl" | "readOnlyUrl" | "metricsUrl" | "cdc" | "backup";

/** What a CDC connector (Debezium, pg_recvlogical) needs for one database `postgres.cdc` names. */
export interface CdcEndpoint {
    /** Direct URL to the writer's database as the CDC role (never a pool). Secret. */
    readonly url: string;
    /** The CDC role (`<db>_cdc`): LOGIN, REPLICATION, SELECT on the published tables only. */
    readonly user: string;
    /** The publication to stream (Debezium `publication.name`, with `publication.autocreate.mode=disabled`). */
    readonly publication: string;
    /** The pgoutput slot made for the connector (Debezium `slot.name`; failover-enabled on 17+). */
    readonly slot: string;
}

/** Why a stack without backups has no `backup` output (every target says the same). */
export const BACKUPS_OFF = "backup.enabled is false: nothing is archived or backed up; set pg-platform:backup.enabled to true";

/**
 * Where a stack's backups are and the commands an operator runs on them: pgBackRest on the
 * self-hosted targets, the provider's automated backups on the managed ones. Not secret: no
 * credential is in any of it.
 */
export interface BackupOutput {
    /** Where the backups are: a Docker volume, a Kubernetes claim, `s3://bucket/path`, or the provider's automated backups of the instance. */
    readonly repository: string;
    /** Days backups are kept (`backup.retention.fullDays`, `aws.backupRetentionDays`, Cloud SQL's retained daily backups). */
    readonly retentionDays: number;
    /** A shell command listing the backups, the latest included. */
    readonly listCommand: string;
    /**
     * A shell command restoring the writer to a point in time, `<time>` standing for it (pgBackRest:
     * `YYYY-MM-DD HH:MM:SS+00`; RDS and Cloud SQL: ISO 8601, `2026-11-29T22:40:00Z`); the
     * runbook around it is in the README's Backups. Absent where no one command does it, with
     * the reason in {@link restoreUnavailable}.
     */
    readonly restoreCommand?: string;
    /** Why there is no {@link restoreCommand}, and what to do instead. */
    readonly restoreUnavailable?: string;
}

/**
 * The stack outputs, one shape on every target, so an application stack can switch target
 * without changing how it consumes the database. Every URL carries credentials and is secret.
 */
export interface PlatformOutputs {
    /** Host name or address of the primary (writer) as clients reach it. */
    readonly host: pulumi.Output<string>;
    /** Port of the primary as clients reach it. */
    readonly port: pulumi.Output<number>;
    /**
     * Direct connection URL to the primary's first database, as its app role (on a managed
     * target without managed roles, as the admin role). Secret.
     */
    readonly primaryUrl: pulumi.Output<string>;
    /** Transaction pool URL for applications. Secret. Absent where {@link unavailable} says why. */
    readonly transactionPoolUrl?: pulumi.Output<string>;
    /** Session pool URL for migrations and tools needing session state. Secret. */
    readonly sessionPoolUrl?: pulumi.Output<string>;
    /** Read-only URL (a replica). Secret. */
    readonly readOnlyUrl?: pulumi.Output<string>;
    /** Prometheus metrics endpoint. */
    readonly metricsUrl?: pulumi.Output<string>;
    /**
     * CDC, by database `postgres.cdc` names: URL, role, publication and slot. Secret (the URLs
     * hold passwords). Absent when CDC names no database; a target that cannot serve declared
     * CDC says why in {@link unavailable}.
     */
    readonly cdc?: pulumi.Output<Record<string, CdcEndpoint>>;
    /** Where the backups are and how to list and restore them. Absent when `backup.enabled` is false ({@link unavailable} says so). */
    readonly backup?: pulumi.Output<BackupOutput>;
    /** Where each credential lives: secret values, or references into a secret store. */
    readonly secretReferences: Readonly<Record<string, pulumi.Output<string>>>;
    /** Each endpoint this target does not provide, with the reason and what to use instead. */
    readonly unavailable: Readonly<Partial<Record<OptionalEndpoint, string>>>;
    /**
     * The CA certificate (PEM, not secret) that signed the servers' and pools' certificates,
     * for clients connecting with `sslmode=verify-full sslrootcert=<file>`. Only where the
     * platform issues certificates itself (Docker and Kubernetes with `postgres.tls.enabled`);
     * absent otherwise, and on managed targets, whose CA bundles the provider publishes.
     */
    readonly caCertificate?: pulumi.Output<string>;
}

/**
 * Builds a `postgresql://` URL; user and password are percent-encoded. Without a password the
 * URL names only the user (the credential then lives in a secret store, see secretReferences).
 */
export function postgresUrl(args: {
    user: pulumi.Input<string>;
    password?: pulumi.Input<string>;
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    database: pulumi.Input<string>;
    query?: string;
}): pulumi.Output<string> {
    return pulumi.secret(
        pulumi.all([args.user, args.password, args.host, args.port, args.database]).apply(([user, password, host, port, database]) => {
            const hostPart = host.includes(":") ? `[${host}]` : host;
            const query = args.query ? `?${args.query}` : "";
            const credentials = password === undefined ? encodeURIComponent(user) : `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
            return `postgresql://${credentials}@${hostPart}:${port}/${encodeURIComponent(database)}${query}`;
        }),
    );
}

/**
 * The `cdc` output: for each database `postgres.cdc` names, its CDC role's URL (from `url`) and
 * the names a connector is configured with. Undefined when CDC names no database. Secret.
 */
export function cdcOutput(
    databases: readonly string[],
    names: (database: string) => { readonly role: string; readonly publication: string; readonly slot: string },
    url: (database: string, role: string) => pulumi.Output<string>,
): pulumi.Output<Record<string, CdcEndpoint>> | undefined {
    if (databases.length === 0) return undefined;
    const entries = databases.map((database) => {
        const { role, publication, slot } = names(database);
        return url(database, role).apply((u): [string, CdcEndpoint] => [database, { url: u, user: role, publication, slot }]);
    });
    return pulumi.secret(pulumi.all(entries).apply((pairs) => Object.fromEntries(pairs)));
}

/**
 * `value`, resolving only once the migration job succeeded (`done`, from the target's job),
 * so nothing downstream connects to an unmigrated database and a failed job fails the update.
 * Secretness is kept. Without a job: `value` as is.
 */
export function afterMigrations<T>(done: pulumi.Output<true> | undefined, value: pulumi.Output<T>): pulumi.Output<T> {
    return done ? done.apply(() => value) : value;
}
