import type { PlatformSpec } from "../config";
import { BACKUP_VERIFICATION_TABLE, PLATFORM_ROLES, POOLER_AUTH_SCHEMA, extensionSqlName, type ExtensionName } from "../platform/constants";
import { MAINTENANCE_DATABASE, SUPERUSER, quoteIdentifier } from "../platform/identifiers";
import type { RenderSecrets } from "./layout";
import { hasExporter, hasPooler } from "../config";
import { hasFailoverSlots, loginRoleSpecs, type LoginRole } from "./roles";
import { cdcDatabase, cdcStatements } from "./cdc";
import { cdcNames, databaseRole } from "../platform/constants";
import { replicaSlotName } from "./postgresql-conf";
import { preloadLibraries } from "./parameters";
import { roleVerifier } from "./scram";

/** The PgBouncer auth_query function, schema-qualified. */
export const POOLER_AUTH_FUNCTION = `${POOLER_AUTH_SCHEMA}.get_auth`;

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Every database and role name goes into the script through this, so keywords stay names. */
const ident = (name: string) => quoteIdentifier(name, "sql");

/**
 * Switches database and pins the session's search_path: each database is owned by its
 * migrate role, which could set a database-level search_path and plant functions in `public`
 * for the superuser running this script to call; with only pg_catalog (and pg_temp) searched,
 * every unqualified name here is the catalog's. A rerun's "already exists" notices would drown
 * real messages, so only warnings are shown.
 */
const connect = (database: string) => [`\\connect ${ident(database)}`, "SET search_path = pg_catalog, pg_temp;", "SET client_min_messages = warning;"];

/** Schema the platform creates extensions in (each database's own `public`). */
const EXTENSION_SCHEMA = "public";

/**
 * Extensions whose control file fixes their schema and refuses any other (pg_cron lives in
 * pg_catalog: `CREATE EXTENSION pg_cron SCHEMA public` fails and the server never starts).
 */
const FIXED_SCHEMA_EXTENSIONS: ReadonlySet<string> = new Set(["pg_cron"]);

/** `CREATE EXTENSION` for one extension, in the platform's schema unless the extension fixes its own. */
function createExtension(extension: string): string {
    const schema = FIXED_SCHEMA_EXTENSIONS.has(extension) ? "" : ` SCHEMA ${EXTENSION_SCHEMA}`;
    return `CREATE EXTENSION IF NOT EXISTS ${ident(extension)}${schema};`;
}

const ROLE_ATTRIBUTES: Readonly<Record<LoginRole["kind"], string>> = {
    migrate: "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    readwrite: "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    readonly: "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    // REPLICATION for logical decoding; pg_hba.conf admits it to its database only, never to
    // physical replication (pg_basebackup), and PgBouncer's auth function never returns it.
    cdc: "NOSUPERUSER NOCREATEDB NOCREATEROLE REPLICATION NOBYPASSRLS",
    replication: "NOSUPERUSER NOCREATEDB NOCREATEROLE REPLICATION NOBYPASSRLS",
    exporter: "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    poolerAuth: "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
};

/**
 * Creates or updates a login role. It refuses anything but a SCRAM verifier, so a left-over
 * placeholder fails the script instead of becoming a password PostgreSQL would hash.
 */
const ENSURE_ROLE_FUNCTION = `CREATE FUNCTION pg_temp.ensure_login_role(role_name text, verifier text, attributes text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF verifier !~ '^SCRAM-SHA-256\\$' THEN
        RAISE EXCEPTION 'role %: the password is not a SCRAM-SHA-256 verifier (is a secret placeholder left?)', role_name;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
        EXECUTE pg_catalog.format('CREATE ROLE %I', role_name);
    END IF;
    EXECUTE pg_catalog.format('ALTER ROLE %I WITH LOGIN %s PASSWORD %L', role_name, attributes, verifier);
END
$fn$;`;

function roleStatements(roles: readonly LoginRole[], secrets?: RenderSecrets): string[] {
    const lines = ["-- Login roles: passwords only as SCRAM-SHA-256 verifiers.", ENSURE_ROLE_FUNCTION];
    for (const role of roles) {
        const attributes = `${ROLE_ATTRIBUTES[role.kind]} CONNECTION LIMIT ${role.connectionLimit}`;
        lines.push(`SELECT pg_temp.ensure_login_role(${literal(role.name)}, ${literal(roleVerifier(role.name, secrets))}, ${literal(attributes)});`);
    }
    for (const role of roles) {
        if (!role.memberOf) continue;
        lines.push(`GRANT ${ident(role.memberOf)} TO ${ident(role.name)};`);
    }
    return lines;
}

function clusterStatements(spec: PlatformSpec): string[] {
    const lines = ["", "-- The maintenance database: monitoring only."];
    const maintenance = ident(MAINTENANCE_DATABASE);
    lines.push(`REVOKE CONNECT ON DATABASE ${maintenance} FROM PUBLIC;`);
    if (hasExporter(spec)) {
        lines.push(`GRANT pg_monitor TO ${ident(PLATFORM_ROLES.exporter)};`, `GRANT CONNECT ON DATABASE ${maintenance} TO ${ident(PLATFORM_ROLES.exporter)};`);
    }
    if (preloadLibraries(spec).includes("pg_stat_statements")) lines.push(createExtension("pg_stat_statements"));
    lines.push(...verificationStatements(spec));
    if (spec.topology === "primary") {
        lines.push("", "-- One physical slot per replica; slots of removed replicas are dropped once idle.");
        for (let n = 1; n <= spec.replicas; n++) {
            const slot = literal(replicaSlotName(n));
            lines.push(
                `SELECT pg_catalog.pg_create_physical_replication_slot(${slot}, true) WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_replication_slots WHERE slot_name = ${slot});`,
            );
        }
        lines.push(
            `SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name ~ '^replica_[0-9]+$' AND substring(slot_name FROM 9)::int > ${spec.replicas} AND NOT active;`,
        );
    }
    return lines;
}

/**
 * The restore verification's results (written by the image's verify-restore.sh as the
 * superuser), created whatever `backup.verify` says so the exporter's query always finds it;
 * the exporter may read it, nobody else.
 */
function verificationStatements(spec: PlatformSpec): string[] {
    const schema = ident(BACKUP_VERIFICATION_TABLE.schema);
    const table = `${schema}.${ident(BACKUP_VERIFICATION_TABLE.table)}`;
    const lines = [
        "",
        "-- Restore verification results (backup.verify), read by the exporter.",
        `CREATE SCHEMA IF NOT EXISTS ${schema};`,
        `REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC;`,
        `CREATE TABLE IF NOT EXISTS ${table} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    success boolean NOT NULL,
    backup_label text,
    restore_seconds double precision,
    duration_seconds double precision NOT NULL,
    detail text NOT NULL
);`,
        `REVOKE ALL ON ${table} FROM PUBLIC;`,
    ];
    if (hasExporter(spec)) {
        const exporter = ident(PLATFORM_ROLES.exporter);
        lines.push(`GRANT USAGE ON SCHEMA ${schema} TO ${exporter};`, `GRANT SELECT ON ${table} TO ${exporter};`);
    }
    return lines;
}

/** Extensions created in a database: its own list plus preloads that work per database. */
function databaseExtensions(spec: PlatformSpec, index: number): string[] {
    const preloads = preloadLibraries(spec);
    const names = new Set<ExtensionName>(spec.postgres.databases[index].extensions);
    if (preloads.includes("pg_stat_statements")) names.add("pg_stat_statements");
    if (preloads.includes("pgaudit")) names.add("pgaudit");
    // pg_cron lives in exactly one database: cron.database_name, the first one.
    if (index === 0 && preloads.includes("pg_cron")) names.add("pg_cron");
    else names.delete("pg_cron");
    return [...names].map(extensionSqlName).filter((name): name is string => name !== undefined);
}

function poolerAuthStatements(): string[] {
    const auth = ident(PLATFORM_ROLES.poolerAuth);
    const superuser = ident(SUPERUSER);
    return [
        "-- PgBouncer auth_query: own schema, SECURITY DEFINER, pinned search_path; never a",
        "-- superuser's, replication role's or non-login role's secret, and only SCRAM verifiers.",
        `CREATE SCHEMA IF NOT EXISTS ${POOLER_AUTH_SCHEMA};`,
        `ALTER SCHEMA ${POOLER_AUTH_SCHEMA} OWNER TO ${superuser};`,
        `REVOKE ALL ON SCHEMA ${POOLER_AUTH_SCHEMA} FROM PUBLIC;`,
        `GRANT USAGE ON SCHEMA ${POOLER_AUTH_SCHEMA} TO ${auth};`,
        `CREATE OR REPLACE FUNCTION ${POOLER_AUTH_FUNCTION}(p_usename text)
RETURNS TABLE (usename name, passwd text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT a.rolname, a.rolpassword
    FROM pg_catalog.pg_authid a
    WHERE a.rolname = p_usename
      AND a.rolcanlogin
      AND NOT a.rolsuper
      AND NOT a.rolreplication
      AND a.rolpassword LIKE 'SCRAM-SHA-256$%'
      AND (a.rolvaliduntil IS NULL OR a.rolvaliduntil > pg_catalog.now())
$fn$;`,
        `ALTER FUNCTION ${POOLER_AUTH_FUNCTION}(text) OWNER TO ${superuser};`,
        `REVOKE ALL ON FUNCTION ${POOLER_AUTH_FUNCTION}(text) FROM PUBLIC;`,
        `GRANT EXECUTE ON FUNCTION ${POOLER_AUTH_FUNCTION}(text) TO ${auth};`,
    ];
}

/**
 * What the migrate role creates later, in `public` or in any schema a migration makes (no
 * `IN SCHEMA`: these apply database-wide): the app role may use every new schema, read and
 * write its tables and sequences and run its functions; the read-only role may use the
 * schemas, read the tables and sequences and run the functions (which run as the caller, so
 * they write nothing it could not). Neither gets CREATE on a schema or owns anything, so
 * neither can change DDL. New functions are not executable by PUBLIC.
 */
function ownerDefaultPrivileges(owner: string, app: string, readonly: string): string[] {
    const forOwner = `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner}`;
    return [
        `${forOwner} GRANT USAGE ON SCHEMAS TO ${app}, ${readonly};`,
        `${forOwner} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app};`,
        `${forOwner} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${app};`,
        `${forOwner} GRANT SELECT ON TABLES TO ${readonly};`,
        `${forOwner} GRANT SELECT ON SEQUENCES TO ${readonly};`,
        `${forOwner} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;`,
        `${forOwner} GRANT EXECUTE ON FUNCTIONS TO ${app}, ${readonly};`,
    ];
}

function databaseStatements(spec: PlatformSpec, index: number): string[] {
    const name = spec.postgres.databases[index].name;
    const [ownerName, appName, readonlyName] = (["migrate", "readwrite", "readonly"] as const).map((access) => databaseRole(name, access));
    const [db, owner, app, readonly] = [name, ownerName, appName, readonlyName].map(ident);
    const lines = [
        "",
        `-- Database ${name}: owned by ${ownerName} (migrations), used by ${appName} (read-write) and ${readonlyName}.`,
        ...connect(MAINTENANCE_DATABASE),
        `SELECT pg_catalog.format('CREATE DATABASE %I OWNER %I', ${literal(name)}, ${literal(ownerName)}) WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = ${literal(name)})\\gexec`,
        `ALTER DATABASE ${db} OWNER TO ${owner};`,
        `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
        `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${app}, ${readonly};`,
        // The pool's auth role runs the auth function in each database a client asks for.
        ...(hasPooler(spec) ? [`GRANT CONNECT ON DATABASE ${db} TO ${ident(PLATFORM_ROLES.poolerAuth)};`] : []),
        // The CDC role streams from and snapshots its own database; with failover slots each
        // replica's slot-sync worker reads slot positions through the first CDC database.
        ...(cdcDatabase(spec, name) ? [`GRANT CONNECT ON DATABASE ${db} TO ${ident(cdcNames(name).role)};`] : []),
        ...(hasFailoverSlots(spec) && spec.postgres.cdc.databases[0].name === name
            ? [`GRANT CONNECT ON DATABASE ${db} TO ${ident(PLATFORM_ROLES.replication)};`]
            : []),
        ...connect(name),
        // Since 15 `public` belongs to pg_database_owner (the migrate role); PUBLIC keeps only USAGE.
        // Grants reach tables through the owner's default privileges alone: a blanket
        // "ON ALL TABLES" would also hand the app role extension objects such as pg_stat_statements.
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
        `GRANT USAGE ON SCHEMA public TO ${app}, ${readonly};`,
        ...ownerDefaultPrivileges(owner, app, readonly),
    ];
    // Objects an extra migrate login creates must belong to the owner role, or the app roles'
    // default privileges (granted for the owner) would not cover them.
    for (const role of loginRoleSpecs(spec)) {
        if (role.kind === "migrate" && role.memberOf && role.database === name)
            lines.push(`ALTER ROLE ${ident(role.name)} IN DATABASE ${db} SET role = ${literal(role.memberOf)};`);
    }
    const extensions = databaseExtensions(spec, index);
    lines.push(...extensions.map(createExtension));
    if (extensions.includes("pg_cron")) lines.push(`GRANT USAGE ON SCHEMA cron TO ${owner};`);
    if (hasPooler(spec)) lines.push(...poolerAuthStatements());
    lines.push(...cdcStatements(spec, name));
    return lines;
}

/**
 * The psql script that prepares a primary (or single server), run as the superuser by initdb
 * on a new cluster (the image's `/docker-entrypoint-initdb.d`) and by the image's
 * apply-init-sql.sh on every later start of the writer: it converges roles, databases, grants,
 * extensions, replication slots and the PgBouncer auth function to the spec and fails nothing
 * the second time. Passwords go in as SCRAM verifiers computed here;
 * without `secrets` each is a placeholder the script refuses to apply.
 */
export function renderInitSql(spec: PlatformSpec, secrets?: RenderSecrets): string {
    const lines = [
        "-- pg-platform init SQL (psql script). Rendered: edit the stack config, not this file.",
        "\\set ON_ERROR_STOP on",
        ...connect(MAINTENANCE_DATABASE),
        ...roleStatements(loginRoleSpecs(spec), secrets),
        ...clusterStatements(spec),
        ...spec.postgres.databases.flatMap((_, i) => databaseStatements(spec, i)),
    ];
    return `${lines.join("\n")}\n`;
}
