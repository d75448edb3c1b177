import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_CONTEXT_DIR } from "../../../components/image";
import { INIT_SQL_ENV } from "../../../components/image/runtime";
import { filePaths, renderInitSql, type RenderSecrets } from "../../../components/render";
import type { PlatformSpec } from "../../../components/config";
import { initCluster, startPostgres, type PgServer } from "../../../cli/local/postgres";
import { PG_BIN, freePort, run, scratchDir, startProcess, stopAll, waitFor, writeServiceFile, type RunResult } from "../../../cli/local/processes";
import { bootPrimary, queryAs, testSecrets, testSpec, type BootedPrimary } from "../../../cli/local/stack";

const SCRIPT = path.join(IMAGE_CONTEXT_DIR, "apply-init-sql.sh");
const ENTRYPOINT = path.join(IMAGE_CONTEXT_DIR, "docker-auto-config-entrypoint.sh");
// postgres from 18.4; psql and pg_isready from Debian's 15 (the npm build ships neither).
const PATH = `${PG_BIN[18]}:${PG_BIN[15]}:${process.env.PATH}`;

// What the stack had when the cluster was created, and what the config says now: a database
// (with its three roles), a role of its own and an extension in the existing database added.
const BEFORE = testSpec(18, { postgres: { databases: [{ name: "app", extensions: [] }] } });
const AFTER = testSpec(18, {
    postgres: {
        databases: [
            { name: "app", extensions: ["pg_trgm"] },
            { name: "billing", extensions: ["pg_trgm"] },
        ],
        roles: [{ name: "reporting", database: "app", access: "readonly" }],
    },
});
const secrets: RenderSecrets = testSecrets(AFTER);

let booted: BootedPrimary;
let dataDir: string;
let postgresqlConf: string;

/** An init SQL file (owned by the service user, 0600 like the mounted secret). */
function initSqlFile(content: string): string {
    const file = path.join(scratchDir("apply-sql"), "init.sql");
    writeServiceFile(file, content);
    return file;
}
const rendered = (spec: PlatformSpec) => initSqlFile(renderInitSql(spec, secrets));

/** Runs the script as the image does: the postgres user, PGDATA and the file from the environment, the server's command as arguments. */
function apply(pgdata: string, file: string, extraArgs: string[] = []): Promise<RunResult> {
    return run(SCRIPT, ["postgres", "-c", `config_file=${postgresqlConf}`, ...extraArgs], {
        env: { PATH, PGDATA: pgdata, [INIT_SQL_ENV.name]: file },
        timeoutMs: 60_000,
    });
}

/** Starts the cluster as the real server would, after the script ran. */
const start = () => startPostgres({ version: 18, dataDir, superuserPassword: booted.server.superuserPassword, port: booted.layout.postgresPort });

/** What the init SQL converges: roles with their attributes and verifiers, databases, extensions per database, slots. */
async function catalog(server: PgServer) {
    const roles = await server.query("SELECT rolname, rolsuper, rolreplication, rolconnlimit, rolpassword FROM pg_authid ORDER BY rolname");
    const databases = (await server.query<{ datname: string }>("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname")).map(
        (r) => r.datname,
    );
    const extensions: Record<string, string[]> = {};
    for (const database of databases) {
        extensions[database] = (await server.query<{ extname: string }>("SELECT extname FROM pg_extension ORDER BY extname", [], { database })).map(
            (r) => r.extname,
        );
    }
    const slots = await server.query("SELECT slot_name, slot_type FROM pg_replication_slots ORDER BY slot_name");
    return { roles, databases, extensions, slots };
}

/** No server holds the data directory: a running postmaster keeps its lock file there. */
function expectNoServer(pgdata: string) {
    expect(fs.existsSync(path.join(pgdata, "postmaster.pid")), "postmaster.pid left behind").toBe(false);
}

afterAll(stopAll);

beforeAll(async () => {
    // The initdb path: a new cluster gets the first config's init SQL (as the entrypoint does right after initdb).
    booted = await bootPrimary(BEFORE, secrets);
    dataDir = booted.server.dataDir;
    postgresqlConf = filePaths(booted.layout).postgresqlConf;
    await booted.server.stop();
}, 60_000);

describe("apply-init-sql.sh on an existing cluster (PostgreSQL 18.4)", () => {
    it("creates the database, roles and extension the config gained, before the real server starts", async () => {
        const file = rendered(AFTER);
        const result = await apply(dataDir, file);
        expect(result.stderr).toBe(`apply-init-sql: applied ${file} to the existing cluster in ${dataDir}\n`);
        expect(result.code).toBe(0);
        expectNoServer(dataDir);

        const server = await start();
        try {
            const state = await catalog(server);
            expect(state.databases).toEqual(["app", "billing", "postgres"]);
            expect(state.extensions.app).toContain("pg_trgm");
            expect(state.extensions.billing).toContain("pg_trgm");
            const roleNames = state.roles.map((r) => r.rolname);
            for (const role of ["billing_app", "billing_migrate", "billing_readonly", "reporting"]) expect(roleNames).toContain(role);
            // The new logins work with the passwords the target generated.
            const rows = await queryAs(
                { user: "billing_app", password: secrets.passwords.billing_app, port: server.port, database: "billing" },
                "SELECT current_user AS who",
            );
            expect(rows).toEqual([{ who: "billing_app" }]);
        } finally {
            await server.stop();
        }
    });

    it("changes nothing when run again", async () => {
        // Passwords go in as salted verifiers: the same file, applied twice.
        const file = rendered(AFTER);
        expect((await apply(dataDir, file)).code).toBe(0);
        let server = await start();
        const before = await catalog(server);
        await server.stop();

        const result = await apply(dataDir, file);
        expect(result).toMatchObject({ code: 0, stderr: `apply-init-sql: applied ${file} to the existing cluster in ${dataDir}\n` });
        server = await start();
        try {
            expect(await catalog(server)).toEqual(before);
        } finally {
            await server.stop();
        }
    });

    it("fails a bad file with one line on stderr and exit 1, and leaves no server running", async () => {
        const file = initSqlFile("\\set ON_ERROR_STOP on\nSELECT 1;\nCREATE ROLE half_applied;\nSELECT no_such_function();\n");
        const result = await apply(dataDir, file);
        expect(result.code).toBe(1);
        const lines = result.stderr.split("\n").filter(Boolean);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
            new RegExp(
                `^apply-init-sql: applying ${file} to the existing cluster in ${dataDir} failed: .*ERROR: +function no_such_function\\(\\) does not exist`,
            ),
        );
        expectNoServer(dataDir);
        // The data directory is free again: the real server starts on it.
        const server = await start();
        await server.stop();
    });

    it("fails visibly when the temporary server cannot start, and leaves nothing running", async () => {
        const result = await apply(dataDir, rendered(AFTER), ["-c", "no_such_setting=1"]);
        expect(result).toMatchObject({ code: 1, stderr: `apply-init-sql: the temporary server on ${dataDir} did not start (its log is above)\n` });
        expect(result.stdout).toContain("no_such_setting");
        expectNoServer(dataDir);
    });

    it.each(["standby.signal", "recovery.signal"])("skips a standby (%s): it gets everything from its primary", async (signal) => {
        fs.writeFileSync(path.join(dataDir, signal), "");
        try {
            // A file that would fail if it ran.
            const result = await apply(dataDir, initSqlFile("SELECT no_such_function();\n"));
            expect(result).toMatchObject({
                code: 0,
                stdout: "",
                stderr: `apply-init-sql: ${dataDir} is a standby; it receives roles and databases from its primary\n`,
            });
            expectNoServer(dataDir);
        } finally {
            fs.rmSync(path.join(dataDir, signal));
        }
    });

    it("leaves an empty or missing PGDATA to the entrypoint's initdb", async () => {
        const empty = scratchDir("apply-empty");
        const failing = initSqlFile("SELECT no_such_function();\n");
        for (const pgdata of [empty, path.join(empty, "absent")]) {
            expect(await apply(pgdata, failing)).toMatchObject({ code: 0, stdout: "", stderr: "" });
        }
        expect(fs.readdirSync(empty)).toEqual([]);
    });

    it("does nothing without the variable naming the file, or for options that start no server", async () => {
        const failing = initSqlFile("SELECT no_such_function();\n");
        const unset = await run(SCRIPT, ["postgres"], { env: { PATH, PGDATA: dataDir, [INIT_SQL_ENV.name]: "" } });
        expect(unset).toMatchObject({ code: 0, stdout: "", stderr: "" });
        expect(await apply(dataDir, failing, ["-C", "shared_buffers"])).toMatchObject({ code: 0, stdout: "", stderr: "" });
        expect(await apply(dataDir, failing, ["--version"])).toMatchObject({ code: 0, stdout: "", stderr: "" });
    });

    it("says so when the variable names a file that is not there", async () => {
        const missing = path.join(scratchDir("apply-missing"), "init.sql");
        expect(await apply(dataDir, missing)).toMatchObject({ code: 0, stderr: `apply-init-sql: no init SQL at ${missing}; nothing applied\n` });
    });

    it("creates POSTGRES_DB when it is missing, also without an init SQL file, and only once", async () => {
        const env = { PATH, PGDATA: dataDir, [INIT_SQL_ENV.name]: "", POSTGRES_DB: "reports" };
        const args = ["postgres", "-c", `config_file=${postgresqlConf}`];
        expect(await run(SCRIPT, args, { env })).toMatchObject({ code: 0, stderr: "" });
        expectNoServer(dataDir);
        // Already there: nothing to create, nothing to fail.
        expect(await run(SCRIPT, args, { env })).toMatchObject({ code: 0, stderr: "" });
        const server = await start();
        try {
            expect((await catalog(server)).databases).toContain("reports");
        } finally {
            await server.stop();
        }
    });

    it.runIf(process.getuid?.() === 0)("switches to the postgres user through setpriv when started as root, as the entrypoint does", async () => {
        const bin = scratchDir("apply-setpriv");
        const calls = path.join(bin, "calls");
        // Wrapper around the real setpriv: record the user it is asked to switch to, then switch.
        writeServiceFile(path.join(bin, "setpriv"), `#!/bin/sh\necho "$1" > ${calls}\nexec /usr/bin/setpriv "$@"\n`, 0o755);
        const file = rendered(AFTER);
        const result = await run(SCRIPT, ["postgres", "-c", `config_file=${postgresqlConf}`], {
            env: { PATH: `${bin}:${PATH}`, PGDATA: dataDir, [INIT_SQL_ENV.name]: file },
            unprivileged: false,
        });
        expect(result).toMatchObject({ code: 0, stderr: `apply-init-sql: applied ${file} to the existing cluster in ${dataDir}\n` });
        expect(fs.readFileSync(calls, "utf8")).toBe("--reuid=postgres\n");
        expectNoServer(dataDir);
    });
});

describe("the entrypoint runs it before starting the server", () => {
    it("a restarted container with a new database in its config serves it", async () => {
        // A fresh cluster created with the first config, then "restarted" with the second.
        const cluster = await initCluster({ version: 18 });
        const first = await startPostgres({
            version: 18,
            ...cluster,
            postgresqlConf: fs.readFileSync(postgresqlConf, "utf8"),
            pgHbaConf: fs.readFileSync(path.join(dataDir, "pg_hba.conf"), "utf8"),
        });
        await first.stop();
        const file = rendered(AFTER);
        const port = await freePort();
        const command = [
            "postgres",
            "-c",
            `config_file=${path.join(cluster.dataDir, "postgresql.conf")}`,
            "-c",
            `hba_file=${path.join(cluster.dataDir, "pg_hba.conf")}`,
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            `port=${port}`,
            "-c",
            `unix_socket_directories=${scratchDir("apply-entry-sock")}`,
        ];
        const server = startProcess(ENTRYPOINT, command, {
            env: { PATH, PGDATA: cluster.dataDir, [INIT_SQL_ENV.name]: file, POSTGRES_MEMORY: "1024", PG_AUTOCONFIG_NPROC: "2", PG_MAJOR: "18" },
            stopSignal: "SIGINT",
        });
        try {
            const databases = await waitFor(
                "the entrypoint's server with the new database",
                async () => {
                    if ((await Promise.race([server.exited, Promise.resolve("running")])) !== "running") throw new Error(server.output());
                    return queryAs(
                        { user: "billing_app", password: secrets.passwords.billing_app, port, database: "billing" },
                        "SELECT current_database() AS db",
                    );
                },
                30_000,
            );
            expect(databases).toEqual([{ db: "billing" }]);
            expect(server.output()).toContain(`apply-init-sql: applied ${file} to the existing cluster in ${cluster.dataDir}`);
        } finally {
            await server.stop();
        }
    });
});
