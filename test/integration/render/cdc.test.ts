// CDC as a declared capability on real PostgreSQL 18.4 and 15 with TLS on: the platform's CDC
// role streams its publication with pg_recvlogical (pgoutput) and with an npm logical
// replication client, reads only the published tables, and is refused DDL, other tables,
// other databases, physical replication and the pools.
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { LogicalReplicationService, PgoutputPlugin } from "pg-logical-replication";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cdcNames } from "../../../components/platform/constants";
import { POOLER_AUTH_FUNCTION, filePaths, renderInitSql } from "../../../components/render";
import { PG_BIN, run, stopAll, writeServiceFile } from "../../../cli/local/processes";
import { PSQL, bootPrimary, psqlFile, service, testSpec, type BootedPrimary } from "../../../cli/local/stack";
import { migrate, migrationsDir } from "../../helpers/migrations";

afterAll(stopAll);

const PG_RECVLOGICAL = path.join(PG_BIN[15], "pg_recvlogical");

/** What the application's migrations create after the stack is up. */
const MIGRATIONS = {
    "1_sales":
        "CREATE SCHEMA sales;\nCREATE TABLE sales.orders (id bigserial PRIMARY KEY, item text NOT NULL);\nCREATE TABLE sales.secrets (id int PRIMARY KEY, secret text NOT NULL);",
};

describe.each([18, 15] as const)("CDC on PostgreSQL %i (TLS on): role, publication, slot", (version) => {
    const config = (appTables: string[]) => ({
        topology: "primary" as const,
        postgres: {
            tls: { enabled: true },
            databases: [{ name: "app", extensions: ["pg_trgm" as const] }, { name: "shop" }],
            cdc: {
                databases: [
                    { name: "app", tables: appTables },
                    { name: "shop", tables: "all" as const },
                ],
            },
        },
    });
    const spec = testSpec(version, config(["sales.orders"]));
    const cdc = cdcNames("app");
    let booted: BootedPrimary;
    const pw = (role: string) => booted.secrets.passwords[role];
    const tls = { rejectUnauthorized: false };
    const connect = async (user: string, database = "app") => {
        const client = new Client({ host: "127.0.0.1", port: booted.server.port, user, password: pw(user), database, ssl: tls });
        await client.connect();
        return client;
    };
    const as = async (user: string, sql: string, database = "app") => {
        const client = await connect(user, database);
        try {
            return (await client.query(sql)).rows;
        } finally {
            await client.end();
        }
    };
    const superuser = (sql: string, database = "app") => booted.server.query(sql, [], { database });
    const published = async (publication = cdc.publication) =>
        (await superuser(`SELECT schemaname || '.' || tablename AS t FROM pg_publication_tables WHERE pubname = '${publication}' ORDER BY 1`)).map((r) => r.t);
    const readable = async () =>
        (
            await superuser(`SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND has_schema_privilege('${cdc.role}', n.oid, 'USAGE') AND has_table_privilege('${cdc.role}', c.oid, 'SELECT') ORDER BY 1`)
        ).map((r) => r.t);
    const conninfo = (user: string) => `host=127.0.0.1 port=${booted.server.port} dbname=app user=${user} sslmode=require`;

    beforeAll(async () => {
        booted = await bootPrimary(spec);
    });

    it("creates the CDC role (LOGIN, REPLICATION, nothing more), the publication and a bounded pgoutput slot", async () => {
        const [role] = await superuser(
            `SELECT rolcanlogin, rolreplication, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolconnlimit, rolpassword ~ '^SCRAM-SHA-256' AS scram FROM pg_authid WHERE rolname = '${cdc.role}'`,
        );
        expect(role).toEqual({
            rolcanlogin: true,
            rolreplication: true,
            rolsuper: false,
            rolcreatedb: false,
            rolcreaterole: false,
            rolbypassrls: false,
            rolconnlimit: 5,
            scram: true,
        });
        const failover = version >= 17 ? ", failover" : "";
        const slots = await superuser(`SELECT slot_name, plugin, slot_type, database, wal_status${failover} FROM pg_replication_slots ORDER BY 1`);
        expect(slots).toEqual(
            ["app_cdc", "shop_cdc"].map((slot) => ({
                slot_name: slot,
                plugin: "pgoutput",
                slot_type: "logical",
                database: slot.replace("_cdc", ""),
                wal_status: "reserved",
                ...(version >= 17 ? { failover: true } : {}),
            })),
        );
        expect((await superuser("SHOW max_slot_wal_keep_size"))[0].max_slot_wal_keep_size).toBe("10GB");
        expect((await superuser("SHOW wal_level"))[0].wal_level).toBe("logical");
        // No table exists yet: the list publication is empty, the role reads nothing.
        expect(await published()).toEqual([]);
        expect(await readable()).toEqual([]);
        expect((await superuser("SELECT puballtables FROM pg_publication WHERE pubname = 'shop_cdc'", "shop"))[0].puballtables).toBe(true);
    });

    it("publishes and grants exactly the named tables once a migration creates them", async () => {
        const run = await migrate(
            `postgresql://app_migrate:${encodeURIComponent(pw("app_migrate"))}@127.0.0.1:${booted.server.port}/app?uselibpqcompat=true&sslmode=require`,
            migrationsDir(MIGRATIONS),
        );
        expect(run.code, run.output).toBe(0);
        expect(await published()).toEqual(["sales.orders"]);
        expect(await readable()).toEqual(["sales.orders"]);
        // An application's temporary table passes the trigger untouched.
        await expect(as("app_app", "CREATE TEMP TABLE scratch (id int)")).resolves.toEqual([]);
    });

    it("streams inserts to pg_recvlogical (pgoutput, proto_version 1) as the CDC role, published tables only", async () => {
        await as("app_app", "INSERT INTO sales.orders (item) VALUES ('recvlogical-tea'), ('recvlogical-cake')");
        await as("app_app", "INSERT INTO sales.secrets VALUES (1, 'recvlogical-secret')");
        const [{ lsn }] = await superuser("SELECT pg_current_wal_lsn()::text AS lsn");
        // Something after the end position, so the stream reaches it without waiting for a keepalive.
        await as("app_app", "INSERT INTO sales.orders (item) VALUES ('after-endpos')");
        const result = await run(
            PG_RECVLOGICAL,
            [
                "-d",
                conninfo(cdc.role),
                "-S",
                cdc.slot,
                "--start",
                "--no-loop",
                "-E",
                String(lsn),
                "-s",
                "1",
                "-o",
                "proto_version=1",
                "-o",
                `publication_names=${cdc.publication}`,
                "-f",
                "-",
            ],
            { unprivileged: false, env: { PGPASSWORD: pw(cdc.role) }, timeoutMs: 90_000 },
        );
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toContain("recvlogical-tea");
        expect(result.stdout).toContain("recvlogical-cake");
        expect(result.stdout).not.toContain("recvlogical-secret");
    });

    it("streams inserts to an npm client (pg-logical-replication, pgoutput) as the CDC role", async () => {
        await as("app_app", "INSERT INTO sales.orders (item) VALUES ('npm-tea'), ('npm-cake')");
        await as("app_app", "INSERT INTO sales.secrets VALUES (2, 'npm-secret')");
        const service = new LogicalReplicationService(
            { host: "127.0.0.1", port: booted.server.port, user: cdc.role, password: pw(cdc.role), database: "app", ssl: tls },
            { acknowledge: { auto: true, timeoutSeconds: 1 } },
        );
        const seen: { table: string; item?: string }[] = [];
        const done = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no npm-cake within 60 s; saw ${JSON.stringify(seen)}`)), 60_000);
            service.on("error", reject);
            service.on("data", (_lsn: string, log: { tag: string; relation?: { schema: string; name: string }; new?: Record<string, unknown> }) => {
                if (log.tag !== "insert" || !log.relation) return;
                seen.push({ table: `${log.relation.schema}.${log.relation.name}`, item: log.new?.item as string | undefined });
                if (log.new?.item === "npm-cake") {
                    clearTimeout(timer);
                    resolve();
                }
            });
        });
        void service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [cdc.publication] }), cdc.slot).catch(() => undefined);
        try {
            await done;
        } finally {
            await service.stop();
        }
        expect(seen.map((s) => s.table)).not.toContain("sales.secrets");
        expect(seen.map((s) => s.item)).toEqual(expect.arrayContaining(["npm-tea", "npm-cake"]));
    });

    it("refuses the CDC role DDL, writes, other tables, its publication, other databases, physical replication and the pools", async () => {
        const role = cdc.role;
        expect(await as(role, "SELECT count(*)::int AS n FROM sales.orders")).toEqual([{ n: 5 }]);
        await expect(as(role, "SELECT * FROM sales.secrets")).rejects.toThrow(/permission denied for table secrets/);
        await expect(as(role, "INSERT INTO sales.orders (item) VALUES ('x')")).rejects.toThrow(/permission denied for table orders/);
        await expect(as(role, "CREATE TABLE sales.mine (id int)")).rejects.toThrow(/permission denied for schema sales/);
        await expect(as(role, "CREATE TABLE public.mine (id int)")).rejects.toThrow(/permission denied for schema public/);
        await expect(as(role, "DROP TABLE sales.orders")).rejects.toThrow(/must be owner of table orders/);
        await expect(as(role, "ALTER PUBLICATION app_cdc ADD TABLE sales.secrets")).rejects.toThrow(/must be owner of publication app_cdc/);
        await expect(as(role, "CREATE PUBLICATION mine FOR TABLE sales.orders")).rejects.toThrow(/permission denied for database app/);
        await expect(as(role, "SELECT platform_cdc.converge()")).rejects.toThrow(/permission denied for schema platform_cdc/);
        await expect(as(role, "SELECT 1", "shop")).rejects.toThrow(/permission denied for database "?shop"?/);
        // Physical replication (a base backup of the whole cluster) stays the replication role's.
        const physical = await run(PSQL, ["-X", "-c", "IDENTIFY_SYSTEM", `${conninfo(role)} replication=true`], {
            unprivileged: false,
            env: { PGPASSWORD: pw(role) },
        });
        expect(physical.code).not.toBe(0);
        expect(physical.stderr).toMatch(/pg_hba.conf rejects replication connection for host "127.0.0.1", user "app_cdc"/);
        // The pools never authenticate it: not in their userlist, and the auth function returns no replication role.
        expect(await superuser(`SELECT * FROM ${POOLER_AUTH_FUNCTION}('${role}')`)).toEqual([]);
        const userlist = service(booted.services, "pooler-transaction").files.find((f) => f.path.endsWith("userlist.txt"))?.content ?? "";
        expect(userlist).toContain("app_app");
        expect(userlist).not.toContain(role);
    });

    it("reads every table of an `all` database the migrate role creates, through a FOR ALL TABLES publication", async () => {
        const shopUrl = `postgresql://shop_migrate:${encodeURIComponent(pw("shop_migrate"))}@127.0.0.1:${booted.server.port}/shop?uselibpqcompat=true&sslmode=require`;
        expect(
            (await migrate(shopUrl, migrationsDir({ "1_inventory": "CREATE SCHEMA inventory;\nCREATE TABLE inventory.items (id int PRIMARY KEY);" }))).output,
        ).not.toMatch(/error/i);
        expect(await as("shop_cdc", "SELECT count(*)::int AS n FROM inventory.items", "shop")).toEqual([{ n: 0 }]);
        const shopTables = await superuser("SELECT schemaname || '.' || tablename AS t FROM pg_publication_tables WHERE pubname = 'shop_cdc'", "shop");
        expect(shopTables.map((r) => r.t)).toContain("inventory.items");
        await expect(as("shop_cdc", "CREATE TABLE inventory.mine (id int)", "shop")).rejects.toThrow(/permission denied for schema inventory/);
    });

    it("converges to a changed table list on the next init SQL run: the dropped table leaves the publication and the role's grants", async () => {
        const changed = testSpec(version, config(["sales.secrets"]));
        const file = path.join(path.dirname(filePaths(booted.layout).initSql), "changed.sql");
        writeServiceFile(file, renderInitSql(changed, booted.secrets));
        const result = await psqlFile(booted.server, file);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(await published()).toEqual(["sales.secrets"]);
        expect(await readable()).toEqual(["sales.secrets"]);
        fs.rmSync(file);
    });
});
