// A password rotation reaching a running pool on Docker, with the pieces the Docker target
// deploys (components/targets/docker/pooler.ts) run for real on the engine: the pinned-major
// PgBouncer stand-in (Debian sid's 1.26) under the rendered run-pgbouncer.sh, its auth file in a
// named volume mounted read-only, filled by the one-shot auth writer; PostgreSQL 18.4 on the host.
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PGBOUNCER_IMAGE } from "../../../../components/platform/images";
import { CONTAINER_LAYOUT, filePaths, renderServices, type RenderSecrets, type RuntimeLayout } from "../../../../components/render";
import { pgbouncerRunCommand } from "../../../../components/render/pgbouncer-run";
import { AUTH_STAGING_DIR, authWriterScript } from "../../../../components/targets/docker/pooler";
import { freePort, stopAll, waitFor, waitForPort, writeServiceFile } from "../../../../cli/local/processes";
import { bootPrimary, psqlFile, queryAs, service, testSpec, type BootedPrimary } from "../../../../cli/local/stack";
import { createVolume, docker, localImages, removeAll, runContainer, type TestContainer } from "../../../helpers/containers";

afterAll(async () => {
    await removeAll();
    await stopAll();
});

const REFUSED = /SASL authentication failed|password authentication failed/;

describe("a rotated password reaches a running pool on Docker (PgBouncer stand-in of the pinned major)", () => {
    const spec = testSpec(18, { topology: "primary" });
    let booted: BootedPrimary;
    let image: string;
    let volume: string;
    let layout: RuntimeLayout;
    let pool: TestContainer;
    const paths = filePaths(CONTAINER_LAYOUT);

    /** The pool's files as the Docker target renders them, the primary and the pool's port being this host's. */
    const poolFiles = (secrets: RenderSecrets) => service(renderServices(spec, secrets, layout), "pooler-transaction").files;

    /** One auth writer run, as Pulumi creates it: staged file, copy into the volume, exit 0. */
    async function writeAuthFile(secrets: RenderSecrets): Promise<void> {
        const userlist = poolFiles(secrets).find((f) => f.live);
        if (!userlist) throw new Error("no live file rendered");
        const writer = await runContainer({
            image,
            user: "0:0",
            entrypoint: ["/bin/sh", "-c"],
            command: [authWriterScript([userlist.path], PGBOUNCER_IMAGE)],
            network: "none",
            files: [{ path: `${AUTH_STAGING_DIR}/userlist.txt`, content: userlist.content, mode: 0o600 }],
            volumes: [{ name: volume, path: paths.pgbouncerAuthDir }],
        });
        const code = await writer.waitExit(60_000);
        expect(code, await writer.logs()).toBe(0);
        await writer.remove();
    }

    const login = (user: string, password: string) =>
        queryAs<{ u: string }>({ user, password, port: layout.poolPorts.transaction }, "SELECT session_user AS u");

    beforeAll(async () => {
        image = (await localImages()).pgbouncer;
        booted = await bootPrimary(spec);
        const port = await freePort();
        // The container layout, but on the host network: the pool reaches 127.0.0.1 and listens there.
        layout = {
            ...CONTAINER_LAYOUT,
            listenAddress: "127.0.0.1",
            primary: { host: "127.0.0.1", port: booted.server.port },
            poolPorts: { transaction: port, session: port },
        };
        volume = await createVolume();
        await writeAuthFile(booted.secrets);
        const files = poolFiles(booted.secrets).filter((f) => !f.live);
        const [shell, ...args] = pgbouncerRunCommand(paths.pgbouncerRunScript, "/usr/bin/pgbouncer", paths.pgbouncerIni, paths.pgbouncerUserlist, 1);
        pool = await runContainer({
            image,
            network: "host",
            entrypoint: [shell],
            command: args,
            files: files.map((f) => ({ path: f.path, content: f.content, mode: f.mode, uid: PGBOUNCER_IMAGE.uid, gid: PGBOUNCER_IMAGE.gid })),
            volumes: [{ name: volume, path: `${paths.pgbouncerAuthDir}:ro` }],
        });
        await waitForPort(port, 30_000).catch(async (error: Error) => {
            throw new Error(`${error.message}\n${await pool.logs()}`);
        });
    });

    it("serves the platform's roles from the volume's verifiers (mode 0600, the pool's user), no auth_query", async () => {
        const listing = await pool.exec(["stat", "-c", "%a %u:%g %n", paths.pgbouncerUserlist]);
        expect(listing.stdout.trim()).toBe(`600 ${PGBOUNCER_IMAGE.uid}:${PGBOUNCER_IMAGE.gid} ${paths.pgbouncerUserlist}`);
        expect(await login("app_app", booted.secrets.passwords.app_app)).toEqual([{ u: "app_app" }]);
        expect(await login("app_readonly", booted.secrets.passwords.app_readonly)).toEqual([{ u: "app_readonly" }]);
        await expect(login("app_app", "wrong")).rejects.toThrow(REFUSED);
        expect(await pool.logs()).not.toContain("pgbouncer_auth@");
    });

    it("takes a new password from a new writer run: same container, no restart, an open client kept", async () => {
        const open = new Client({
            host: "127.0.0.1",
            port: layout.poolPorts.transaction,
            user: "app_app",
            password: booted.secrets.passwords.app_app,
            database: "app",
        });
        await open.connect();
        try {
            await open.query("SELECT 1");
            const before = (await docker(["inspect", "--format", "{{.State.StartedAt}} {{.RestartCount}}", pool.id])).stdout.trim();
            const rotated: RenderSecrets = { passwords: { ...booted.secrets.passwords, app_app: `rotated-${Math.random().toString(36).slice(2)}` } };
            // The server first (the writer's init SQL on its next start), then the pool's writer.
            const initSql = service(renderServices(spec, rotated, booted.layout), "primary").files.find((f) => f.path === booted.layout.initSqlPath);
            if (!initSql) throw new Error("no init SQL rendered");
            writeServiceFile(initSql.path, initSql.content);
            expect((await psqlFile(booted.server, initSql.path)).code).toBe(0);
            await writeAuthFile(rotated);

            await waitFor("the pool's reload", async () => /got SIGHUP, re-reading config/.test(await pool.logs()), 20_000);
            expect(await pool.logs()).toContain("changed, reloading PgBouncer");
            expect(await login("app_app", rotated.passwords.app_app)).toEqual([{ u: "app_app" }]);
            await expect(login("app_app", booted.secrets.passwords.app_app)).rejects.toThrow(REFUSED);
            expect((await open.query<{ u: string }>("SELECT session_user AS u")).rows).toEqual([{ u: "app_app" }]);
            expect((await docker(["inspect", "--format", "{{.State.StartedAt}} {{.RestartCount}}", pool.id])).stdout.trim()).toBe(before);
            expect((await pool.logs()).match(/process up: PgBouncer/g)).toHaveLength(1);
        } finally {
            await open.end();
        }
    });
});
