/**
 * Change data capture as a declared capability (`postgres.cdc.databases`): per database, the
 * init SQL statements that make its publication, its pgoutput slot and the upkeep that keeps
 * the CDC role's SELECT grants and the publication equal to the named tables, also for tables
 * a migration creates after the stack is up. Pure: no Pulumi import.
 */
import type { PlatformSpec } from "../config";
import { CDC_PLUGIN, CDC_SCHEMA, cdcNames, databaseRole } from "../platform/constants";
import { SUPERUSER, quoteIdentifier } from "../platform/identifiers";

/** One database's CDC declaration, as the spec holds it. */
export type CdcDatabase = PlatformSpec["postgres"]["cdc"]["databases"][number];

const ident = (name: string) => quoteIdentifier(name, "sql");
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The CDC declaration of `database`, or undefined when `postgres.cdc` does not name it. */
export function cdcDatabase(spec: PlatformSpec, database: string): CdcDatabase | undefined {
    return spec.postgres.cdc.databases.find((db) => db.name === database);
}

/** Whether a CDC slot is created as a failover slot (PostgreSQL 17+, where slots can be synced to standbys). */
export const failoverSlotsSupported = (spec: PlatformSpec): boolean => spec.postgres.version >= 17;

/**
 * The upkeep function: for a list of tables, grants the CDC role USAGE on their schemas and
 * SELECT on exactly those tables that exist, adds them to the publication, and takes back
 * SELECT and publication membership from any other table; for `all`, grants SELECT on every
 * table the migrate role owns (its default privileges cover the ones it creates later).
 * SECURITY DEFINER as the superuser (altering a publication needs its owner), search_path pinned.
 */
function upkeepFunction(db: CdcDatabase): string {
    const { role, publication } = cdcNames(db.name);
    const owner = databaseRole(db.name, "migrate");
    const roleOid = (name: string) => `(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ${literal(name)})`;
    const body =
        db.tables === "all"
            ? `DECLARE
    rel regclass;
    nsp name;
BEGIN
    FOR rel IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
               WHERE c.relowner = ${roleOid(owner)} AND c.relkind IN ('r', 'p') LOOP
        CONTINUE WHEN pg_catalog.has_table_privilege(${literal(role)}, rel, 'SELECT');
        EXECUTE pg_catalog.format('GRANT SELECT ON TABLE %s TO %I', rel, ${literal(role)});
    END LOOP;
    FOR nsp IN SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspowner = ${roleOid(owner)} OR n.nspname = 'public' LOOP
        CONTINUE WHEN pg_catalog.has_schema_privilege(${literal(role)}, nsp, 'USAGE');
        EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I', nsp, ${literal(role)});
    END LOOP;`
            : `DECLARE
    wanted text[] := ARRAY[${db.tables.map(literal).join(", ")}];
    rel regclass;
    qualified text;
BEGIN
    -- What the role may read and the publication holds beyond the list goes.
    FOR rel IN SELECT DISTINCT c.oid::regclass FROM pg_catalog.pg_class c
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, pg_catalog.aclexplode(c.relacl) a
               WHERE a.grantee = ${roleOid(role)} AND NOT (n.nspname || '.' || c.relname = ANY (wanted)) LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON TABLE %s FROM %I', rel, ${literal(role)});
    END LOOP;
    FOR rel IN SELECT c.oid::regclass FROM pg_catalog.pg_publication_rel pr
               JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
               JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE p.pubname = ${literal(publication)} AND NOT (n.nspname || '.' || c.relname = ANY (wanted)) LOOP
        EXECUTE pg_catalog.format('ALTER PUBLICATION %I DROP TABLE %s', ${literal(publication)}, rel);
    END LOOP;
    -- Each listed table that exists: USAGE on its schema, SELECT on it, in the publication.
    FOREACH qualified IN ARRAY wanted LOOP
        rel := pg_catalog.to_regclass(pg_catalog.format('%I.%I', pg_catalog.split_part(qualified, '.', 1), pg_catalog.split_part(qualified, '.', 2)));
        CONTINUE WHEN rel IS NULL;
        -- Only what is missing: a GRANT rewrites the catalog row even when nothing changes.
        IF NOT pg_catalog.has_schema_privilege(${literal(role)}, pg_catalog.split_part(qualified, '.', 1), 'USAGE') THEN
            EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I', pg_catalog.split_part(qualified, '.', 1), ${literal(role)});
        END IF;
        IF NOT pg_catalog.has_table_privilege(${literal(role)}, rel, 'SELECT') THEN
            EXECUTE pg_catalog.format('GRANT SELECT ON TABLE %s TO %I', rel, ${literal(role)});
        END IF;
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
                       WHERE p.pubname = ${literal(publication)} AND pr.prrelid = rel) THEN
            EXECUTE pg_catalog.format('ALTER PUBLICATION %I ADD TABLE %s', ${literal(publication)}, rel);
        END IF;
    END LOOP;`;
    return `CREATE OR REPLACE FUNCTION ${CDC_SCHEMA}.converge() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
${body}
END
$fn$;`;
}

/**
 * The init SQL of one CDC database, run as the superuser while connected to it: the upkeep
 * schema and function (the superuser's, closed to PUBLIC), the publication (`FOR ALL TABLES`
 * needs a superuser; a list starts empty and is filled by the upkeep), the upkeep run now and,
 * for a list, by an event trigger after every CREATE/ALTER TABLE, so tables a migration makes
 * join at once; the default privileges that let the role read what the migrate role creates
 * (for `all`); and the pgoutput slot the connector reads, failover-enabled on 17+.
 * A database `postgres.cdc` no longer names loses the event trigger and, once idle, the slot
 * (the role and publication stay, as nothing the config removes is dropped).
 */
export function cdcStatements(spec: PlatformSpec, database: string): string[] {
    const db = cdcDatabase(spec, database);
    const { role, publication, slot } = cdcNames(database);
    const trigger = `${CDC_SCHEMA}_tables`;
    const dropSlotIfIdle = `SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = ${literal(slot)} AND NOT active;`;
    if (!db) {
        if (!spec.postgres.cdc.enabled) return [];
        return ["-- Not a CDC database: no platform trigger, no idle platform slot.", `DROP EVENT TRIGGER IF EXISTS ${ident(trigger)};`, dropSlotIfIdle];
    }
    const tables = db.tables;
    const all = tables === "all";
    const owner = ident(databaseRole(database, "migrate"));
    const lines = [
        `-- CDC: ${role} streams publication ${publication} (${tables === "all" ? "all tables" : tables.join(", ")}) through slot ${slot}.`,
        `CREATE SCHEMA IF NOT EXISTS ${CDC_SCHEMA};`,
        `ALTER SCHEMA ${CDC_SCHEMA} OWNER TO ${ident(SUPERUSER)};`,
        `REVOKE ALL ON SCHEMA ${CDC_SCHEMA} FROM PUBLIC;`,
        // A publication switched between `all` and a list is made anew (ALTER cannot switch it).
        `SELECT pg_catalog.format('DROP PUBLICATION %I', pubname) FROM pg_catalog.pg_publication WHERE pubname = ${literal(publication)} AND puballtables <> ${all}\\gexec`,
        `SELECT pg_catalog.format('CREATE PUBLICATION %I${all ? " FOR ALL TABLES" : ""}', ${literal(publication)}) WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_publication WHERE pubname = ${literal(publication)})\\gexec`,
        upkeepFunction(db),
        `ALTER FUNCTION ${CDC_SCHEMA}.converge() OWNER TO ${ident(SUPERUSER)};`,
        `REVOKE ALL ON FUNCTION ${CDC_SCHEMA}.converge() FROM PUBLIC;`,
        `SELECT ${CDC_SCHEMA}.converge();`,
    ];
    if (all) {
        lines.push(
            `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT USAGE ON SCHEMAS TO ${ident(role)};`,
            `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT SELECT ON TABLES TO ${ident(role)};`,
            `DROP EVENT TRIGGER IF EXISTS ${ident(trigger)};`,
        );
    } else {
        lines.push(
            `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} REVOKE USAGE ON SCHEMAS FROM ${ident(role)};`,
            `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} REVOKE SELECT ON TABLES FROM ${ident(role)};`,
            `CREATE OR REPLACE FUNCTION ${CDC_SCHEMA}.on_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    -- Temporary tables (an application's scratch space) never change what is published.
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands() c WHERE c.schema_name IS NULL OR c.schema_name NOT LIKE 'pg\\_temp%') THEN
        RETURN;
    END IF;
    PERFORM ${CDC_SCHEMA}.converge();
END
$fn$;`,
            `ALTER FUNCTION ${CDC_SCHEMA}.on_ddl() OWNER TO ${ident(SUPERUSER)};`,
            `REVOKE ALL ON FUNCTION ${CDC_SCHEMA}.on_ddl() FROM PUBLIC;`,
            `DROP EVENT TRIGGER IF EXISTS ${ident(trigger)};`,
            `CREATE EVENT TRIGGER ${ident(trigger)} ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE') EXECUTE FUNCTION ${CDC_SCHEMA}.on_ddl();`,
        );
    }
    const failover = failoverSlotsSupported(spec) ? ", false, true" : "";
    lines.push(
        `SELECT pg_catalog.pg_create_logical_replication_slot(${literal(slot)}, ${literal(CDC_PLUGIN)}, false${failover}) WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_replication_slots WHERE slot_name = ${literal(slot)});`,
    );
    return lines;
}
