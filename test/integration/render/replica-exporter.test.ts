import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exporterArgs, exporterEnvironment, filePaths, renderServices, replicaSlotName } from "../../../components/render";
import { startPostgres, type PgServer } from "../../../cli/local/postgres";
import { PG_BIN, freePort, run, scratchDir, stopAll, waitFor, writeServiceFile } from "../../../cli/local/processes";
import { bootPrimary, fetchText, installFiles, listeningAddresses, service, startExporter, testSpec, type BootedPrimary } from "../../../cli/local/stack";

afterAll(stopAll);

/** A metric line's value, matching the metric name and every given label. */
function metric(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
    for (const line of body.split("\n")) {
        const match = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/i.exec(line);
        if (!match || match[1] !== name) continue;
        if (Object.entries(labels).every(([key, value]) => (match[2] ?? "").includes(`${key}="${value}"`))) return Number(match[3]);
    }
    return undefined;
}

describe("a rendered replica streams from the primary and the exporter reports it (PostgreSQL 15)", () => {
    const spec = testSpec(15, { topology: "primary", replicas: 1 });
    let booted: BootedPrimary;
    let replica: PgServer;
    let metricsUrl: string;

    beforeAll(async () => {
        booted = await bootPrimary(spec);
        // The replica's own files: conninfo and passfile point at the primary; its config folder is its own.
        const layout = { ...booted.layout, postgresPort: await freePort(), postgresConfigDir: scratchDir("replica-conf") };
        const files = service(renderServices(spec, booted.secrets, layout), "replica-1");
        installFiles(files);
        const paths = filePaths(layout);
        const dataDir = path.join(scratchDir("replica"), "data");
        // Clone with the replica's rendered passfile and slot, as the image's replica bootstrap does.
        const clone = await run(path.join(PG_BIN[15], "pg_basebackup"), [
            "-d",
            `host=127.0.0.1 port=${booted.server.port} user=replicator passfile=${paths.replicationPassfile}`,
            "-D",
            dataDir,
            "-X",
            "stream",
            "-S",
            replicaSlotName(1),
            "-c",
            "fast",
        ]);
        expect(clone.stderr).toBe("");
        writeServiceFile(path.join(dataDir, "standby.signal"), "");
        replica = await startPostgres({
            version: 15,
            dataDir,
            superuserPassword: booted.server.superuserPassword,
            port: layout.postgresPort,
            postgresqlConf: files.files.find((f) => f.path === paths.postgresqlConf)?.content,
        });
        const exporter = await startExporter(booted, exporterEnvironment(spec, booted.layout), exporterArgs(booted.layout));
        metricsUrl = exporter.url;
    });

    it("accepts the replica's rendered settings and streams through its slot", async () => {
        expect(await replica.query("SELECT name, error FROM pg_file_settings WHERE error IS NOT NULL")).toEqual([]);
        expect(
            await replica.query(
                "SELECT pg_is_in_recovery() AS standby, current_setting('primary_slot_name') AS slot, current_setting('hot_standby_feedback') AS feedback",
            ),
        ).toEqual([{ standby: true, slot: "replica_1", feedback: "on" }]);
        await waitFor(
            "replica_1 streaming",
            async () =>
                (await booted.server.query("SELECT 1 FROM pg_stat_replication WHERE application_name = 'replica_1' AND state = 'streaming'")).length === 1,
        );
        expect(await booted.server.query("SELECT active FROM pg_replication_slots WHERE slot_name = 'replica_1'")).toEqual([{ active: true }]);
        await booted.server.query("CREATE TABLE replicated (n int); INSERT INTO replicated VALUES (7)", [], { database: "app" });
        await waitFor("the row on the replica", async () => (await replica.query("SELECT n FROM replicated", [], { database: "app" }))[0]?.n === 7);
        await expect(replica.query("INSERT INTO replicated VALUES (8)", [], { database: "app" })).rejects.toThrow(/read-only transaction/);
        expect(listeningAddresses(replica.port)).toEqual(["127.0.0.1"]);
    });

    it("serves the custom metrics on /metrics, replication lag included, from 127.0.0.1 only", async () => {
        const body = await waitFor("replication lag in /metrics", async () => {
            const text = await fetchText(metricsUrl);
            return metric(text, "pg_platform_replication_replay_lag_seconds", { replica: "replica_1" }) !== undefined ? text : undefined;
        });
        expect(metric(body, "pg_up")).toBe(1);
        expect(metric(body, "pg_exporter_last_scrape_error")).toBe(0);
        expect(metric(body, "pg_platform_replication_replay_lag_bytes", { replica: "replica_1" })).toBeGreaterThanOrEqual(0);
        expect(metric(body, "pg_platform_replication_slot_active", { slot_name: "replica_1" })).toBe(1);
        expect(metric(body, "pg_platform_replication_slot_safe_wal_size_bytes", { slot_name: "replica_1" })).toBeGreaterThan(0);
        expect(metric(body, "pg_platform_connections_max")).toBe(100);
        expect(metric(body, "pg_platform_postmaster_uptime_seconds")).toBeGreaterThan(0);
        expect(metric(body, "pg_platform_database_size_bytes", { datname: "app" })).toBeGreaterThan(0);
        expect(metric(body, "pg_platform_memory_setting_bytes", { setting: "shared_buffers" })).toBe(128 * 1024 * 1024);
        expect(listeningAddresses(booted.layout.exporterPort)).toEqual(["127.0.0.1"]);
    });
});

describe("the exporter's custom queries on PostgreSQL 18", () => {
    it("serves them without a scrape error", async () => {
        const spec = testSpec(18, { topology: "primary" });
        const booted = await bootPrimary(spec);
        // Debian's exporter 0.11 reads checkpoint columns PostgreSQL 17 moved (fixed in 0.17, which the images pin).
        const { url } = await startExporter(booted, exporterEnvironment(spec, booted.layout), [...exporterArgs(booted.layout), "--no-collector.bgwriter"]);
        const body = await waitFor("custom metrics", async () => {
            const text = await fetchText(url);
            return metric(text, "pg_platform_postmaster_uptime_seconds") !== undefined ? text : undefined;
        });
        expect(metric(body, "pg_up")).toBe(1);
        expect(metric(body, "pg_exporter_last_scrape_error")).toBe(0);
        expect(metric(body, "pg_platform_database_size_bytes", { datname: "app" })).toBeGreaterThan(0);
        expect(metric(body, "pg_platform_connections_used")).toBeGreaterThanOrEqual(1);
    });
});
