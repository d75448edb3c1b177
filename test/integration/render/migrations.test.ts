// Least privilege beyond `public`, and migrations kept off the transaction pool, proven with
// node-pg-migrate (npm) on real PostgreSQL 18.4 and 15 behind real PgBouncer (Debian 12's 1.18).
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, stopAll, waitFor } from "../../../cli/local/processes";
import { bootPrimary, queryAs, startPgbouncer, testSpec, type BootedPrimary } from "../../../cli/local/stack";
import { MIGRATION_LOCK, idleThenCreate, migrate, migrationsDir, startMigration } from "../../helpers/migrations";

afterAll(stopAll);

/** What a migration creates after the stack is up: a schema of its own with a table, a sequence and a function. */
const SALES = {
    "1_sales": [
        "CREATE SCHEMA sales;",
        "CREATE TABLE sales.orders (id bigserial PRIMARY KEY, item text NOT NULL);",
        "CREATE FUNCTION sales.order_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM sales.orders';",
    ].join("\n"),
    "2_refunds": "CREATE TABLE sales.refunds (order_id bigint NOT NULL REFERENCES sales.orders (id), amount numeric NOT NULL);",
};

/** A migration caught holding its lock while idle, outside a transaction. */
const SLOW = { "1_slow.cjs": idleThenCreate(4_000, "public.slow_marker") };

describe.each([18, 15] as const)("migrations on PostgreSQL %i through PgBouncer 1.18 (node-pg-migrate)", (version) => {
    const spec = testSpec(version, { topology: "primary", pooler: { transaction: { defaultPoolSize: 2, reservePoolSize: 0 } } });
    let booted: BootedPrimary;
    let transactionPort: number;
    let sessionPort: number;
    /** The transaction pool as it was before migrate roles got session mode: the control. */
    let unfixedPort: number;
    const pw = (role: string) => booted.secrets.passwords[role];
    const url = (role: string, port: number) => `postgresql://${role}:${encodeURIComponent(pw(role))}@127.0.0.1:${port}/app`;
    const as = (role: string, sql: string) => queryAs({ user: role, password: pw(role), port: booted.server.port }, sql);
    const advisoryLocks = async () =>
        (
            await booted.server.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted", [], { database: "app" })
        )[0].n;

    beforeAll(async () => {
        booted = await bootPrimary(spec);
        [transactionPort, sessionPort, unfixedPort] = (
            await Promise.all([
                startPgbouncer(booted, "transaction"),
                startPgbouncer(booted, "session"),
                startPgbouncer(booted, "transaction", { port: await freePort(), editIni: (ini) => ini.replace(/\[users\][^[]*$/, "") }),
            ])
        ).map((p) => p.port);
    });

    it("a schema the migration makes is usable by the app role, readable by the read-only role, changed by neither", async () => {
        const run = await migrate(url("app_migrate", sessionPort), migrationsDir(SALES));
        expect(run.output).not.toMatch(/error/i);
        expect(run.code).toBe(0);

        // app: reads and writes every table, uses the sequence, runs the function.
        expect(await as("app_app", "INSERT INTO sales.orders (item) VALUES ('tea'), ('cake') RETURNING id")).toHaveLength(2);
        await as("app_app", "UPDATE sales.orders SET item = 'green tea' WHERE item = 'tea'");
        await as("app_app", "INSERT INTO sales.refunds SELECT id, 2.5 FROM sales.orders WHERE item = 'cake'");
        await as("app_app", "DELETE FROM sales.refunds");
        expect(await as("app_app", "SELECT sales.order_count() AS n")).toEqual([{ n: "2" }]);
        // read-only: reads tables and runs the (invoker's rights) function, writes nothing.
        expect(await as("app_readonly", "SELECT item FROM sales.orders ORDER BY id")).toEqual([{ item: "green tea" }, { item: "cake" }]);
        expect(await as("app_readonly", "SELECT count(*)::int AS n FROM sales.refunds")).toEqual([{ n: 0 }]);
        expect(await as("app_readonly", "SELECT sales.order_count() AS n")).toEqual([{ n: "2" }]);
        await expect(as("app_readonly", "INSERT INTO sales.orders (item) VALUES ('x')")).rejects.toThrow(/permission denied for table orders/);
        await expect(as("app_readonly", "SELECT nextval('sales.orders_id_seq')")).rejects.toThrow(/permission denied for sequence orders_id_seq/);

        for (const role of ["app_app", "app_readonly"]) {
            await expect(as(role, "CREATE TABLE sales.mine (id int)")).rejects.toThrow(/permission denied for schema sales/);
            await expect(as(role, "ALTER TABLE sales.orders ADD COLUMN note text")).rejects.toThrow(/must be owner of table orders/);
            await expect(as(role, "DROP TABLE sales.refunds")).rejects.toThrow(/must be owner of table refunds/);
            await expect(as(role, "TRUNCATE sales.orders")).rejects.toThrow(/permission denied for table orders/);
            await expect(as(role, "CREATE FUNCTION sales.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")).rejects.toThrow(/permission denied for schema sales/);
            await expect(as(role, "DROP SCHEMA sales CASCADE")).rejects.toThrow(/must be owner of schema sales/);
            await expect(as(role, "CREATE SCHEMA other")).rejects.toThrow(/permission denied for database app/);
            await expect(as(role, "CREATE TABLE public.mine (id int)")).rejects.toThrow(/permission denied for schema public/);
        }
        // New functions are not PUBLIC's: the database's other logins (none here but the pool's auth role) cannot run them.
        const acl = await booted.server.query<{ acl: string }>("SELECT proacl::text AS acl FROM pg_proc WHERE proname = 'order_count'", [], {
            database: "app",
        });
        expect(acl[0].acl).not.toMatch(/(^|[{,])=X/);
    });

    it("runs the migrate role in session mode on the transaction pool: its advisory lock dies with its client", async () => {
        const lockAndLeave = async (role: string, port: number) => {
            const client = new Client({ host: "127.0.0.1", port, user: role, password: pw(role), database: "app" });
            await client.connect();
            await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
            await client.end();
        };
        await lockAndLeave("app_migrate", transactionPort);
        await waitFor("the migrate role's lock to be released", async () => (await advisoryLocks()) === 0, 5_000);

        // Control: an application role stays in transaction mode, where the same lock
        // outlives its client on the pooled backend; so did the migrate role's before.
        await lockAndLeave("app_app", transactionPort);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await advisoryLocks()).toBe(1);
        await booted.server.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app_app'");
        await waitFor("the control lock to go", async () => (await advisoryLocks()) === 0, 5_000);
    });

    /**
     * A run killed after taking its lock leaves it on a pooled backend (transaction mode); the
     * next run's try-lock, sent on another backend while a client holds the first, is refused.
     */
    async function killedRunThenNextRun(port: number) {
        const dir = migrationsDir(SLOW);
        const table = `pgmigrations_${port}`;
        const killed = startMigration(url("app_migrate", port), dir, ["-t", table, "--no-single-transaction"]);
        // Idle with its lock: its last statement (reading the migrations table) done, now in the migration's wait.
        await waitFor(
            "the first run to hold its lock, idle",
            async () =>
                (
                    await booted.server.query<{ n: number }>(
                        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND a.state = 'idle' AND a.query LIKE 'SELECT name FROM %'`,
                        [],
                        { database: "app" },
                    )
                )[0].n > 0,
            20_000,
            50,
        );
        killed.child.kill("SIGKILL");
        await killed.done;
        // Another client of the pool keeps the most recently used backend busy, as traffic would.
        const busy = new Client({ host: "127.0.0.1", port, user: "app_migrate", password: pw("app_migrate"), database: "app" });
        await busy.connect();
        await busy.query("BEGIN");
        await busy.query("SELECT 1");
        try {
            return await migrate(url("app_migrate", port), dir, ["-t", table, "--no-single-transaction"]);
        } finally {
            await busy.query("ROLLBACK");
            await busy.end();
            await booted.server.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app_migrate'");
            await booted.server.query("DROP TABLE IF EXISTS public.slow_marker", [], { database: "app" });
        }
    }

    it("lets node-pg-migrate recover from a killed run through the transaction pool (it could not before)", async () => {
        const before = await killedRunThenNextRun(unfixedPort);
        expect(before.code).not.toBe(0);
        expect(before.output).toMatch(/Another migration is already running/);

        const after = await killedRunThenNextRun(transactionPort);
        expect(after.output).not.toMatch(/Another migration is already running/);
        expect(after.code).toBe(0);
    });

    it("serialises concurrent node-pg-migrate runs through the transaction pool: one migrates, the other is told a migration is running", async () => {
        const dir = migrationsDir({ "1_concurrent": "SELECT pg_sleep(8);\nCREATE TABLE public.concurrent_marker (id int);" });
        const first = startMigration(url("app_migrate", transactionPort), dir, ["-t", "pgmigrations_concurrent"]);
        await waitFor("the first run to hold its lock", async () => (await advisoryLocks()) > 0, 20_000, 50);
        const second = await migrate(url("app_migrate", transactionPort), dir, ["-t", "pgmigrations_concurrent"]);
        const firstRun = await first.done;
        expect(firstRun.code).toBe(0);
        expect(second.code).not.toBe(0);
        expect(second.output).toMatch(/Another migration is already running/);
        expect(await booted.server.query("SELECT count(*)::int AS n FROM pgmigrations_concurrent", [], { database: "app" })).toEqual([{ n: 1 }]);
    });
});
