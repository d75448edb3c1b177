/**
 * Database and role names: which ones PostgreSQL, PgBouncer or the platform already own, and
 * the one way every name is quoted into the files the platform writes. The config layer refuses
 * reserved names with {@link reservedNameReason}; the renderers write every name through
 * {@link quoteIdentifier}, so a name that is an SQL keyword (`select`, `user`) or a pg_hba.conf
 * keyword (`all`, `replication`) is read as a name, never as syntax.
 */
import { DATABASE_ROLE_SUFFIXES, PLATFORM_ROLES, POOLER_AUTH_SCHEMA } from "./constants";

/** The bootstrap superuser initdb creates (and the OS user the image runs as). */
export const SUPERUSER = "postgres";

/** The maintenance database initdb creates, where the platform's own monitoring connects. */
export const MAINTENANCE_DATABASE = "postgres";

/** Databases a stack may not declare, each with the reason shown in the refusal. */
export const RESERVED_DATABASES: Readonly<Record<string, string>> = {
    [MAINTENANCE_DATABASE]:
        "is PostgreSQL's maintenance database, where the superuser's scripts and the exporter connect; declaring it would hand its ownership (and its public schema) to a login role",
    template0: "is PostgreSQL's pristine template database",
    template1: "is PostgreSQL's template for every new database",
    pgbouncer: "is PgBouncer's admin console database",
};

/** Roles a stack may not declare (or derive), each with the reason. */
export const RESERVED_ROLES: Readonly<Record<string, string>> = {
    [SUPERUSER]: "is the bootstrap superuser",
    public: "is PostgreSQL's PUBLIC pseudo-role (every role)",
    none: "is a reserved word in role specifications",
    current_user: "is a reserved word in role specifications",
    current_role: "is a reserved word in role specifications",
    session_user: "is a reserved word in role specifications",
    pgbouncer: "is PgBouncer's conventional console user and the name of the pool's auth schema",
    [PLATFORM_ROLES.replication]: "is the platform's replication role",
    [PLATFORM_ROLES.exporter]: "is the platform's monitoring role",
    [PLATFORM_ROLES.poolerAuth]: "is the platform's PgBouncer auth_query role",
};

/** Prefixes PostgreSQL keeps for itself: `pg_` roles are refused by CREATE ROLE, `pg_` schemas and names are its own. */
export const RESERVED_PREFIXES: readonly string[] = ["pg_"];

/** Why `name` may not be used as a database (or role) of a stack, or undefined when it may. */
export function reservedNameReason(kind: "database" | "role", name: string): string | undefined {
    const lower = name.toLowerCase();
    const table = kind === "database" ? RESERVED_DATABASES : RESERVED_ROLES;
    if (Object.prototype.hasOwnProperty.call(table, lower)) return `"${name}" ${table[lower]}`;
    const prefix = RESERVED_PREFIXES.find((p) => lower.startsWith(p));
    if (prefix) return `names starting with ${prefix} are reserved by PostgreSQL`;
    if (kind === "database" && lower === POOLER_AUTH_SCHEMA) return `"${name}" is the schema of the pool's auth function`;
    return undefined;
}

/**
 * Why one of a database's derived roles (`<db>_migrate`, `<db>_app`, `<db>_readonly`) would be
 * a reserved role, or undefined. No reserved role ends in those suffixes today; the check keeps
 * it so when either list grows.
 */
export function derivedRoleReason(database: string): string | undefined {
    for (const suffix of Object.values(DATABASE_ROLE_SUFFIXES)) {
        const reason = reservedNameReason("role", database + suffix);
        if (reason) return `its role ${database}${suffix}: ${reason}`;
    }
    return undefined;
}

/** The formats a name is written into. */
export type IdentifierFormat =
    /** SQL (and psql's `\connect`): a double-quoted identifier, `"` doubled. */
    | "sql"
    /** pg_hba.conf database and user fields: double-quoted, so `all`/`replication`/`+x` mean the name. */
    | "hba"
    /**
     * pgbouncer.ini `[databases]` keys: bare. PgBouncer (1.18 checked) has no quoting there, a
     * quoted key is a syntax error; a plain word is read as the name, `pgbouncer` (the console)
     * and `*` (the fallback) being the only special keys, and both are refused as databases.
     */
    | "pgbouncer"
    /** A libpq/PgBouncer connection-string value (`dbname=`): single-quoted, `\` and `'` escaped. */
    | "conninfo";

/**
 * Quotes a database or role name for `format`. Names reaching here were validated as
 * `[a-z_][a-z0-9_]*` by the config layer, so the double-quoted formats never meet a quote,
 * but each format's escaping is applied anyway (and a name no format can carry is refused).
 */
export function quoteIdentifier(name: string, format: IdentifierFormat): string {
    if (name === "" || /[\0\r\n]/.test(name)) throw new Error(`identifier ${JSON.stringify(name)} cannot be written into a configuration file`);
    switch (format) {
        case "sql":
            return `"${name.replace(/"/g, '""')}"`;
        case "hba":
            // pg_hba.conf has no escape for a double quote inside a quoted name.
            if (name.includes('"')) throw new Error(`identifier ${JSON.stringify(name)} cannot be quoted for pg_hba.conf`);
            return `"${name}"`;
        case "pgbouncer":
            if (!/^[A-Za-z0-9_]+$/.test(name) || name === "pgbouncer")
                throw new Error(`identifier ${JSON.stringify(name)} cannot be a pgbouncer.ini [databases] key`);
            return name;
        case "conninfo":
            return `'${name.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    }
}
