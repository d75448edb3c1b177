import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_CONTEXT_DIR } from "../../../components/image";
import { INIT_SQL_ENV, REPLICA_BOOTSTRAP_ENV as ENV } from "../../../components/image/runtime";
import { PLATFORM_ROLES } from "../../../components/platform/constants";
import { initCluster, startPostgres, type PgServer } from "../../../cli/local/postgres";
import { replicaBootstrapEnv } from "../../helpers/replica-bootstrap";
import { PG_BIN, freePort, giveToServiceUser, run, scratchDir, startProcess, stopAll, waitFor, writeServiceFile } from "../../../cli/local/processes";

const BOOTSTRAP = path.join(IMAGE_CONTEXT_DIR, "replica-bootstrap.sh");
const HEALTHCHECK = path.join(IMAGE_CONTEXT_DIR, "healthcheck.sh");
const ENTRYPOINT = path.join(IMAGE_CONTEXT_DIR, "docker-auto-config-entrypoint.sh");
const SLOT = "replica_1";
// A password libpq's passfile format must escape (':' and '\'), so the escaping is exercised.
const REPLICATION_PASSWORD = "rep:pass\\word-42";
const PATH = `${PG_BIN[15]}:${process.env.PATH}`;

let primary: PgServer;
let passwordFile: string;

/** Every file under a directory with its mode, mtime and content hash: "changes nothing" made checkable. */
function snapshot(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .sort()
        .map((entry) => {
            const file = path.join(dir, entry);
            const stat = fs.lstatSync(file);
            const content = stat.isFile() ? createHash("sha256").update(fs.readFileSync(file)).digest("hex") : "";
            return `${entry} ${stat.mode.toString(8)} ${stat.mtimeMs} ${content}`;
        });
}

/** The bootstrap's environment for this test's primary: PGDATA, where the primary is, as whom, which slot. */
function bootstrapEnv(pgdata: string, slot: string): Record<string, string> {
    return replicaBootstrapEnv({ pgdata, primaryPort: primary.port, passwordFile, slot }, PG_BIN[15]);
}

/** Runs the bootstrap as the image runs it: the postgres user, settings from the environment. */
function bootstrap(pgdata: string, overrides: Record<string, string> = {}, command: string[] = []) {
    return run(BOOTSTRAP, command, {
        env: { ...bootstrapEnv(pgdata, SLOT), ...overrides },
        timeoutMs: 120_000,
    });
}

/** A new, empty directory for a replica's data (its parent receives the passfile). */
function emptyDataDir(): string {
    const dir = path.join(scratchDir("replica"), "data");
    fs.mkdirSync(dir, { mode: 0o700 });
    giveToServiceUser(dir);
    return dir;
}

afterAll(stopAll);

beforeAll(async () => {
    const cluster = await initCluster({ version: 15 });
    primary = await startPostgres({ version: 15, ...cluster, settings: { wal_level: "replica", max_wal_senders: "5" } });
    const escaped = REPLICATION_PASSWORD.replace(/'/g, "''");
    await primary.query(`CREATE ROLE ${PLATFORM_ROLES.replication} LOGIN REPLICATION PASSWORD '${escaped}'`);
    await primary.query("SELECT pg_create_physical_replication_slot($1)", [SLOT]);
    await primary.query("CREATE TABLE orders (id int PRIMARY KEY, note text)");
    await primary.query("INSERT INTO orders VALUES (1, 'before the clone')");
    passwordFile = path.join(scratchDir("secret"), "replication-password");
    writeServiceFile(passwordFile, `${REPLICATION_PASSWORD}\n`);
});

describe("replica-bootstrap.sh on real PostgreSQL 15", () => {
    it("clones the primary into a data directory that does not exist yet, as a standby that streams and replays new writes", async () => {
        // As in the image on a fresh volume: PGDATA (/var/lib/postgresql/18/docker) and its parent are absent.
        const pgdata = path.join(scratchDir("replica"), "18", "docker");
        const result = await bootstrap(pgdata);
        expect(result.stderr).toContain(`replica-bootstrap: cloning 127.0.0.1:${primary.port} through slot ${SLOT} into ${pgdata}`);
        expect(result.code).toBe(0);
        expect(result.stdout + result.stderr, "the bootstrap's log").not.toContain("rep:pass");
        expect(fs.existsSync(path.join(pgdata, "standby.signal"))).toBe(true);

        // primary_conninfo names the passfile, never the password itself.
        const autoConf = fs.readFileSync(path.join(pgdata, "postgresql.auto.conf"), "utf8");
        const passfile = path.join(path.dirname(pgdata), "replication.pgpass");
        expect(autoConf).toContain(`primary_slot_name = '${SLOT}'`);
        expect(autoConf).toMatch(new RegExp(`primary_conninfo = '.*passfile=''?${passfile}.*application_name=${SLOT}`));
        expect(autoConf).not.toContain("rep:pass");
        expect(autoConf).not.toContain("password=");
        expect(fs.statSync(passfile).mode & 0o777).toBe(0o600);
        expect(fs.readFileSync(passfile, "utf8")).toBe("*:*:*:replicator:rep\\:pass\\\\word-42\n");

        const replica = await startPostgres({ version: 15, dataDir: pgdata, superuserPassword: primary.superuserPassword });
        await primary.query("INSERT INTO orders VALUES (2, 'after the clone')");
        const rows = await waitFor("the row written after the clone on the replica", async () => {
            const found = await replica.query<{ id: number; note: string }>("SELECT id, note FROM orders ORDER BY id");
            return found.length === 2 ? found : undefined;
        });
        expect(rows).toEqual([
            { id: 1, note: "before the clone" },
            { id: 2, note: "after the clone" },
        ]);
        const [receiver] = await replica.query<{ status: string; slot_name: string; recovery: boolean }>(
            "SELECT status, slot_name, pg_is_in_recovery() AS recovery FROM pg_stat_wal_receiver",
        );
        expect(receiver).toEqual({ status: "streaming", slot_name: SLOT, recovery: true });
        const [slot] = await primary.query<{ active: boolean }>("SELECT active FROM pg_replication_slots WHERE slot_name = $1", [SLOT]);
        expect(slot.active).toBe(true);

        // The image's healthcheck agrees: a replica in recovery, not a primary.
        const env = {
            PATH,
            PGHOST: "127.0.0.1",
            PGPORT: String(replica.port),
            PGUSER: "postgres",
            PGPASSWORD: primary.superuserPassword,
            PGDATABASE: "postgres",
        };
        expect(await run(HEALTHCHECK, ["--role", "replica"], { env, unprivileged: false })).toMatchObject({ code: 0, stderr: "" });
        expect(await run(HEALTHCHECK, ["--role", "primary"], { env, unprivileged: false })).toMatchObject({
            code: 1,
            stderr: "healthcheck: expected a primary, but the server is in recovery\n",
        });

        // A container restart: the directory is already a standby, so nothing is cloned and the command runs.
        const before = snapshot(pgdata);
        const restart = await bootstrap(pgdata, {}, ["sh", "-c", "echo handed over"]);
        expect(restart).toMatchObject({ code: 0, stdout: "handed over\n" });
        expect(restart.stderr).toBe(`replica-bootstrap: ${pgdata} is already a standby; starting it without cloning\n`);
        await replica.stop();
        expect(snapshot(pgdata).length).toBe(before.length);
    });

    it("hands over to the image's entrypoint: the clone starts as a streaming standby, with neither initdb nor the init SQL", async () => {
        // The replica container's chain: bootstrap, then the entrypoint, then postgres. A replica
        // has no superuser password file; the init SQL here would fail if it ran.
        const slot = "replica_chain";
        await primary.query("SELECT pg_create_physical_replication_slot($1)", [slot]);
        const pgdata = path.join(scratchDir("replica-chain"), "15", "docker");
        const initSql = path.join(scratchDir("replica-chain-init"), "init.sql");
        writeServiceFile(initSql, "SELECT no_such_function();\n");
        const port = await freePort();
        const replica = startProcess(
            BOOTSTRAP,
            [
                ENTRYPOINT,
                "postgres",
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                `port=${port}`,
                "-c",
                `unix_socket_directories=${scratchDir("replica-chain-sock")}`,
            ],
            {
                env: {
                    ...bootstrapEnv(pgdata, slot),
                    [INIT_SQL_ENV.name]: initSql,
                    PG_MAJOR: "15",
                    POSTGRES_MEMORY: "1024",
                },
                stopSignal: "SIGINT",
            },
        );
        try {
            await primary.query("INSERT INTO orders VALUES (100, 'through the chain')");
            const rows = await waitFor(
                "the row on the chained replica",
                async () => {
                    if ((await Promise.race([replica.exited, Promise.resolve("running")])) !== "running") throw new Error(replica.output());
                    const found = await primary.query<{ note: string }>("SELECT note FROM orders WHERE id = 100", [], { port });
                    return found.length === 1 ? found : undefined;
                },
                120_000,
            );
            expect(rows).toEqual([{ note: "through the chain" }]);
            expect(await primary.query("SELECT pg_is_in_recovery() AS recovery, current_setting('shared_buffers') AS sb", [], { port })).toEqual([
                { recovery: true, sb: "256MB" },
            ]);
            const log = replica.output();
            expect(log).toContain(`replica-bootstrap: cloning 127.0.0.1:${primary.port} through slot ${slot} into ${pgdata}`);
            expect(log).toContain(`apply-init-sql: ${pgdata} is a standby; it receives roles and databases from its primary`);
            expect(log).not.toContain("initialising");
            expect(log).not.toContain("no_such_function");
        } finally {
            await replica.stop();
            await primary.query("SELECT pg_drop_replication_slot($1)", [slot]);
        }
    });

    it("refuses a directory that holds a cluster and changes nothing in it", async () => {
        const { dataDir } = await initCluster({ version: 15 });
        const before = snapshot(dataDir);
        const result = await bootstrap(dataDir, {}, ["sh", "-c", "echo must not run"]);
        expect(result).toMatchObject({
            code: 1,
            stdout: "",
            stderr: `replica-bootstrap: ${dataDir} already holds a cluster that is not a standby; refusing to touch it (clone into an empty directory)\n`,
        });
        expect(snapshot(dataDir)).toEqual(before);
        expect(fs.existsSync(path.join(path.dirname(dataDir), "replication.pgpass"))).toBe(false);
    });

    it("refuses a non-empty directory without a cluster, leaving it as it was", async () => {
        const pgdata = emptyDataDir();
        writeServiceFile(path.join(pgdata, "notes.txt"), "keep me\n");
        const before = snapshot(pgdata);
        const result = await bootstrap(pgdata);
        expect(result).toMatchObject({
            code: 1,
            stderr: `replica-bootstrap: ${pgdata} is not empty and holds no cluster; refusing to touch it (clone into an empty directory)\n`,
        });
        expect(snapshot(pgdata)).toEqual(before);
    });

    it("fails clearly when the slot does not exist, leaving the directory empty", async () => {
        const pgdata = emptyDataDir();
        const result = await bootstrap(pgdata, { [ENV.slot]: "replica_9" });
        expect(result).toMatchObject({
            code: 1,
            stderr: `replica-bootstrap: replication slot "replica_9" does not exist on the primary 127.0.0.1:${primary.port}\n`,
        });
        expect(fs.readdirSync(pgdata)).toEqual([]);
    });

    it("fails clearly with a wrong password", async () => {
        const wrong = path.join(scratchDir("secret"), "wrong");
        writeServiceFile(wrong, "not-the-password\n");
        const result = await bootstrap(emptyDataDir(), { [ENV.passwordFile]: wrong });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(
            /^replica-bootstrap: cannot query the primary as replicator: .*password authentication failed for user "replicator"[^\n]*\n$/,
        );
        expect(result.stdout + result.stderr, "the failure's log").not.toContain("not-the-password");
    });

    it("gives up waiting for a primary that never answers", async () => {
        const result = await bootstrap(emptyDataDir(), { [ENV.primaryPort]: String(await freePort()), [ENV.waitSeconds]: "2" });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/^replica-bootstrap: primary 127\.0\.0\.1:\d+ not accepting connections after 2s\n$/);
    });

    it("names each missing required setting", async () => {
        for (const name of [ENV.primaryHost, ENV.slot, ENV.passwordFile]) {
            const result = await bootstrap(emptyDataDir(), { [name]: "" });
            expect(result.code, name).toBe(1);
            expect(result.stderr, name).toContain(`${name} must`);
        }
        const bad = await bootstrap(emptyDataDir(), { [ENV.slot]: "Replica-1" });
        expect(bad).toMatchObject({ code: 1, stderr: 'replica-bootstrap: REPLICATION_SLOT must be lower case letters, digits and _ (got "Replica-1")\n' });
    });
});
