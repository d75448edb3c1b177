import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_CONTEXT_DIR } from "../../../components/image";
import { healthcheckArgs } from "../../../components/image/runtime";
import { parseSpec } from "../../../components/config";
import { initCluster, startPostgres, type PgServer } from "../../../cli/local/postgres";
import { PG_BIN, freePort, run, scratchDir, startProcess, stopAll, waitFor } from "../../../cli/local/processes";

const HEALTHCHECK = path.join(IMAGE_CONTEXT_DIR, "healthcheck.sh");
// Debian's 15 client tools (psql, pg_isready) talk to the 18.4 server; the image has its own.
const PATH = `${PG_BIN[15]}:${process.env.PATH}`;

let cluster: { dataDir: string; superuserPassword: string };
let server: PgServer;

/** Runs the healthcheck against a server through libpq's environment, as a probe would. */
function check(args: string[], target: { host: string; port: number }) {
    return run(HEALTHCHECK, args, {
        unprivileged: false,
        env: { PATH, PGHOST: target.host, PGPORT: String(target.port), PGUSER: "postgres", PGPASSWORD: cluster.superuserPassword, PGDATABASE: "postgres" },
    });
}
const primary = () => ({ host: "127.0.0.1", port: server.port });

afterAll(stopAll);

beforeAll(async () => {
    cluster = await initCluster({ version: 18 });
    server = await startPostgres({ version: 18, ...cluster, settings: { shared_preload_libraries: "pg_stat_statements,auto_explain" } });
});

describe("healthcheck.sh on real PostgreSQL 18.4", () => {
    it("is healthy for a primary whose extensions are shipped and preloaded, using the args the targets pass", async () => {
        const spec = parseSpec({ postgres: { extensions: ["pg_stat_statements", "auto_explain", "pg_trgm"] } });
        const args = healthcheckArgs(spec, "primary");
        expect(args).toEqual(["--role", "primary", "--available", "pg_stat_statements,pg_trgm", "--preloaded", "pg_stat_statements,auto_explain"]);
        expect(await check(args, primary())).toMatchObject({ code: 0, stdout: "", stderr: "" });
        expect(await check([], primary())).toMatchObject({ code: 0, stderr: "" });
    });

    it("is unhealthy when a replica is expected but the server is a primary", async () => {
        expect(await check(["--role", "replica"], primary())).toMatchObject({
            code: 1,
            stderr: "healthcheck: expected a replica, but the server is not in recovery\n",
        });
    });

    it("is unhealthy when the image lacks an extension (this 18.4 build has no pg_cron or pgaudit)", async () => {
        const spec = parseSpec({ postgres: { extensions: ["pg_stat_statements", "pg_cron", "pgaudit"] } });
        const [, , ...rest] = healthcheckArgs(spec, "primary");
        expect(await check(rest.slice(0, 2), primary())).toMatchObject({
            code: 1,
            stderr: "healthcheck: extensions missing from the image: pg_cron,pgaudit\n",
        });
    });

    it("is unhealthy when a library is not preloaded", async () => {
        expect(await check(["--preloaded", "pg_stat_statements,pg_cron"], primary())).toMatchObject({
            code: 1,
            stderr: "healthcheck: not in shared_preload_libraries: pg_cron\n",
        });
    });

    it("is unhealthy while the entrypoint's temporary init SQL server runs (no TCP listener)", async () => {
        const socketDir = scratchDir("init-sock");
        const { dataDir } = await initCluster({ version: 18, superuserPassword: cluster.superuserPassword });
        const port = await freePort();
        const init = startProcess(
            path.join(PG_BIN[18], "postgres"),
            ["-D", dataDir, "-c", "listen_addresses=", "-c", `port=${port}`, "-c", `unix_socket_directories=${socketDir}`],
            { stopSignal: "SIGINT" },
        );
        const socket = { host: socketDir, port };
        await waitFor(
            "the socket-only server",
            async () => (await run(path.join(PG_BIN[15], "pg_isready"), ["-h", socketDir, "-p", String(port)], { unprivileged: false })).code === 0,
        );
        expect(await check([], socket)).toMatchObject({
            code: 1,
            stderr: "healthcheck: initialisation server (listen_addresses is empty); the real server is not up yet\n",
        });
        await init.stop();
    });

    it("is unhealthy when nothing accepts connections, and on bad arguments", async () => {
        expect(await check([], { host: "127.0.0.1", port: await freePort() })).toMatchObject({ code: 1, stderr: "healthcheck: not accepting connections\n" });
        expect(await check(["--role", "leader"], primary())).toMatchObject({
            code: 1,
            stderr: 'healthcheck: --role must be primary or replica (got "leader")\n',
        });
        expect(await check(["--verbose"], primary())).toMatchObject({
            code: 1,
            stderr: 'healthcheck: unknown argument "--verbose" (expected --role, --available or --preloaded)\n',
        });
    });

    it("quotes the lists it is given: a hostile name is data, not SQL", async () => {
        const result = await check(["--available", "x'); DROP TABLE pg_class; --"], primary());
        expect(result).toMatchObject({ code: 1, stderr: "healthcheck: extensions missing from the image: x'); DROP TABLE pg_class; --\n" });
    });
});
