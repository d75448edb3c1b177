import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_CONTEXT_DIR } from "../../../components/image";
import { INIT_SQL_ENV } from "../../../components/image/runtime";
import { filePaths, renderServices, type RenderSecrets, type RuntimeLayout } from "../../../components/render";
import type { PlatformSpec } from "../../../components/config";
import { hostLayout, installFiles, queryAs, service, testSecrets, testSpec } from "../../../cli/local/stack";
import {
    PG_BIN,
    SERVICE_USER,
    freePort,
    run,
    scratchDir,
    startProcess,
    stopAll,
    waitFor,
    writeServiceFile,
    type ManagedProcess,
} from "../../../cli/local/processes";

/**
 * The image's runtime end to end on real PostgreSQL 18.4, as a container runs it: an empty data
 * directory, the superuser's password in a secret file, the rendered postgresql.conf and init
 * SQL, a cgroup v1 tree like this host's, and nothing from the official image's entrypoint.
 */

const ENTRYPOINT = path.join(IMAGE_CONTEXT_DIR, "docker-auto-config-entrypoint.sh");
// postgres and initdb from 18.4; psql and pg_isready from Debian's 15 (the npm build ships neither).
const PATH = `${PG_BIN[18]}:${PG_BIN[15]}:${process.env.PATH}`;
const SELF = "docker-auto-config-entrypoint";

// The stack when the cluster is created, and later with one more database.
const BEFORE = testSpec(18, { postgres: { databases: [{ name: "app", extensions: [] }] } });
const AFTER = testSpec(18, {
    postgres: {
        databases: [
            { name: "app", extensions: [] },
            { name: "billing", extensions: ["pg_trgm"] },
        ],
    },
});
const secrets: RenderSecrets = testSecrets(AFTER);
// Unique, so a hit in /proc can only come from this test's processes.
const SUPERUSER_PASSWORD = `su-${randomUUID()}`;

/** A container's cgroup v1 view: 1 GiB and 2 CPUs, on a host with 24 GiB (as here). */
function cgroupV1Container(): Record<string, string> {
    const root = scratchDir("cgroup-v1");
    fs.mkdirSync(path.join(root, "memory"));
    fs.writeFileSync(path.join(root, "memory", "memory.limit_in_bytes"), `${1024 * 1024 * 1024}\n`);
    fs.mkdirSync(path.join(root, "cpu,cpuacct"));
    fs.writeFileSync(path.join(root, "cpu,cpuacct", "cpu.cfs_quota_us"), "200000\n");
    fs.writeFileSync(path.join(root, "cpu,cpuacct", "cpu.cfs_period_us"), "100000\n");
    fs.writeFileSync(path.join(root, "meminfo"), `MemTotal:       ${24 * 1024 * 1024} kB\n`);
    return { PG_AUTOCONFIG_CGROUP_ROOT: root, PG_AUTOCONFIG_MEMINFO: path.join(root, "meminfo") };
}

/** Every process whose command line or environment holds `secret` right now (pid/file: text). */
function processesHolding(secret: string): string[] {
    const hits: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
        for (const file of ["cmdline", "environ"]) {
            try {
                const content = fs.readFileSync(`/proc/${pid}/${file}`);
                if (content.includes(secret)) hits.push(`${pid}/${file}: ${content.toString().replace(/\0/g, " ")}`);
            } catch {
                // gone already, or not ours to read
            }
        }
    }
    return hits;
}

let layout: RuntimeLayout;
let pgdata: string;
let passwordFile: string;
let cgroup: Record<string, string>;
let socketDir: string;

/** Renders the stack's primary with the test's layout and installs its files (config and init SQL). */
function install(spec: PlatformSpec): void {
    installFiles(service(renderServices(spec, secrets, layout), spec.topology === "single" ? "single" : "primary"));
}

/** The container's command: the rendered postgresql.conf (its socket directory is the test's). */
const command = () => ["postgres", "-c", `config_file=${filePaths(layout).postgresqlConf}`, "-c", `unix_socket_directories=${socketDir}`];

/** Starts the entrypoint as the image does (the postgres user), watching /proc for the password until the server answers. */
async function startContainer(env: Record<string, string> = {}): Promise<{ server: ManagedProcess; leaks: string[] }> {
    const server = startProcess(ENTRYPOINT, command(), {
        env: { PATH, PGDATA: pgdata, POSTGRES_PASSWORD_FILE: passwordFile, [INIT_SQL_ENV.name]: filePaths(layout).initSql, ...cgroup, ...env },
        stopSignal: "SIGINT",
    });
    const leaks = new Set<string>();
    await waitFor(
        "the server started by the entrypoint",
        async () => {
            for (const hit of processesHolding(SUPERUSER_PASSWORD)) leaks.add(hit);
            if ((await Promise.race([server.exited, Promise.resolve("running")])) !== "running") throw new Error(`the entrypoint exited:\n${server.output()}`);
            return (await superuserQuery<{ ok: number }>("SELECT 1 AS ok")).length === 1;
        },
        90_000,
        25,
    );
    return { server, leaks: [...leaks] };
}

/** One query as the superuser over TCP 127.0.0.1 (SCRAM, as the rendered pg_hba.conf asks). */
async function superuserQuery<R extends Record<string, unknown>>(sql: string, password = SUPERUSER_PASSWORD): Promise<R[]> {
    const client = new Client({ host: "127.0.0.1", port: layout.postgresPort, user: "postgres", password, database: "postgres" });
    await client.connect();
    try {
        return (await client.query<R>(sql)).rows;
    } finally {
        await client.end();
    }
}

afterAll(stopAll);

beforeAll(async () => {
    layout = await hostLayout(scratchDir("entry-config"));
    pgdata = path.join(scratchDir("entry-volume"), "18", "docker");
    passwordFile = path.join(scratchDir("entry-secret"), "superuser.password");
    writeServiceFile(passwordFile, `${SUPERUSER_PASSWORD}\n`);
    cgroup = cgroupV1Container();
    socketDir = scratchDir("entry-sock");
});

describe("the entrypoint's own runtime (PostgreSQL 18.4, no official entrypoint)", () => {
    it("(control) the /proc scan finds a password that is in a command line or an environment", async () => {
        const inEnv = startProcess("sleep", ["30"], { env: { CONTROL_SECRET: SUPERUSER_PASSWORD } });
        const inArgs = startProcess("sh", ["-c", "sleep 30", SUPERUSER_PASSWORD]);
        try {
            const hits = await waitFor("both control processes", async () => {
                const found = processesHolding(SUPERUSER_PASSWORD);
                return found.length >= 2 ? found : undefined;
            });
            expect(hits.some((hit) => hit.startsWith(`${inEnv.pid}/environ`))).toBe(true);
            expect(hits.some((hit) => hit.startsWith(`${inArgs.pid}/cmdline`))).toBe(true);
        } finally {
            await inEnv.stop();
            await inArgs.stop();
        }
        expect(processesHolding(SUPERUSER_PASSWORD)).toEqual([]);
    });

    it("initialises an empty data directory with SCRAM from the password file, applies the init SQL, and serves", async () => {
        install(BEFORE);
        expect(fs.existsSync(pgdata)).toBe(false);
        const { server, leaks } = await startContainer();
        try {
            const log = server.output();
            expect(log).toContain(`${SELF}: initialising ${pgdata}: initdb, superuser postgres, scram-sha-256\n`);
            expect(log).toContain(`apply-init-sql: applied ${filePaths(layout).initSql} to the existing cluster in ${pgdata}\n`);
            // Tuned for the container's cgroup v1 limits, not the host's RAM; the major read from the binary (io_workers).
            expect(log).toContain(
                `${SELF}: 1024 MB from cgroup ${cgroup.PG_AUTOCONFIG_CGROUP_ROOT}/memory/memory.limit_in_bytes, 2 CPUs from cgroup ${cgroup.PG_AUTOCONFIG_CGROUP_ROOT}/cpu,cpuacct/cpu.cfs_quota_us: -c max_connections=120 -c shared_buffers=256MB`,
            );
            expect(await superuserQuery("SELECT current_setting('shared_buffers') AS sb, current_setting('io_workers') AS io")).toEqual([
                { sb: "256MB", io: "3" },
            ]);

            // The superuser's verifier is SCRAM; a wrong password is refused.
            expect(await superuserQuery("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = 'postgres'")).toEqual([
                { scram: true },
            ]);
            await expect(superuserQuery("SELECT 1", "wrong-password")).rejects.toThrow(/password authentication failed for user "postgres"/);
            // initdb's own pg_hba.conf (not used here: the rendered one is): SCRAM over TCP, peer on the
            // socket, so the image run without the platform's files still passes its socket healthcheck.
            const initdbHba = fs
                .readFileSync(path.join(pgdata, "pg_hba.conf"), "utf8")
                .split("\n")
                .filter((line) => line.trim() !== "" && !line.startsWith("#"));
            expect(initdbHba.filter((line) => line.startsWith("host")).length).toBeGreaterThan(0);
            for (const line of initdbHba) expect(line.trim().split(/\s+/).at(-1), line).toBe(line.startsWith("local") ? "peer" : "scram-sha-256");

            // The init SQL ran: the application's login works with the password the target generated.
            expect(await queryAs({ user: "app_app", password: secrets.passwords.app_app, port: layout.postgresPort }, "SELECT current_user AS who")).toEqual([
                { who: "app_app" },
            ]);

            // The password was in no command line or environment while initdb, the init SQL and the server ran.
            expect(leaks).toEqual([]);
            expect(processesHolding(SUPERUSER_PASSWORD)).toEqual([]);
            expect(log).not.toContain(SUPERUSER_PASSWORD);
            expect(fs.statSync(pgdata).mode & 0o777).toBe(0o700);
            await superuserQuery("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('written before the restart')");
        } finally {
            await server.stop();
        }
    });

    it("on a restart skips initdb and re-applies the init SQL, so a database added to the config is created", async () => {
        install(AFTER);
        const { server, leaks } = await startContainer();
        try {
            const log = server.output();
            expect(log).not.toContain("initialising");
            expect(log).toContain(`apply-init-sql: applied ${filePaths(layout).initSql} to the existing cluster in ${pgdata}\n`);
            expect(
                await queryAs(
                    { user: "billing_app", password: secrets.passwords.billing_app, port: layout.postgresPort, database: "billing" },
                    "SELECT current_database() AS db",
                ),
            ).toEqual([{ db: "billing" }]);
            // Same cluster: the row written before is there, the superuser's password unchanged.
            expect(await superuserQuery("SELECT note FROM kept")).toEqual([{ note: "written before the restart" }]);
            expect(leaks).toEqual([]);
        } finally {
            await server.stop();
        }
    });

    it("leaves a standby alone: neither initdb nor the init SQL, and it starts in recovery", async () => {
        fs.writeFileSync(path.join(pgdata, "standby.signal"), "");
        // A file that would fail if it ran.
        writeServiceFile(filePaths(layout).initSql, "SELECT no_such_function();\n");
        try {
            const { server } = await startContainer();
            try {
                const log = server.output();
                expect(log).not.toContain("initialising");
                expect(log).not.toContain("applied");
                expect(log).toContain(`apply-init-sql: ${pgdata} is a standby; it receives roles and databases from its primary\n`);
                expect(await superuserQuery("SELECT pg_is_in_recovery() AS recovery")).toEqual([{ recovery: true }]);
            } finally {
                await server.stop();
            }
        } finally {
            fs.rmSync(path.join(pgdata, "standby.signal"), { force: true });
        }
    });
});

describe("the entrypoint refuses what it cannot start safely, with one line and exit 1", () => {
    /** Runs the entrypoint to completion; nothing here may start a server. */
    async function refused(env: Record<string, string>, data?: string) {
        return run(
            ENTRYPOINT,
            ["postgres", "-c", `port=${await freePort()}`, "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${socketDir}`],
            {
                env: {
                    PATH,
                    PGDATA: data ?? path.join(scratchDir("entry-refused"), "data"),
                    POSTGRES_PASSWORD_FILE: passwordFile,
                    POSTGRES_MEMORY: "1024",
                    ...env,
                },
                timeoutMs: 30_000,
            },
        );
    }

    it.each<[Record<string, string>, (data: string) => string]>([
        [
            { POSTGRES_PASSWORD_FILE: "" },
            (data: string) => `POSTGRES_PASSWORD_FILE must name the file holding the superuser's password: ${data} is empty and initdb sets it`,
        ],
        [{ POSTGRES_PASSWORD_FILE: "/nonexistent/superuser.password" }, () => "cannot read POSTGRES_PASSWORD_FILE /nonexistent/superuser.password"],
        [
            { POSTGRES_PASSWORD: "in-the-environment" },
            () =>
                "POSTGRES_PASSWORD is refused: a password in the environment is visible to every process of the container; write it to a file and name that in POSTGRES_PASSWORD_FILE",
        ],
        [
            { POSTGRES_HOST_AUTH_METHOD: "trust" },
            () => 'POSTGRES_HOST_AUTH_METHOD is refused (got "trust"): authentication is SCRAM, and pg_hba.conf decides who may connect',
        ],
        [
            { POSTGRES_INITDB_ARGS: "--data-checksums --auth-local=trust" },
            () => "POSTGRES_INITDB_ARGS must not set --auth-local=trust: authentication, the superuser, its password and the data directory are the platform's",
        ],
        [{ POSTGRES_USER: "Admin;" }, () => 'POSTGRES_USER must be a plain role name: lower case letters, digits and _ (got "Admin;")'],
        [{ PGDATA: "" }, () => "PGDATA must be set: the data directory"],
        [{ PG_MAJOR: "17" }, () => `PG_MAJOR is 17 but ${PG_BIN[18]}/postgres is PostgreSQL 18`],
        [{ POSTGRES_MEMORY: "256" }, () => "256 MB of memory (POSTGRES_MEMORY); PostgreSQL needs at least 512 MB"],
    ])("%j", async (env, message) => {
        const data = path.join(scratchDir("entry-refused"), "data");
        const result = await refused(env, env.PGDATA ?? data);
        expect(result).toMatchObject({ code: 1, stdout: "", stderr: `${SELF}: ${message(data)}\n` });
        expect(fs.existsSync(data)).toBe(false);
    });

    it("an empty password file", async () => {
        const empty = path.join(scratchDir("entry-empty-secret"), "superuser.password");
        writeServiceFile(empty, "\n");
        expect(await refused({ POSTGRES_PASSWORD_FILE: empty })).toMatchObject({ code: 1, stderr: `${SELF}: POSTGRES_PASSWORD_FILE ${empty} is empty\n` });
    });

    it("a data directory with files but no cluster, which it leaves exactly as it was", async () => {
        const data = scratchDir("entry-stray");
        writeServiceFile(path.join(data, "stray.txt"), "not a cluster\n");
        expect(await refused({}, data)).toMatchObject({
            code: 1,
            stderr: `${SELF}: ${data} is not empty and holds no cluster (no PG_VERSION); refusing to initialise over it\n`,
        });
        expect(fs.readdirSync(data)).toEqual(["stray.txt"]);
    });

    it("a cluster of another major", async () => {
        const data = scratchDir("entry-other-major");
        writeServiceFile(path.join(data, "PG_VERSION"), "15\n");
        expect(await refused({}, data)).toMatchObject({
            code: 1,
            stderr: `${SELF}: ${data} holds a PostgreSQL 15 cluster and this server is PostgreSQL 18; upgrade it (pg_upgrade) or run a PostgreSQL 15 image\n`,
        });
    });

    it("initdb's own complaint, as one line", async () => {
        const result = await refused({ POSTGRES_INITDB_ARGS: "--no-such-initdb-option" });
        expect(result.code).toBe(1);
        const lines = result.stderr.split("\n").filter(Boolean);
        expect(lines.at(-1)).toMatch(new RegExp(`^${SELF}: initdb of .* failed: .*no-such-initdb-option`));
    });
});

describe.runIf(process.getuid?.() === 0)("the entrypoint started as root", () => {
    it("gives the data directory to postgres and runs initdb, the init SQL and the server as postgres", async () => {
        const data = path.join(scratchDir("entry-root"), "data");
        const port = await freePort();
        const sock = scratchDir("entry-root-sock");
        const init = path.join(scratchDir("entry-root-init"), "init.sql");
        writeServiceFile(init, "CREATE TABLE public.created_by_init (id int);\n");
        const server = startProcess(
            ENTRYPOINT,
            ["postgres", "-c", "listen_addresses=127.0.0.1", "-c", `port=${port}`, "-c", `unix_socket_directories=${sock}`],
            {
                env: { PATH, PGDATA: data, POSTGRES_PASSWORD_FILE: passwordFile, [INIT_SQL_ENV.name]: init, POSTGRES_MEMORY: "1024" },
                unprivileged: false,
                stopSignal: "SIGINT",
            },
        );
        try {
            const rows = await waitFor(
                "the server started as root",
                async () => {
                    if ((await Promise.race([server.exited, Promise.resolve("running")])) !== "running") throw new Error(server.output());
                    const client = new Client({ host: "127.0.0.1", port, user: "postgres", password: SUPERUSER_PASSWORD, database: "postgres" });
                    await client.connect();
                    try {
                        return (await client.query("SELECT to_regclass('public.created_by_init') IS NOT NULL AS created")).rows;
                    } finally {
                        await client.end();
                    }
                },
                90_000,
            );
            expect(rows).toEqual([{ created: true }]);
            const uid = Number((await run("id", ["-u", SERVICE_USER], { unprivileged: false })).stdout.trim());
            // The same process all along (setpriv and the server are exec'ed), now the postgres user's.
            expect(fs.readFileSync(`/proc/${server.pid}/status`, "utf8")).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s`, "m"));
            expect(fs.statSync(data).uid).toBe(uid);
            expect(fs.statSync(path.join(data, "PG_VERSION")).uid).toBe(uid);
        } finally {
            await server.stop();
        }
    });
});
