// The pools' authentication on real processes: PgBouncer 1.18 (Debian 12) in front of
// PostgreSQL 18.4 and 15, each pool started from its rendered files under the rendered
// run-pgbouncer.sh, as the Docker and Kubernetes targets run it.
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLATFORM_ROLES } from "../../../components/platform/constants";
import { POOL_MODES, filePaths, pooledRoles, renderServices, type RenderSecrets, type RuntimeLayout } from "../../../components/render";
import { giveToServiceUser, stopAll, waitFor, writeServiceFile, type ManagedProcess } from "../../../cli/local/processes";
import { userlistEntries } from "../../helpers/userlist";
import { bootPrimary, psqlFile, queryAs, service, startPgbouncer, testSpec, type BootedPrimary } from "../../../cli/local/stack";

afterAll(stopAll);

/** What PgBouncer says when a login fails authentication (never a refused connection or a missing database). */
const REFUSED = /SASL authentication failed|password authentication failed/;

/** PgBouncer's pid: the one child of the run-pgbouncer.sh supervisor. */
function pgbouncerPid(supervisor: ManagedProcess): number {
    const children = fs.readFileSync(`/proc/${supervisor.pid}/task/${supervisor.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    const pgbouncer = children.filter((pid) => fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "pgbouncer");
    if (pgbouncer.length !== 1) throw new Error(`expected one pgbouncer under the supervisor, found ${children.join(", ") || "none"}`);
    return pgbouncer[0];
}

/** Every file under a folder, recursively (symlinks followed), as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
    return fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .map((name) => path.join(dir, name))
        .filter((file) => fs.statSync(file).isFile())
        .map((file) => ({ file, text: fs.readFileSync(file, "utf8") }));
}

describe.each([18, 15] as const)("pool authentication on PgBouncer 1.18 and PostgreSQL %i: verifiers first, auth_query as the fallback", (version) => {
    const spec = testSpec(version, {
        topology: "primary",
        postgres: {
            roles: [
                { name: "deployer", database: "app", access: "migrate" },
                { name: "reporting", database: "app", access: "readonly" },
            ],
        },
    });
    const roles = pooledRoles(spec);
    let booted: BootedPrimary;
    const pools: Record<string, { port: number; process: ManagedProcess; layout: RuntimeLayout }> = {};
    let secrets: RenderSecrets;

    const login = (user: string, port: number, password: string) => queryAs<{ u: string }>({ user, password, port }, "SELECT session_user AS u");
    /** The pool's log since `mark` (its length before). */
    const logSince = (mode: string, mark: number) => pools[mode].process.output().slice(mark);

    beforeAll(async () => {
        booted = await bootPrimary(spec);
        secrets = booted.secrets;
        for (const mode of POOL_MODES) pools[mode] = await startPgbouncer(booted, mode);
        // A role made outside the platform, as a DBA or another tool would (SCRAM, as the server hashes it).
        await booted.server.query("CREATE ROLE outsider LOGIN PASSWORD 'outsider-secret'");
        await booted.server.query("GRANT CONNECT ON DATABASE app TO outsider");
    });

    it("lists every per-database and postgres.roles role, by the verifier the server stores, and the auth role alone in clear", async () => {
        expect(roles).toEqual(["app_migrate", "app_app", "app_readonly", "deployer", "reporting"]);
        const stored = new Map(
            (
                await booted.server.query<{ rolname: string; rolpassword: string }>("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1)", [
                    roles,
                ])
            ).map((row) => [row.rolname, row.rolpassword]),
        );
        for (const mode of POOL_MODES) {
            const text = fs.readFileSync(filePaths(pools[mode].layout).pgbouncerUserlist, "utf8");
            const entries = userlistEntries(text);
            expect([...entries.keys()]).toEqual([PLATFORM_ROLES.poolerAuth, ...roles]);
            for (const role of roles) expect(entries.get(role), `${mode}: ${role}`).toBe(stored.get(role));
            expect(entries.get(PLATFORM_ROLES.poolerAuth)).toBe(secrets.passwords[PLATFORM_ROLES.poolerAuth]);
        }
    });

    it("keeps no pooled role's clear password anywhere in a pool's files", () => {
        for (const mode of POOL_MODES) {
            const files = filesUnder(pools[mode].layout.pgbouncerConfigDir);
            expect(files.map((f) => path.basename(f.file)).sort()).toEqual(["pgbouncer.ini", "run-pgbouncer.sh", "userlist.txt"]);
            for (const role of roles) {
                for (const { file, text } of files) expect(text.includes(secrets.passwords[role]), `${role}'s password in ${file}`).toBe(false);
            }
        }
    });

    it("admits every pooled role through each pool as its own login, from the userlist: no auth_query round trip", async () => {
        for (const mode of POOL_MODES) {
            const mark = pools[mode].process.output().length;
            for (const role of roles) expect(await login(role, pools[mode].port, secrets.passwords[role]), `${mode}: ${role}`).toEqual([{ u: role }]);
            // auth_query runs on a server connection of the auth role; none was opened for these logins.
            const log = logSince(mode, mark);
            for (const role of roles) expect(log).toMatch(new RegExp(`app/${role}@[^ ]+ new connection to server`));
            expect(log).not.toContain(`/${PLATFORM_ROLES.poolerAuth}@`);
        }
    });

    it("refuses each pooled role with a wrong password, and a pooled role's password for another role", async () => {
        for (const mode of POOL_MODES) {
            for (const role of roles) await expect(login(role, pools[mode].port, `${secrets.passwords[role]}x`), `${mode}: ${role}`).rejects.toThrow(REFUSED);
            await expect(login("app_migrate", pools[mode].port, secrets.passwords.app_app)).rejects.toThrow(REFUSED);
        }
    });

    it("admits a role made outside the platform through auth_query, and refuses it with a wrong password", async () => {
        for (const mode of POOL_MODES) {
            const mark = pools[mode].process.output().length;
            expect(await login("outsider", pools[mode].port, "outsider-secret")).toEqual([{ u: "outsider" }]);
            expect(logSince(mode, mark)).toMatch(new RegExp(`app/${PLATFORM_ROLES.poolerAuth}@[^ ]+ new connection to server`));
            await expect(login("outsider", pools[mode].port, "not-the-secret")).rejects.toThrow(REFUSED);
        }
    });

    it("takes a rotated password on reload, without restarting PgBouncer or dropping a client", async () => {
        const rotated: RenderSecrets = { passwords: { ...secrets.passwords, app_app: `rotated-${Math.random().toString(36).slice(2)}` } };
        // A client of each pool logged in with the old password before the rotation.
        const open = Object.fromEntries(
            POOL_MODES.map((mode) => [
                mode,
                new Client({ host: "127.0.0.1", port: pools[mode].port, user: "app_app", password: secrets.passwords.app_app, database: "app" }),
            ]),
        );
        for (const client of Object.values(open)) {
            await client.connect();
            await client.query("SELECT 1");
        }
        // The server side as a target applies it: the init SQL rendered with the new secrets.
        const initSql = service(renderServices(spec, rotated, booted.layout), "primary").files.find((f) => f.path === filePaths(booted.layout).initSql);
        if (!initSql) throw new Error("no init SQL rendered");
        writeServiceFile(initSql.path, initSql.content);
        const applied = await psqlFile(booted.server, initSql.path);
        expect(applied.stderr).toBe("");

        for (const mode of POOL_MODES) {
            const pool = pools[mode];
            const pid = pgbouncerPid(pool.process);
            try {
                const paths = filePaths(pool.layout);
                const userlist = service(renderServices(spec, rotated, pool.layout), `pooler-${mode}`).files.find((f) => f.path === paths.pgbouncerUserlist);
                if (!userlist) throw new Error("no userlist rendered");
                const mark = pool.process.output().length;
                if (mode === "transaction") {
                    // Docker's auth writer: the new file renamed into place in the shared volume.
                    writeServiceFile(`${paths.pgbouncerUserlist}.new`, userlist.content);
                    fs.renameSync(`${paths.pgbouncerUserlist}.new`, paths.pgbouncerUserlist);
                } else {
                    // Kubernetes' Secret volume: a new timestamped folder, `..data` swapped to it, the file a symlink through `..data`.
                    const dir = paths.pgbouncerAuthDir;
                    const version = `..${Date.now()}`;
                    fs.mkdirSync(path.join(dir, version));
                    writeServiceFile(path.join(dir, version, "userlist.txt"), userlist.content);
                    fs.symlinkSync(version, path.join(dir, "..data_tmp"));
                    fs.renameSync(path.join(dir, "..data_tmp"), path.join(dir, "..data"));
                    fs.rmSync(paths.pgbouncerUserlist);
                    fs.symlinkSync("..data/userlist.txt", paths.pgbouncerUserlist);
                    giveToServiceUser(dir);
                }
                await waitFor(`${mode} pool reload`, async () => /got SIGHUP, re-reading config/.test(logSince(mode, mark)), 15_000);
                expect(logSince(mode, mark)).toContain("changed, reloading PgBouncer");

                expect(await login("app_app", pool.port, rotated.passwords.app_app), mode).toEqual([{ u: "app_app" }]);
                await expect(login("app_app", pool.port, secrets.passwords.app_app), mode).rejects.toThrow(REFUSED);
                // The other roles are untouched, the client connected before the reload is still served, and PgBouncer is the same process.
                expect(await login("app_readonly", pool.port, secrets.passwords.app_readonly)).toEqual([{ u: "app_readonly" }]);
                expect((await open[mode].query<{ u: string }>("SELECT session_user AS u")).rows).toEqual([{ u: "app_app" }]);
                expect(pgbouncerPid(pool.process)).toBe(pid);
                expect(pool.process.output().match(/process up: PgBouncer/g)).toHaveLength(1);
            } finally {
                await open[mode].end();
            }
        }
    });

    it("passes a stop on to PgBouncer: no PgBouncer outlives its supervisor", async () => {
        const pool = pools.session;
        const pid = pgbouncerPid(pool.process);
        await pool.process.stop();
        expect(await pool.process.exited).toBeDefined();
        expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    });
});
