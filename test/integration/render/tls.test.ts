import * as fs from "node:fs";
import * as path from "node:path";
import { Client, type ClientConfig } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filePaths, primaryConninfo, tlsPaths } from "../../../components/render";
import { run, scratchDir, stopAll, writeServiceFile } from "../../../cli/local/processes";
import { installCertificate, makeCa, type TestCa } from "../../helpers/tls";
import { PSQL, bootPrimary, startPgbouncer, testSpec, type BootedPrimary } from "../../../cli/local/stack";

afterAll(async () => {
    await stopAll();
});

describe("TLS as the Docker target deploys it, on real servers (PostgreSQL 15, PgBouncer 1.18)", () => {
    const spec = testSpec(15, { topology: "primary", replicas: 1, postgres: { tls: { enabled: true } } });
    let booted: BootedPrimary;
    let ca: TestCa;
    let poolPort: number;
    let untrustingPool: Awaited<ReturnType<typeof startPgbouncer>>;
    let clientHome: string;

    beforeAll(async () => {
        ca = await makeCa("stack-ca");
        booted = await bootPrimary(spec);
        // bootPrimary starts with a throwaway self-signed certificate; swap in the CA-signed
        // one at the rendered paths. PostgreSQL reloads its certificate and key on SIGHUP.
        await installCertificate(ca, "primary", tlsPaths(booted.layout, "postgres"));
        await booted.server.query("SELECT pg_reload_conf()");

        const pool = { ...booted, layout: { ...booted.layout, pgbouncerTlsDir: path.join(scratchDir("pool-tls"), "tls") } };
        await installCertificate(ca, "pooler-transaction", tlsPaths(pool.layout, "pgbouncer"));
        poolPort = (await startPgbouncer(pool, "transaction")).port;

        // A pool whose CA did not sign the primary's certificate: verify-full must stop it.
        const stranger = await makeCa("stranger-ca");
        const untrusting = { ...booted, layout: { ...booted.layout, pgbouncerTlsDir: path.join(scratchDir("pool-tls-untrusting"), "tls") } };
        await installCertificate(ca, "pooler-session", tlsPaths(untrusting.layout, "pgbouncer"), stranger);
        untrustingPool = await startPgbouncer(untrusting, "session");
        // libpq reads ~/.postgresql for client certificates; the service user's psql needs a HOME it may read.
        clientHome = scratchDir("client-home");
    });

    const app = () => ({ user: "app_app", password: booted.secrets.passwords.app_app, database: "app", host: "127.0.0.1" });

    /** psql as the service user, as a client on the host would run it. */
    const psql = (args: string[], env: Record<string, string> = {}) => run(PSQL, ["-X", "-A", "-t", ...args], { env: { HOME: clientHome, ...env } });

    /** Connects with `ssl` settings and returns whether the backend serving the session sees TLS. */
    const sessionSsl = async (port: number, ssl: ClientConfig["ssl"]) => {
        const client = new Client({ ...app(), port, ssl, connectionTimeoutMillis: 10_000 });
        await client.connect();
        try {
            return (await client.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl;
        } finally {
            await client.end();
        }
    };
    const caPem = () => fs.readFileSync(ca.cert, "utf8");

    it("PostgreSQL accepts an application role over TLS only, verified against the stack's CA", async () => {
        expect(await sessionSsl(booted.server.port, { ca: caPem(), rejectUnauthorized: true })).toBe(true);
        await expect(sessionSsl(booted.server.port, false)).rejects.toThrow(
            /pg_hba.conf rejects connection for host "127.0.0.1", user "app_app", database "app", no encryption/,
        );
    });

    it("the pool serves clients with sslmode=require (libpq, as the stack's URLs say) and verify-full against the CA", async () => {
        const url = `postgresql://app_app:${encodeURIComponent(app().password)}@127.0.0.1:${poolPort}/app?sslmode=require`;
        const viaUrl = await psql(["-c", "SELECT current_user", url]);
        expect(viaUrl.stderr).toBe("");
        expect(viaUrl.stdout.trim()).toBe("app_app");

        const caFile = path.join(clientHome, "ca.crt");
        writeServiceFile(caFile, caPem(), 0o644);
        const verified = await psql(["-c", "SELECT 1", `host=localhost port=${poolPort} dbname=app user=app_app sslmode=verify-full sslrootcert=${caFile}`], {
            PGPASSWORD: app().password,
        });
        expect(verified.stderr).toBe("");
        expect(verified.stdout.trim()).toBe("1");
        expect(await sessionSsl(poolPort, { ca: caPem(), rejectUnauthorized: true })).toBe(true);
    });

    it("the pool refuses a client without TLS", async () => {
        await expect(sessionSsl(poolPort, false)).rejects.toThrow(/SSL required/i);
    });

    it("the pool talks TLS to the primary (pg_stat_ssl of its server connection) and verifies its certificate", async () => {
        // sessionSsl asks the backend the pool connected to: ssl = true is the pool-to-primary hop.
        expect(await sessionSsl(poolPort, { rejectUnauthorized: false })).toBe(true);
        await expect(sessionSsl(untrustingPool.port, { rejectUnauthorized: false })).rejects.toThrow();
        expect(untrustingPool.process.output()).toMatch(/certificate verify failed/);
    });

    it("a replica's rendered primary_conninfo (verify-full with the CA) reaches the primary over the replication protocol", async () => {
        const paths = filePaths(booted.layout);
        const replicaFiles = booted.services.find((s) => s.name === "replica-1")?.files ?? [];
        const passfile = replicaFiles.find((f) => f.path === paths.replicationPassfile);
        if (!passfile) throw new Error("the render has no replication passfile");
        writeServiceFile(passfile.path, passfile.content, passfile.mode);
        const conninfo = primaryConninfo(spec, booted.layout, 1);
        expect(conninfo).toContain("sslmode=verify-full");
        const result = await psql(["-c", "IDENTIFY_SYSTEM", `${conninfo} replication=true dbname=replication`]);
        expect(result.stderr).toBe("");
        expect(result.stdout).toMatch(/^\d+\|1\|/);
    });
});
