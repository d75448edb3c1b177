// The URLs the Docker target outputs, used unchanged by three driver families — libpq (psql),
// node-postgres and psycopg 3 (its own libpq) — against real PostgreSQL 18.4 and PgBouncer 1.18
// with TLS and CA-signed certificates, each verifying the server against the CA file the URLs
// name (where the caCertificate output is kept). A foreign CA in that file makes all three refuse.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../../../components/targets/docker";
import { tlsPaths, type RenderSecrets } from "../../../components/render";
import { runUnderMocks } from "../../../cli/offline/harness";
import { run, scratchDir, stopAll, type RunResult } from "../../../cli/local/processes";
import { PSQL, bootPrimary, startPgbouncer, testSpec, type BootedPrimary } from "../../../cli/local/stack";
import { installCertificate, makeCa, type TestCa } from "../../helpers/tls";

afterAll(stopAll);

const ROOT = path.resolve(__dirname, "../../..");
const NODE_CLIENT = `const { Client } = require(${JSON.stringify(path.join(ROOT, "node_modules/pg"))});
const client = new Client({ connectionString: process.argv[1] });
client.connect().then(() => client.query("SELECT current_user AS u")).then((r) => { console.log(r.rows[0].u); return client.end(); })
    .catch((e) => { console.error(e.message); process.exit(1); });`;
const PYTHON_CLIENT = "import sys, psycopg\nwith psycopg.connect(sys.argv[1]) as c:\n    print(c.execute('SELECT current_user').fetchone()[0])\n";

/** Runs a command in `cwd` (where the URLs' relative sslrootcert is found), as the test's user. */
function inDir(cwd: string, command: string, args: string[]): Promise<RunResult> {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd, env: { ...process.env, HOME: cwd, PGSSLROOTCERT: "" }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
    });
}

describe("output URLs with TLS on, used unchanged by psql, node-postgres and psycopg", () => {
    const config = { topology: "primary" as const, postgres: { tls: { enabled: true } } };
    let booted: BootedPrimary;
    let urls: Record<"primaryUrl" | "transactionPoolUrl", string>;
    let ca: TestCa;
    let clientDir: string;
    let python: string;
    const drivers: Record<string, (url: string) => Promise<RunResult>> = {
        "psql (libpq 15)": (url) => inDir(clientDir, PSQL, ["-X", "-A", "-t", "-c", "SELECT current_user", url]),
        "node-postgres": (url) => inDir(clientDir, process.execPath, ["-e", NODE_CLIENT, url]),
        "psycopg 3": (url) => inDir(clientDir, python, ["-c", PYTHON_CLIENT, url]),
    };

    beforeAll(async () => {
        const installed = await run("bash", [path.join(ROOT, "scripts/install-python-drivers.sh")], { unprivileged: false, timeoutMs: 300_000 });
        if (installed.code !== 0) throw new Error(`scripts/install-python-drivers.sh failed: ${installed.stderr}`);
        python = installed.stdout.trim().split("\n").at(-1) ?? "";

        // The passwords the Docker target generates (deterministic under mocks), rendered into real servers.
        const first = await runUnderMocks(() => deploy(testSpec(18, config), { stack: "drivers" }), { stack: "drivers" });
        const secrets: RenderSecrets = { passwords: first.outputs.secretReferences as unknown as Record<string, string> };
        booted = await bootPrimary(testSpec(18, config), secrets);
        ca = await makeCa("stack-ca");
        await installCertificate(ca, "primary", tlsPaths(booted.layout, "postgres"));
        await booted.server.query("SELECT pg_reload_conf()");
        const poolTls = path.join(scratchDir("pool-tls"), "tls");
        const pool = { ...booted, layout: { ...booted.layout, pgbouncerTlsDir: poolTls } };
        await installCertificate(ca, "pooler-transaction", tlsPaths(pool.layout, "pgbouncer"));
        const { port: poolPort } = await startPgbouncer(pool, "transaction");

        // The outputs for a stack published on the ports the real servers listen on.
        const ports = { postgres: booted.server.port, transactionPool: poolPort, sessionPool: booted.layout.poolPorts.session };
        const outputs = (await runUnderMocks(() => deploy(testSpec(18, { ...config, network: { ports } }), { stack: "drivers" }), { stack: "drivers" }))
            .outputs;
        urls = { primaryUrl: outputs.primaryUrl as unknown as string, transactionPoolUrl: outputs.transactionPoolUrl as unknown as string };
        // Where the client keeps the caCertificate output: the URLs' sslrootcert (ca.crt, relative).
        clientDir = fs.mkdtempSync(path.join(scratchDir("client"), "c-"));
    });

    it("carry sslmode=verify-full and the CA file, nothing a driver would refuse", () => {
        for (const url of Object.values(urls))
            expect(url).toMatch(/^postgresql:\/\/app_app:[^@]+@127\.0\.0\.1:\d+\/app\?sslmode=verify-full&sslrootcert=ca\.crt$/);
    });

    for (const driver of ["psql (libpq 15)", "node-postgres", "psycopg 3"]) {
        it(`${driver}: connects to the primary and through the transaction pool, verifying each against the stack's CA`, async () => {
            fs.copyFileSync(ca.cert, path.join(clientDir, "ca.crt"));
            for (const key of ["primaryUrl", "transactionPoolUrl"] as const) {
                const result = await drivers[driver](urls[key]);
                expect({ key, code: result.code, out: result.stdout.trim(), err: result.stderr.replace(/\(node:\d+\) Warning[^\n]*\n?/g, "").trim() }).toEqual({
                    key,
                    code: 0,
                    out: "app_app",
                    err: "",
                });
            }
        });
    }

    it("all three refuse the server when the CA file holds another CA (they verify, not just encrypt)", async () => {
        const stranger = await makeCa("stranger-ca");
        fs.copyFileSync(stranger.cert, path.join(clientDir, "ca.crt"));
        for (const [driver, connect] of Object.entries(drivers)) {
            const result = await connect(urls.primaryUrl);
            expect(result.code, driver).not.toBe(0);
            expect(result.stderr, driver).toMatch(/certificate verify failed|unable to verify|self[- ]signed certificate/i);
        }
    });
});
