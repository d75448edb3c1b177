// Failover slots on PostgreSQL 18.4 (17+): with CDC and a replica, the replica keeps a synced
// copy of the CDC slot, and once promoted a connector resumes from the position it confirmed on
// the old primary. There is no pg_basebackup for 18 here, so the replica is cloned with the
// low-level backup API (pg_backup_start, a file copy, pg_backup_stop's backup_label).
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filePaths, renderServices, replicaSlotName } from "../../../components/render";
import { PG_BIN, freePort, giveToServiceUser, run, scratchDir, stopAll, waitFor, writeServiceFile } from "../../../cli/local/processes";
import { startPostgres, type PgServer } from "../../../cli/local/postgres";
import { bootPrimary, installFiles, service, testSpec, type BootedPrimary } from "../../../cli/local/stack";

afterAll(stopAll);

const PG_RECVLOGICAL = path.join(PG_BIN[15], "pg_recvlogical");

describe("CDC failover slots on PostgreSQL 18: synced to the replica, usable after promotion", () => {
    const spec = testSpec(18, { topology: "primary", replicas: 1, postgres: { cdc: { databases: [{ name: "app", tables: "all" }] } } });
    let booted: BootedPrimary;
    let replica: PgServer;

    /** Streams the CDC slot from `port` up to the current end of WAL (pgoutput, text in the stream). */
    const stream = async (server: PgServer) => {
        const [{ lsn }] = await server.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
        // One more change past the end position, so the stream reaches it at once.
        await server.query("INSERT INTO public.orders (item) VALUES ('marker')", [], { database: "app" });
        const result = await run(
            PG_RECVLOGICAL,
            [
                "-d",
                `host=127.0.0.1 port=${server.port} dbname=app user=app_cdc`,
                "-S",
                "app_cdc",
                "--start",
                "--no-loop",
                "-E",
                lsn,
                "-s",
                "1",
                "-o",
                "proto_version=1",
                "-o",
                "publication_names=app_cdc",
                "-f",
                "-",
            ],
            { unprivileged: false, env: { PGPASSWORD: booted.secrets.passwords.app_cdc }, timeoutMs: 90_000 },
        );
        expect(result.stderr).toBe("");
        return result.stdout;
    };

    beforeAll(async () => {
        booted = await bootPrimary(spec);
        await booted.server.query("CREATE TABLE public.orders (id bigserial PRIMARY KEY, item text NOT NULL)", [], { database: "app" });
        await booted.server.query("ALTER TABLE public.orders OWNER TO app_migrate", [], { database: "app" });

        // The replica's own rendered files (conninfo, passfile, slot, sync_replication_slots).
        const layout = { ...booted.layout, postgresPort: await freePort(), postgresConfigDir: scratchDir("replica-conf") };
        const files = service(renderServices(spec, booted.secrets, layout), "replica-1");
        installFiles(files);
        const dataDir = path.join(scratchDir("replica"), "data");
        const backup = new Client(booted.server.clientConfig());
        await backup.connect();
        try {
            await backup.query("SELECT pg_backup_start('replica_1', true)");
            const copied = await run("cp", ["-a", booted.server.dataDir, dataDir], { unprivileged: false });
            expect(copied.stderr).toBe("");
            const [{ labelfile }] = (await backup.query<{ labelfile: string }>("SELECT labelfile FROM pg_backup_stop(true)")).rows;
            writeServiceFile(path.join(dataDir, "backup_label"), labelfile);
        } finally {
            await backup.end();
        }
        for (const stale of ["postmaster.pid", "postmaster.opts"]) fs.rmSync(path.join(dataDir, stale), { force: true });
        // Replication slots are the primary's; a clone starts without them.
        fs.rmSync(path.join(dataDir, "pg_replslot"), { recursive: true, force: true });
        fs.mkdirSync(path.join(dataDir, "pg_replslot"), { mode: 0o700 });
        writeServiceFile(path.join(dataDir, "standby.signal"), "");
        giveToServiceUser(dataDir);
        replica = await startPostgres({
            version: 18,
            dataDir,
            superuserPassword: booted.server.superuserPassword,
            port: layout.postgresPort,
            postgresqlConf: files.files.find((f) => f.path === filePaths(layout).postgresqlConf)?.content,
        });
    });

    it("renders and runs the slot-sync settings on both sides", async () => {
        expect(await replica.query("SELECT name, error FROM pg_file_settings WHERE error IS NOT NULL")).toEqual([]);
        expect((await booted.server.query("SHOW synchronized_standby_slots"))[0]).toEqual({ synchronized_standby_slots: replicaSlotName(1) });
        expect(
            await replica.query(
                "SELECT current_setting('sync_replication_slots') AS sync, current_setting('hot_standby_feedback') AS feedback, pg_is_in_recovery() AS standby",
            ),
        ).toEqual([{ sync: "on", feedback: "on", standby: true }]);
        await waitFor(
            "replica_1 streaming",
            async () =>
                (await booted.server.query("SELECT 1 FROM pg_stat_replication WHERE application_name = 'replica_1' AND state = 'streaming'")).length === 1,
            60_000,
        );
    });

    it("keeps a synced copy of the CDC slot on the replica, at the position the connector confirmed", async () => {
        await booted.server.query("INSERT INTO public.orders (item) VALUES ('seen-before-failover')", [], { database: "app" });
        expect(await stream(booted.server)).toContain("seen-before-failover");
        const [primarySlot] = await booted.server.query<{ confirmed: string }>(
            "SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = 'app_cdc'",
        );
        await waitFor(
            "the synced slot to reach the connector's position",
            async () => {
                const rows = await replica.query<{ synced: boolean; failover: boolean; at: boolean }>(
                    "SELECT synced, failover, confirmed_flush_lsn >= $1::pg_lsn AS at FROM pg_replication_slots WHERE slot_name = 'app_cdc'",
                    [primarySlot.confirmed],
                );
                return rows[0]?.synced && rows[0].failover && rows[0].at;
            },
            90_000,
            500,
        );
    });

    it("lets the connector resume on the promoted replica with what it had not confirmed, and nothing it had", async () => {
        await booted.server.query("INSERT INTO public.orders (item) VALUES ('unseen-at-failover')", [], { database: "app" });
        const [{ lsn }] = await booted.server.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
        await waitFor(
            "the replica to replay the last change",
            async () => (await replica.query<{ ok: boolean }>("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok", [lsn]))[0].ok,
            30_000,
        );
        await booted.server.stop();
        expect(await replica.query("SELECT pg_promote(true, 60) AS promoted")).toEqual([{ promoted: true }]);
        const after = await stream(replica);
        expect(after).toContain("unseen-at-failover");
        expect(after).not.toContain("seen-before-failover");
    });
});
