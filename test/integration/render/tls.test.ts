import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "../../helpers/processes";
import { bootPrimary, queryAs, startPgbouncer, testSpec, type BootedPrimary } from "../../helpers/stack";

afterAll(stopAll);

describe("rendered files with TLS on (PostgreSQL 15, PgBouncer 1.18)", () => {
    const spec = testSpec(15, { topology: "primary", postgres: { tls: { enabled: true } } });
    let booted: BootedPrimary;
    let poolPort: number;

    beforeAll(async () => {
        booted = await bootPrimary(spec);
        poolPort = (await startPgbouncer(booted, "transaction")).port;
    });

    const connect = async (ssl: boolean) => {
        const client = new Client({
            host: "127.0.0.1", port: booted.server.port, user: "app_app", password: booted.secrets.passwords.app_app, database: "app",
            ssl: ssl ? { rejectUnauthorized: false } : false,
        });
        await client.connect();
        try {
            return (await client.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl;
        } finally {
            await client.end();
        }
    };

    it("accepts an application role over TLS only", async () => {
        expect(await connect(true)).toBe(true);
        await expect(connect(false)).rejects.toThrow(/pg_hba.conf rejects connection for host "127.0.0.1", user "app_app", database "app", no encryption/);
    });

    it("lets the pool reach the primary over TLS", async () => {
        expect(await queryAs({ user: "app_app", password: booted.secrets.passwords.app_app, port: poolPort }, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
            .toEqual([{ ssl: true }]);
    });
});
