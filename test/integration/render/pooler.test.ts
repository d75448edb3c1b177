import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "pg";
import { stopAll } from "../../helpers/processes";
import { bootPrimary, listeningAddresses, queryAs, startPgbouncer, testSpec, type BootedPrimary } from "../../helpers/stack";

afterAll(stopAll);

const POOL_SIZE = 2;
const CLIENTS = 12;

describe.each([18, 15] as const)("rendered PgBouncer pools in front of PostgreSQL %i", (version) => {
    const spec = testSpec(version, {
        topology: "primary",
        pooler: { transaction: { defaultPoolSize: POOL_SIZE, reservePoolSize: 0 } },
    });
    let booted: BootedPrimary;
    let transactionPort: number;
    let sessionPort: number;
    const login = (user: string, port: number, password = booted.secrets.passwords[user]) => ({ user, password, port });

    beforeAll(async () => {
        booted = await bootPrimary(spec);
        [transactionPort, sessionPort] = (await Promise.all([startPgbouncer(booted, "transaction"), startPgbouncer(booted, "session")])).map((p) => p.port);
    });

    it("listens on 127.0.0.1 only, TCP only", () => {
        expect(listeningAddresses(transactionPort)).toEqual(["127.0.0.1"]);
        expect(listeningAddresses(sessionPort)).toEqual(["127.0.0.1"]);
    });

    it("lets an app role in with its SCRAM password through both pools, as itself", async () => {
        for (const port of [transactionPort, sessionPort]) {
            expect(await queryAs(login("app_app", port), "SELECT current_user AS u")).toEqual([{ u: "app_app" }]);
            expect(await queryAs(login("app_readonly", port), "SELECT current_user AS u")).toEqual([{ u: "app_readonly" }]);
        }
    });

    it("refuses a wrong password, a superuser and an md5-stored role", async () => {
        await booted.server.query("DO $$ BEGIN EXECUTE format('CREATE ROLE legacy LOGIN PASSWORD %L', 'md5' || md5('legacy-pw' || 'legacy')); END $$");
        await booted.server.query("GRANT CONNECT ON DATABASE app TO legacy");
        for (const port of [transactionPort, sessionPort]) {
            await expect(queryAs(login("app_app", port, "wrong"), "SELECT 1")).rejects.toThrow(/SASL authentication failed|password authentication failed/);
            await expect(queryAs({ ...login("postgres", port, booted.server.superuserPassword) }, "SELECT 1")).rejects.toThrow();
            await expect(queryAs(login("legacy", port, "legacy-pw"), "SELECT 1")).rejects.toThrow();
        }
    });

    it("multiplexes the transaction pool: more clients than server connections, all served", async () => {
        const clients = Array.from({ length: CLIENTS }, () => new Client({ host: "127.0.0.1", ...login("app_app", transactionPort), database: "app" }));
        await Promise.all(clients.map((c) => c.connect()));
        try {
            const pids = await Promise.all(clients.map(async (c) => (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid, pg_sleep(0.1)")).rows[0].pid));
            expect(pids).toHaveLength(CLIENTS);
            expect(new Set(pids).size).toBeLessThanOrEqual(POOL_SIZE);
        } finally {
            await Promise.all(clients.map((c) => c.end()));
        }
    });

    it("keeps session state in the session pool: a prepared statement and a temp table survive", async () => {
        const client = new Client({ host: "127.0.0.1", ...login("app_app", sessionPort), database: "app" });
        await client.connect();
        try {
            await client.query("PREPARE one_more (int) AS SELECT $1 + 1 AS n");
            await client.query("CREATE TEMP TABLE scratch (n int)");
            await client.query("INSERT INTO scratch VALUES (41)");
            expect((await client.query("EXECUTE one_more(41)")).rows).toEqual([{ n: 42 }]);
            expect((await client.query("SELECT n FROM scratch")).rows).toEqual([{ n: 41 }]);
        } finally {
            await client.end();
        }
    });
});
