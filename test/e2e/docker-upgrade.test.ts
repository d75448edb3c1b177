// A major-version upgrade through the platform's own path, on a real Docker engine (issue 14):
// a PostgreSQL 17 stack (primary, one streaming replica, a CDC slot with a pgoutput consumer
// connected throughout, WAL archiving and a full backup through pgBackRest) from the program's
// Docker resources and rendered files, on a 17 base laid out as the official 17 image (PGDATA
// /var/lib/postgresql/data, its own VOLUME), then the same stack with
// postgres.version 18 and postgres.upgradeFrom 17: the new run's containers replace the old
// ones as the provider replaces them (delete before replace, dependents first), the primary's
// entrypoint runs pg_upgrade on its volume, the replica clones the upgraded primary again. The
// docker provider plugin cannot be built here, so the program runs under mocks and its
// containers are created with exactly the inputs it gave the provider (test/helpers/docker-apply).
import type * as pulumi from "@pulumi/pulumi";
import { Client } from "pg";
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from "pg-logical-replication";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUnderMocks, type MockedResource, type ProgramRun } from "../../cli/offline/harness";
import { runProgram } from "../../components/program";
import { PROJECT } from "../../components/platform/constants";
import { CONTAINER_LAYOUT } from "../../components/render/layout";
import { pgbackrestCommand } from "../../components/render/pgbackrest";
import type { PlatformOutputs } from "../../components/targets/outputs";
import { RUN_ID, docker, labelArgs, useLocalImages, type LocalImages } from "../helpers/containers";
import { applyContainer, applyDockerResources, containersOf, freeStackPorts, removeContainer, type ContainerInputs } from "../helpers/docker-apply";
import { realTlsState } from "../helpers/real-tls";
import { eventually as poll } from "../helpers/eventually";
import { COLUMN_OPTIONS_SQL, ONLY_17_EXTENSION_SCRIPT } from "../helpers/upgrade";

type Run = ProgramRun<pulumi.Unwrap<PlatformOutputs>>;

const ROWS = 500_000;

/** An upgrade restarts servers on a loaded machine: wait up to 2 min, polling every 500 ms. */
const eventually = <T>(what: string, check: () => Promise<T | undefined>) => poll(what, check, 120_000, 500);

/** The stack: primary + replica with CDC on `app.public.events` and backups to a volume, or a single node; no pools or exporter (not what is upgraded here). */
async function stackConfig(network: string, images: LocalImages, topology: "primary" | "single"): Promise<Record<string, unknown>> {
    const ports = await freeStackPorts();
    return {
        target: "docker",
        topology,
        replicas: topology === "primary" ? 1 : 0,
        network: { bindAddress: "127.0.0.1", ports },
        docker: { networkName: network, restartPolicy: "no" },
        image: { prebuilt: images.postgres17 },
        pooler: { enabled: false },
        exporter: { enabled: false },
        backup: { enabled: topology === "primary" },
        postgres: {
            version: 17,
            memory: "1GiB",
            cpus: 1,
            extensions: ["pg_stat_statements", "pg_cron"],
            databases: [{ name: "app" }],
            // CDC on the primary stack; the single node's refused upgrade is about a library.
            cdc: { databases: topology === "primary" ? [{ name: "app", tables: ["public.events"] }] : [] },
        },
    };
}

/** The stack with `postgres` and top-level keys changed. */
function changed(config: Record<string, unknown>, top: Record<string, unknown>, postgres: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...config, ...top, postgres: { ...(config.postgres as Record<string, unknown>), ...postgres } };
}

/** The same stack raised to 18 through the platform's path: the version, and the major it upgrades from. */
function raised(config: Record<string, unknown>, images: LocalImages): Record<string, unknown> {
    return changed(config, { image: { prebuilt: images.postgresFrom17 } }, { version: 18, upgradeFrom: 17 });
}

function deployed(stack: string, config: Record<string, unknown>): Promise<Run> {
    const encoded = Object.fromEntries(
        Object.entries(config).map(([key, value]) => [`${PROJECT}:${key}`, typeof value === "string" ? value : JSON.stringify(value)]),
    );
    return runUnderMocks(runProgram, { stack, config: encoded, computed: realTlsState });
}

/** `command` as postgres in the container, `input` on its stdin: its output, or an error with it. */
async function asPostgres(container: string, command: readonly string[], input?: string): Promise<string> {
    const result = await docker(["exec", "-i", "-u", "postgres", container, ...command], { input });
    if (result.code !== 0) throw new Error(`${command.join(" ")} in ${container} failed: ${result.stdout}${result.stderr}`);
    return result.stdout;
}

/** psql as the superuser over the container's local socket (peer): the superuser never logs in over TCP. */
async function psql(container: string, sql: string, database = "app"): Promise<string> {
    return (await asPostgres(container, ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", database], sql)).trim();
}

/** Removes 17.12's column options in every database, with the server running (see COLUMN_OPTIONS_SQL). */
async function removeColumnOptions(container: string): Promise<void> {
    for (const database of (await psql(container, "SELECT datname FROM pg_database WHERE datallowconn", "postgres")).split("\n"))
        await psql(container, COLUMN_OPTIONS_SQL, database);
}

/** What must be the same after the upgrade, read the same way from 17 and 18. */
async function survivalList(container: string): Promise<Record<string, string>> {
    const read = (sql: string, database = "app") => psql(container, sql, database);
    return {
        rows: await read("SELECT count(*) || ' ' || sum(id) || ' ' || md5(string_agg(payload, '' ORDER BY id)) FROM items"),
        verifiers: await read("SELECT string_agg(rolname || '=' || rolpassword, ' ' ORDER BY rolname) FROM pg_authid WHERE rolname = 'tester'", "postgres"),
        grants: await read(
            "SELECT string_agg(grantee || ':' || privilege_type, ',' ORDER BY grantee, privilege_type) FROM information_schema.role_table_grants WHERE table_name = 'items'",
        ),
        defaultPrivileges: await read(
            "SELECT string_agg(pg_get_userbyid(defaclrole) || ' ' || defaclobjtype::text || ' ' || defaclacl::text, ';' ORDER BY pg_get_userbyid(defaclrole), defaclobjtype, defaclacl::text) FROM pg_default_acl",
        ),
        cron: await read(
            "SELECT string_agg(jobname || '|' || schedule || '|' || command || '|' || database || '|' || username, ';' ORDER BY jobid) FROM cron.job",
        ),
        settings: await read(
            "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM unnest(ARRAY['wal_level', 'password_encryption', 'shared_preload_libraries', 'max_slot_wal_keep_size', 'cron.database_name']) AS name",
        ),
        extensions: await read("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension"),
        slots: await read(
            "SELECT string_agg(slot_name || ' ' || slot_type || ' ' || coalesce(plugin, '-'), ',' ORDER BY slot_name) FROM pg_replication_slots",
            "postgres",
        ),
    };
}

/**
 * The position before `lsn`: pg-logical-replication's acknowledge() reports one byte beyond the
 * position it is given. Given the server's end of WAL as it is, it would confirm a byte the server
 * never sent, and a logical walsender stops only when its client has confirmed exactly what it
 * sent: the old primary's shutdown would wait for the consumer until it is killed (seen).
 */
function byteBefore(lsn: string): string {
    const [high, low] = lsn.split("/").map((part) => BigInt(`0x${part}`));
    const position = ((high << 32n) | low) - 1n;
    return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * A pgoutput consumer of the stack's CDC slot: the ids of `events` rows it was sent, in order.
 * It confirms as a CDC client must for a clean shutdown: each
 * transaction's end once handled, and the server's end of WAL on its keepalives between
 * transactions, at once when the server asks for a reply.
 */
class Consumer {
    readonly ids: number[] = [];
    private service: LogicalReplicationService | undefined;

    constructor(
        private readonly url: string,
        private readonly publication: string,
        private readonly slot: string,
    ) {}

    /** Connects and streams from the slot's confirmed position. */
    start(): void {
        const service = new LogicalReplicationService({ connectionString: this.url }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
        let inTransaction = false;
        const confirm = (lsn: string) => void service.acknowledge(byteBefore(lsn));
        service.on("data", (_lsn: string, message: Pgoutput.Message) => {
            if (message.tag === "begin") inTransaction = true;
            if (message.tag === "insert" && message.relation.name === "events") this.ids.push(Number(message.new.id));
            if (message.tag === "commit") {
                inTransaction = false;
                if (message.commitEndLsn) confirm(message.commitEndLsn);
            }
        });
        service.on("heartbeat", (walEnd: string) => {
            if (!inTransaction) confirm(walEnd);
        });
        // The server going away ends the stream; the test starts the consumer again afterwards.
        service.on("error", () => undefined);
        void service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.publication] }), this.slot).catch(() => undefined);
        this.service = service;
    }

    async stop(): Promise<void> {
        await this.service?.stop();
        this.service = undefined;
    }
}

/** The primary's WAL archiver: segments archived, and whether an attempt failed after the last success. */
async function archiver(container: string): Promise<{ archived: number; failing: boolean }> {
    const [archived, failing] = (
        await psql(container, "SELECT archived_count || ' ' || coalesce(last_failed_time >= last_archived_time, false) FROM pg_stat_archiver", "postgres")
    ).split(" ");
    return { archived: Number(archived), failing: failing === "true" };
}

/** Switches the primary's WAL segment and waits until the archiver pushed it to the repository. */
async function archived(container: string): Promise<{ archived: number; failing: boolean }> {
    const before = await archiver(container);
    await psql(container, "SELECT pg_switch_wal()", "postgres");
    return eventually("the archiver pushed the switched segment", async () => {
        const now = await archiver(container);
        return now.archived > before.archived ? now : undefined;
    });
}

/** pgBackRest in the primary's container, with the stack's rendered configuration, as postgres. */
function pgbackrest(container: string, args: string): Promise<string> {
    return asPostgres(container, ["sh", "-c", `${pgbackrestCommand(CONTAINER_LAYOUT)} ${args}`]);
}

/** The repository's database history (major per stanza entry) and the database id of each backup, from `pgbackrest info`. */
async function repository(container: string): Promise<{ databases: string[]; backups: string[] }> {
    const [stanza] = JSON.parse(await pgbackrest(container, "--output=json info")) as {
        db: { id: number; version: string }[];
        backup: { type: string; database: { id: number } }[];
    }[];
    const major = new Map(stanza.db.map((db) => [db.id, db.version]));
    return { databases: stanza.db.map((db) => db.version), backups: stanza.backup.map((b) => `${b.type} on ${major.get(b.database.id)}`) };
}

/** Queries the primary through its published port every 100 ms; the longest gap between answers is the clients' downtime. */
function downtimeProbe(url: string): { stop: () => Promise<number> } {
    let running = true;
    let last = Date.now();
    let longest = 0;
    const loop = (async () => {
        while (running) {
            const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
            try {
                await client.connect();
                await client.query("SELECT 1");
                const now = Date.now();
                longest = Math.max(longest, now - last);
                last = now;
            } catch {
                // down: the gap grows until the next answer
            } finally {
                await client.end().catch(() => undefined);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    })();
    return {
        stop: async () => {
            running = false;
            await loop;
            return longest;
        },
    };
}

/** The long-running containers of a run (the one-shots run to completion), by Docker name. */
const servers = (resources: readonly MockedResource[]) => [...containersOf(resources)].filter(([, inputs]) => !inputs.attach);

/**
 * Applies a new run over the old one as the provider does: containers whose inputs changed are
 * replaced (deleted, then created, in registration order), new ones created, and containers the
 * new run no longer has deleted last. `wait: false` skips waiting for health.
 */
async function update(before: Run, after: Run, wait = true): Promise<void> {
    const old = new Map(servers(before.resources));
    const next = new Map(servers(after.resources));
    const same = (a: ContainerInputs | undefined, b: ContainerInputs | undefined) => JSON.stringify(a) === JSON.stringify(b);
    for (const [name, inputs] of [...old].reverse()) if (next.has(name) && !same(inputs, next.get(name))) await removeContainer(inputs);
    for (const [name, inputs] of next) if (!same(old.get(name), inputs)) await applyContainer({ ...inputs, wait: wait && inputs.wait });
    for (const [name, inputs] of [...old].reverse()) if (!next.has(name)) await removeContainer(inputs);
}

/** Runs the container's own healthcheck command, as the engine does: its exit status and message. */
async function healthcheck(inputs: ContainerInputs): Promise<{ code: number; message: string }> {
    const [, ...command] = inputs.healthcheck?.tests ?? [];
    const result = await docker(["exec", inputs.name, ...command]);
    return { code: result.code ?? -1, message: `${result.stdout}${result.stderr}`.trim() };
}

const images = useLocalImages();

describe("postgres.version 17 -> 18 with postgres.upgradeFrom on Docker", () => {
    const network = `pgp-upg-${RUN_ID}`;
    const primary = `${network}-primary`;
    const replica = `${network}-replica-1`;
    let config: Record<string, unknown>;
    let run17: Run;
    let consumer: Consumer;
    let before: Record<string, string>;

    beforeAll(async () => {
        config = await stackConfig(network, images, "primary");
        run17 = await deployed("upgrade", config);
        await applyDockerResources(run17.resources);
        await psql(
            primary,
            `CREATE ROLE tester LOGIN PASSWORD 'tester-secret';
            CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL);
            INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, ${ROWS}) AS i;
            GRANT SELECT ON items TO tester;
            ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO tester;
            CREATE TABLE events (id bigint PRIMARY KEY, note text NOT NULL);
            SELECT cron.schedule('nightly-vacuum', '0 3 * * *', 'VACUUM public.items');
            ANALYZE items;`,
        );
        const cdc = run17.outputs.cdc?.app;
        if (!cdc) throw new Error("the stack has no CDC output for app");
        consumer = new Consumer(cdc.url, cdc.publication, cdc.slot);
        consumer.start();
        await psql(primary, "INSERT INTO events SELECT i, 'on 17' FROM generate_series(1, 100) AS i");
        await eventually("the consumer has the 100 changes made on 17", async () => (consumer.ids.length >= 100 ? true : undefined));
        await eventually("the replica has the rows", async () => ((await psql(replica, "SELECT count(*) FROM items")) === String(ROWS) ? true : undefined));
        // 17 archives into the stack's repository and backs up from the stack's volume: its
        // PGDATA is the platform's layout, not the base image's.
        expect((await archived(primary)).failing).toBe(false);
        await pgbackrest(primary, "--type=full backup");
        expect(await repository(primary)).toEqual({ databases: ["17"], backups: ["full on 17"] });
        before = await survivalList(primary);
    }, 1_800_000);

    afterAll(async () => {
        await consumer?.stop();
    });

    it("upgrades the primary on its volume, keeps everything on the survival list, the consumer resumes, the replica streams again", async () => {
        // Debian 17.12 only: its column options, removed while 17 still serves.
        await removeColumnOptions(primary);
        // The consumer stays connected: the old primary's shutdown waits for it to confirm the
        // end of the WAL, so pg_upgrade finds its slot caught up.
        const run18 = await deployed("upgrade", raised(config, images));
        const probe = downtimeProbe(run18.outputs.primaryUrl);
        await update(run17, run18);
        const downtimeMs = await probe.stop();
        const log = await docker(["logs", primary]);
        const upgradeLines = `${log.stdout}${log.stderr}`.split("\n").filter((line) => line.startsWith("upgrade-cluster:"));
        console.log(
            `downtime 17 -> 18 through postgres.upgradeFrom (primary and replica replaced, pg_upgrade --link, ${ROWS} rows, ${await psql(primary, "SELECT pg_size_pretty(pg_database_size('app'))")}): ${(downtimeMs / 1000).toFixed(1)} s\n${upgradeLines.join("\n")}`,
        );
        expect(await psql(primary, "SELECT current_setting('server_version_num')::int / 10000")).toBe("18");
        const after = await survivalList(primary);
        expect(after).toEqual(before);
        expect(after.settings).toContain("wal_level=logical");
        expect(after.settings).toContain("shared_preload_libraries=pg_stat_statements,pg_cron");
        expect(after.slots).toContain("app_cdc logical pgoutput");
        // 18's pg_upgrade carried the optimizer statistics.
        expect(await psql(primary, "SELECT count(*) > 0 FROM pg_stats WHERE tablename = 'items'")).toBe("t");
        // The old cluster is kept beside the new one until it is deleted by hand.
        expect((await docker(["exec", primary, "test", "-f", "/var/lib/postgresql/17/docker/global/pg_control.old"])).code).toBe(0);

        // The replica cloned the upgraded primary and streams from it; its 17 standby is gone.
        expect(await psql(replica, "SELECT current_setting('server_version_num')::int / 10000 || ' ' || pg_is_in_recovery()")).toBe("18 true");
        expect(await psql(primary, "SELECT string_agg(application_name || ' ' || state, ',') FROM pg_stat_replication", "postgres")).toMatch(
            /replica_1 streaming/,
        );
        expect((await docker(["exec", replica, "test", "-e", "/var/lib/postgresql/17/docker"])).code).not.toBe(0);

        // Archiving goes on into the same repository: the first segment on 18 upgraded the stanza
        // (pg_upgrade made a new system identifier), and a full backup of 18 follows the 17 one.
        expect((await archived(primary)).failing).toBe(false);
        await pgbackrest(primary, "--type=full backup");
        expect(await repository(primary)).toEqual({ databases: ["17", "18"], backups: ["full on 17", "full on 18"] });

        // The consumer, connected again, gets every change made after the upgrade and none twice.
        await consumer.stop();
        consumer.start();
        await psql(primary, "INSERT INTO events SELECT i, 'on 18' FROM generate_series(101, 200) AS i");
        await eventually("the consumer has the changes made on 18", async () => (consumer.ids.length >= 200 ? true : undefined));
        await eventually("the replica streams the changes made on 18", async () =>
            (await psql(replica, "SELECT count(*) FROM events WHERE id > 100")) === "100" ? true : undefined,
        );
        await new Promise((resolve) => setTimeout(resolve, 2000));
        expect(consumer.ids).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });
});

describe("a refused pg_upgrade --check", () => {
    const network = `pgp-upg-fail-${RUN_ID}`;
    const single = `${network}-single`;

    it("stops the upgrade with its report, changes nothing, and 17 keeps serving while the container reports unhealthy", async () => {
        const config = await stackConfig(network, images, "single");
        const run17 = await deployed("upgrade-fail", config);
        await applyDockerResources(run17.resources);
        // An extension whose library only 17 has (a copy of tablefunc under another name, in the
        // 17 image of this container only): 18's pg_upgrade --check refuses its library.
        await docker(["exec", "-u", "root", single, "bash", "-c", ONLY_17_EXTENSION_SCRIPT]);
        await psql(single, "CREATE EXTENSION only17; CREATE TABLE kept (id int); INSERT INTO kept VALUES (17);");
        await removeColumnOptions(single);

        const run18 = await deployed("upgrade-fail", raised(config, images));
        await update(run17, run18, false);
        const inputs = servers(run18.resources)[0][1];
        const refused = await eventually("the entrypoint reports the refused upgrade", async () => {
            const log = await docker(["logs", single]);
            const text = `${log.stdout}${log.stderr}`;
            return /keeps serving/.test(text) ? text : undefined;
        });
        expect(refused).toMatch(/loadable libraries/);
        expect(refused).toMatch(/only17/);
        expect(refused).toMatch(/pg_upgrade --check from 17 to 18 failed \(report above\); nothing was upgraded/);
        // 17 serves the untouched cluster, and the container's healthcheck says why it is unhealthy.
        const answer = await eventually("PostgreSQL 17 serves", async () =>
            psql(single, "SELECT current_setting('server_version_num')::int / 10000 || ' ' || (SELECT id FROM kept)"),
        );
        expect(answer).toBe("17 17");
        expect((await docker(["exec", single, "ls", "/var/lib/postgresql"])).stdout).not.toMatch(/^18$/m);
        const health = await healthcheck(inputs);
        expect(health.code).toBe(1);
        expect(health.message).toMatch(/serving PostgreSQL 17, but this image is PostgreSQL 18: the major-version upgrade was refused/);
    });
});

describe("a server that finds another major's cluster on its volume", () => {
    /**
     * The entrypoint's one-line refusal when the image `image` starts on a volume holding a
     * `major` cluster's PG_VERSION in `dir` of the volume (default `<major>/docker`).
     */
    async function refusal(image: string, major: number, env: string[] = [], dir = `${major}/docker`): Promise<string> {
        const volume = `pgp-upg-major-${RUN_ID}-${major}-${dir.replace("/", "-")}`;
        await docker(["volume", "create", ...labelArgs, volume]);
        // The 18 image's `data` link to the volume itself makes way for a real folder.
        const cluster = `/var/lib/postgresql/${dir}`;
        const seed = `{ [ ! -L ${cluster} ] || rm ${cluster}; } && mkdir -p ${cluster} && echo ${major} >${cluster}/PG_VERSION && chown -R postgres:postgres /var/lib/postgresql`;
        await docker([
            "run",
            "--rm",
            ...labelArgs,
            "--network",
            "none",
            "--user",
            "root",
            "-v",
            `${volume}:/var/lib/postgresql`,
            "--entrypoint",
            "bash",
            image,
            "-c",
            seed,
        ]);
        const started = await docker([
            "run",
            "--rm",
            ...labelArgs,
            "--network",
            "none",
            "-v",
            `${volume}:/var/lib/postgresql`,
            ...env.flatMap((e) => ["-e", e]),
            image,
            "postgres",
        ]);
        await docker(["volume", "rm", volume]);
        expect(started.code).toBe(1);
        return started.stderr.trim().split("\n").at(-1) ?? "";
    }

    it("refuses an older major's cluster without postgres.upgradeFrom, naming the setting, a newer one as a downgrade, and its own outside PGDATA", async () => {
        expect(await refusal(images.postgres, 17)).toMatch(
            /^docker-auto-config-entrypoint: \/var\/lib\/postgresql\/17\/docker holds a PostgreSQL 17 cluster and this server is PostgreSQL 18: set postgres\.upgradeFrom: 17/,
        );
        expect(await refusal(images.postgres17, 18)).toMatch(
            /^docker-auto-config-entrypoint: \/var\/lib\/postgresql\/18\/docker holds a PostgreSQL 18 cluster and this server is PostgreSQL 17: a downgrade is refused/,
        );
        expect(await refusal(images.postgres, 17, ["PG_UPGRADE_FROM=16"])).toMatch(
            /PG_UPGRADE_FROM \(postgres\.upgradeFrom\) is 16, but .* holds a PostgreSQL 17 cluster: set postgres\.upgradeFrom: 17/,
        );
        expect(await refusal(images.postgres, 17, ["PG_UPGRADE_FROM=17"])).toMatch(
            /this image has no PostgreSQL 17 server .* an image\.prebuilt must carry both majors/,
        );
        // The server's own major in the layout before the image's (an image built before it, on
        // Kubernetes): not hidden behind an empty initdb, refused with the move that fixes it.
        expect(await refusal(images.postgres, 18, [], "data")).toMatch(
            /\/var\/lib\/postgresql\/data holds this server's PostgreSQL 18 cluster .* but the image's PGDATA is \/var\/lib\/postgresql\/18\/docker: .*mv \/var\/lib\/postgresql\/data \/var\/lib\/postgresql\/18\/docker/,
        );
    });
});
