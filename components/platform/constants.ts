/**
 * Names, ports and security settings defined once for the whole platform. Targets,
 * renderers, policies and tests import them from here so they can never disagree.
 */

/** The Pulumi project name and config namespace. */
export const PROJECT = "pg-platform";

/** Ports the services listen on inside their own container or pod (fixed; hosts publish elsewhere). */
export const CONTAINER_PORTS = {
    postgres: 5432,
    pooler: 6432,
    exporter: 9187,
} as const;

// The security vocabulary lives in the policy pack, which is published alone; one copy, read from there.
export {
    ALLOWED_HBA_METHODS,
    CONNECTION_URL_ENV,
    LOOPBACK_ADDRESSES,
    PASSWORD_ENCRYPTION,
    RDS_ACCEPTED_PASSWORD_AUTH_METHOD,
    RDS_PROXY_CLIENT_AUTH,
} from "../../policies/shared/vocabulary";

/** Roles the platform creates itself, whatever the spec says. */
export const PLATFORM_ROLES = {
    replication: "replicator",
    exporter: "postgres_exporter",
    poolerAuth: "pgbouncer_auth",
} as const;

/** Schema holding the PgBouncer auth_query function, kept out of `public` on purpose. */
export const POOLER_AUTH_SCHEMA = "pgbouncer";

/**
 * Table in the maintenance database where the image's verify-restore.sh records each restore
 * verification, and the exporter reads it (schema and table as the script writes them).
 */
export const BACKUP_VERIFICATION_TABLE = { schema: "pgplatform", table: "backup_verification" } as const;

/** Suffixes of the three least-privilege roles made for every database: owner for migrations, read-write for applications, read-only for reporting. */
export const DATABASE_ROLE_SUFFIXES = {
    migrate: "_migrate",
    readwrite: "_app",
    readonly: "_readonly",
} as const;

/** An access level the platform makes a role for in every database. */
export type DatabaseAccess = keyof typeof DATABASE_ROLE_SUFFIXES;

/** The role holding `access` to `database`: `<db>_migrate`, `<db>_app` or `<db>_readonly`. */
export function databaseRole(database: string, access: DatabaseAccess): string {
    return database + DATABASE_ROLE_SUFFIXES[access];
}

/** The three role names made for a database: migrate (owner), app (read-write), read-only. */
export function databaseRoleNames(database: string): string[] {
    return (Object.keys(DATABASE_ROLE_SUFFIXES) as DatabaseAccess[]).map((access) => databaseRole(database, access));
}

/** Suffix of a database's CDC role (`<db>_cdc`), made only for databases `postgres.cdc` names. */
export const CDC_ROLE_SUFFIX = "_cdc";

/**
 * What the platform makes for CDC in a database `postgres.cdc` names, all called `<db>_cdc`
 * (a role, a publication and a logical slot live in separate namespaces): the login role a
 * connector streams as, the publication of the named tables (or all), and the pgoutput slot
 * created for it (failover-enabled on PostgreSQL 17+).
 */
export function cdcNames(database: string): { readonly role: string; readonly publication: string; readonly slot: string } {
    const name = database + CDC_ROLE_SUFFIX;
    return { role: name, publication: name, slot: name };
}

/** Schema of the platform's CDC upkeep function and event trigger in a CDC database (superuser-owned). */
export const CDC_SCHEMA = "platform_cdc";

/** The logical decoding plugin the platform's CDC slots use (Debezium's default, built in). */
export const CDC_PLUGIN = "pgoutput";

/** Below this the auto-tuning refuses to start PostgreSQL: the tuned buffers and connections would not fit. */
export const MIN_MEMORY_MB = 512;

/** Extensions the platform knows how to build, preload and create. */
export const KNOWN_EXTENSIONS = ["pg_cron", "pgaudit", "pg_stat_statements", "auto_explain", "pg_trgm", "pgvector"] as const;

/** An extension the platform knows. */
export type ExtensionName = (typeof KNOWN_EXTENSIONS)[number];

/** Extensions that only work when listed in shared_preload_libraries. */
export const PRELOAD_EXTENSIONS: readonly ExtensionName[] = ["pg_cron", "pgaudit", "pg_stat_statements", "auto_explain"];

/** Supported PostgreSQL major versions. */
export const POSTGRES_VERSIONS = [15, 16, 17, 18] as const;

/** A supported PostgreSQL major version. */
export type PostgresVersion = (typeof POSTGRES_VERSIONS)[number];

/** Modules loaded only through shared_preload_libraries: no control file, nothing to CREATE EXTENSION. */
export const PRELOAD_ONLY_EXTENSIONS: readonly ExtensionName[] = ["auto_explain"];

/**
 * The name `CREATE EXTENSION` and `pg_available_extensions` use for a platform extension
 * (pgvector's is `vector`), or undefined for a preload-only module.
 */
export function extensionSqlName(extension: ExtensionName): string | undefined {
    if (PRELOAD_ONLY_EXTENSIONS.includes(extension)) return undefined;
    return extension === "pgvector" ? "vector" : extension;
}
