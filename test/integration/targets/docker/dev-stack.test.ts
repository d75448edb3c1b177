// The Docker dev stack end to end, without Docker: what each container would run (its rendered
// files, the image's entry scripts, the environment and command the component gives it) runs
// here as processes on 127.0.0.1. PostgreSQL 15 from Debian for primary and replica (its
// pg_basebackup cannot clone 18), Debian's PgBouncer 1.18 for both pools, postgres_exporter.
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../../../../components/targets/docker";
import { SECRET_FILES, WAL_ARCHIVE_MOUNT, postgresCommand } from "../../../../components/self-hosted/server";
import { serverLimits } from "../../../../components/targets/docker/plan";
import { IMAGE_CONTEXT_DIR } from "../../../../components/image";
import { REPLICA_BOOTSTRAP_PATH } from "../../../../components/image/runtime";
import { exporterArgs, exporterEnvironment, filePaths, renderServices, type RenderSecrets } from "../../../../components/render";
import { named, runUnderMocks } from "../../../../cli/offline/harness";
import { initCluster, startPostgres } from "../../../../cli/local/postgres";
import { PG_BIN, freePort, run, scratchDir, startProcess, stopAll, waitFor, writeServiceFile } from "../../../../cli/local/processes";
import {
    fetchText,
    hostLayout,
    installFiles,
    psqlFile,
    queryAs,
    service,
    startExporter,
    startPgbouncer,
    testSpec,
    type BootedPrimary,
} from "../../../../cli/local/stack";

afterAll(stopAll);

const CONTAINER = "docker:index/container:Container";
const script = (containerPath: string) => path.join(IMAGE_CONTEXT_DIR, path.basename(containerPath));

/** The dev stack's shape on PostgreSQL 15 (a prebuilt image: the platform builds only 18). */
const spec = testSpec(15, {
    topology: "primary",
    replicas: 1,
    postgres: { memory: "1GiB", cpus: 2 },
    image: { prebuilt: `example/postgres15@sha256:${"0".repeat(64)}` },
});

interface ContainerInputs {
    envs?: string[];
    entrypoints: string[];
    command: string[];
    uploads: { file: string; content: string }[];
}

/** `name=value` lines of the image's auto-tuning `--print`, for the container's limits. */
async function autoTuned(): Promise<Record<string, string>> {
    const limits = serverLimits(spec);
    const result = await run(script("docker-auto-config-entrypoint.sh"), ["--print"], {
        unprivileged: false,
        // Inside the container the limits come from cgroups; here the same numbers come from the environment.
        env: { POSTGRES_MEMORY: String(limits.memory), PG_AUTOCONFIG_NPROC: limits.cpus, PG_MAJOR: "15" },
    });
    if (result.code !== 0) throw new Error(result.stderr);
    return Object.fromEntries(
        result.stdout
            .trim()
            .split("\n")
            .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
}

/** `-c name=value` pairs of a container command, with container paths mapped to this host. */
function commandSettings(command: readonly string[], mapPath: (text: string) => string): Record<string, string> {
    const settings: Record<string, string> = {};
    for (let i = 0; i < command.length; i++) {
        if (command[i] !== "-c") continue;
        const [name, value] = command[i + 1].split(/=(.*)/s);
        if (name !== "config_file") settings[name] = mapPath(value);
    }
    return settings;
}

describe("the Docker dev stack's services as processes: primary, both pools, exporter, one replica", () => {
    let containers: (name: string) => ContainerInputs;
    let secrets: RenderSecrets;
    let booted: BootedPrimary;
    let replica: { port: number; query: ReturnType<typeof superuserQuery> };
    let pools: { transaction: number; session: number };
    let metricsUrl: string;
    let tuned: Record<string, string>;

    beforeAll(async () => {
        // 1. What the Docker target deploys: its passwords and each container's env, entrypoint and command.
        const deployed = await runUnderMocks(() => deploy(spec, { stack: "e2e" }), { stack: "e2e" });
        containers = (name) => named(deployed.resources, CONTAINER, name).inputs as unknown as ContainerInputs;
        secrets = { passwords: deployed.outputs.secretReferences };

        // 2. The primary: initdb (the image's entrypoint), rendered files, the auto-tuned and archive flags, init SQL.
        const cluster = await initCluster({ version: 15 });
        const layout = await hostLayout(cluster.dataDir);
        const services = renderServices(spec, secrets, layout);
        const primaryFiles = service(services, "primary");
        const paths = filePaths(layout);
        const content = (file: string) => primaryFiles.files.find((f) => f.path === file)?.content;
        const archive = scratchDir("wal-archive");
        tuned = await autoTuned();
        const primaryCommand = containers("pg-primary").command;
        expect(primaryCommand).toEqual(postgresCommand(spec, "writer"));
        const server = await startPostgres({
            version: 15,
            ...cluster,
            port: layout.postgresPort,
            postgresqlConf: content(paths.postgresqlConf),
            pgHbaConf: content(paths.pgHbaConf),
            settings: { ...tuned, ...commandSettings(primaryCommand, (v) => v.replaceAll(WAL_ARCHIVE_MOUNT, archive)) },
        });
        writeServiceFile(paths.initSql, content(paths.initSql) ?? "");
        const init = await psqlFile(server, paths.initSql);
        if (init.code !== 0) throw new Error(`init SQL failed:\n${init.stderr}`);
        booted = { spec, secrets, layout, services, server, init };

        // 3. Both pools and the exporter, from their rendered files.
        pools = { transaction: (await startPgbouncer(booted, "transaction")).port, session: (await startPgbouncer(booted, "session")).port };
        metricsUrl = (await startExporter(booted, exporterEnvironment(spec, layout), exporterArgs(layout))).url;

        // 4. The replica: the image's bootstrap script with the replica container's environment
        //    (the primary's address mapped to this host), then postgres with its rendered files.
        const replicaContainer = containers("pg-replica-1-server");
        expect(replicaContainer.entrypoints[0]).toBe(REPLICA_BOOTSTRAP_PATH);
        const replicaLayout = { ...layout, postgresPort: await freePort(), postgresConfigDir: scratchDir("replica-conf") };
        const replicaFiles = service(renderServices(spec, secrets, replicaLayout), "replica-1");
        installFiles(replicaFiles);
        const passwordFile = path.join(scratchDir("replica-secrets"), "replication.password");
        const uploaded = replicaContainer.uploads.find((u) => u.file === SECRET_FILES.replicationPassword)?.content ?? "";
        writeServiceFile(passwordFile, uploaded);
        const env = Object.fromEntries((replicaContainer.envs ?? []).map((e) => e.split(/=(.*)/s).slice(0, 2) as [string, string]));
        const dataDir = path.join(scratchDir("replica-data"), "data");
        const bootstrap = startProcess(
            script(REPLICA_BOOTSTRAP_PATH),
            [
                path.join(PG_BIN[15], "postgres"),
                "-D",
                dataDir,
                "-c",
                `config_file=${filePaths(replicaLayout).postgresqlConf}`,
                "-c",
                `hba_file=${filePaths(replicaLayout).pgHbaConf}`,
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                `port=${replicaLayout.postgresPort}`,
                "-c",
                `unix_socket_directories=${scratchDir("replica-sock")}`,
                ...Object.entries(tuned).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
            ],
            {
                env: {
                    ...env,
                    PRIMARY_HOST: "127.0.0.1",
                    PRIMARY_PORT: String(layout.postgresPort),
                    REPLICATION_PASSWORD_FILE: passwordFile,
                    PGDATA: dataDir,
                    PATH: `${PG_BIN[15]}:${process.env.PATH}`,
                },
                stopSignal: "SIGINT",
            },
        );
        const query = superuserQuery(replicaLayout.postgresPort, server.superuserPassword);
        replica = await waitFor(
            "the bootstrapped replica to accept queries",
            async () => {
                if (!fs.existsSync(path.join(dataDir, "standby.signal"))) return undefined;
                await query("SELECT 1");
                return { port: replicaLayout.postgresPort, query };
            },
            90_000,
        ).catch((error: Error) => {
            throw new Error(`${error.message}\n--- bootstrap and replica log ---\n${bootstrap.output()}`);
        });
    }, 150_000);

    it("tunes the servers for the container limits the component sets", async () => {
        expect(tuned).toMatchObject({ max_connections: "120", shared_buffers: "256MB" });
        expect(await booted.server.query("SELECT setting, source FROM pg_settings WHERE name = 'max_connections'")).toEqual([
            { setting: "120", source: "command line" },
        ]);
        expect(await booted.server.query("SELECT current_setting('archive_mode') AS archive_mode")).toEqual([{ archive_mode: "on" }]);
    });

    it("writes through the transaction pool and reads the row on the replica", async () => {
        const pw = secrets.passwords;
        await queryAs({ user: "app_migrate", password: pw.app_migrate, port: pools.session }, "CREATE TABLE orders (id int PRIMARY KEY, item text)");
        await queryAs({ user: "app_app", password: pw.app_app, port: pools.transaction }, "INSERT INTO orders VALUES (1, 'espresso')");
        const read = () =>
            queryAs<{ item: string }>({ user: "app_readonly", password: pw.app_readonly, port: replica.port }, "SELECT item FROM orders WHERE id = 1");
        expect(await waitFor("the row on the replica", async () => (await read())[0]?.item, 20_000)).toBe("espresso");
        expect(await replica.query("SELECT pg_is_in_recovery() AS standby, status FROM pg_stat_wal_receiver")).toEqual([
            { standby: true, status: "streaming" },
        ]);
        expect(await booted.server.query("SELECT slot_name, active FROM pg_replication_slots")).toEqual([{ slot_name: "replica_1", active: true }]);
    });

    it("reports the replica's replication lag in the exporter's metrics", async () => {
        const line = await waitFor(
            "replication lag of replica_1",
            async () =>
                (await fetchText(metricsUrl))
                    .split("\n")
                    .find((l) => l.startsWith("pg_platform_replication_replay_lag_bytes{") && l.includes('replica="replica_1"')),
            30_000,
        );
        expect(Number(line.split(" ").pop())).toBeGreaterThanOrEqual(0);
    });
});

/** Queries a server on 127.0.0.1 as its superuser (over loopback, which pg_hba.conf admits for it). */
function superuserQuery(port: number, password: string) {
    return async <R extends Record<string, unknown>>(sql: string): Promise<R[]> => {
        const client = new Client({ host: "127.0.0.1", port, user: "postgres", password, database: "postgres" });
        await client.connect();
        try {
            return (await client.query<R>(sql)).rows;
        } finally {
            await client.end();
        }
    };
}
