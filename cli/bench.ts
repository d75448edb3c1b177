// `npm run bench -- [--rounds 5] [--seconds 5] [--clients 16] [--version 18] [--tls both|on|off]
//                   [--capacity-clients 1000] [--capacity-seconds 15] [--out docs/bench] [--no-container]`
// `npm run bench -- --from docs/bench/bench.json` prints the report and draws the plot again from a saved run.
//
// pgbench select-only against PostgreSQL straight, through a bare TCP relay, and through the
// rendered PgBouncer transaction pool authenticating with auth_query alone and with the userlist
// of SCRAM verifiers; with a new connection per transaction (-C) and with persistent
// connections; with TLS off and on; on Debian 12's PgBouncer 1.18 and, when the local stand-in
// image exists (scripts/build-images.sh), on the PgBouncer major the project pins, in a
// container. Every variant runs once per round, rounds interleaved, so machine noise hits all
// alike. Then a capacity run: many clients at once through the transaction pool in front of a
// server with few connections, and the same against the server directly.
//
// Prints medians, spread and ratios, writes <out>/bench.json and <out>/ratios.svg. It asserts
// nothing: figures vary ±20 % from run to run on small machines; compare within one run.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Client } from "pg";
import { databaseRole } from "../components/platform/constants";
import { filePaths, pgbouncerRunCommand, renderServices, tlsPaths, type RuntimeLayout } from "../components/render";
import {
    benchDocument,
    formatReport,
    parsePgbench,
    percentile,
    renderSvg,
    type BenchRow,
    type BenchSettings,
    type BenchTarget,
    type CapacityResult,
    type ConnectionStyle,
} from "./bench-report";
import { PG_BIN, SERVICE_USER, freePort, run, scratchDir, stopAll, waitForPort } from "./local/processes";
import { startTcpRelay } from "./local/relay";
import { PGBOUNCER_BIN, bootPrimary, installFiles, service, startPgbouncer, testSpec, type BootedPrimary } from "./local/stack";
import { installCertificates, localCertificates, type LocalCertificates } from "./local/tls";

export { formatReport, parsePgbench } from "./bench-report";

const PGBENCH = path.join(PG_BIN[15], "pgbench");

/** What one `bench` run measures. */
export interface BenchOptions {
    /** Interleaved rounds. */
    readonly rounds: number;
    /** Seconds per pgbench run. */
    readonly seconds: number;
    /** pgbench clients. */
    readonly clients: number;
    /** PostgreSQL major. */
    readonly version: 15 | 18;
    /** TLS settings to measure. */
    readonly tls: readonly boolean[];
    /** Clients of the capacity run; 0 skips it. */
    readonly capacityClients: number;
    /** Seconds each capacity client runs queries. */
    readonly capacitySeconds: number;
    /** max_connections of the capacity run's server. */
    readonly capacityMaxConnections: number;
    /** PgBouncer image for the pinned major, run with the Docker CLI; undefined skips it. */
    readonly container?: { readonly docker: string; readonly image: string };
}

/** Everything a run produced. */
export interface BenchResult {
    readonly settings: BenchSettings;
    readonly rows: BenchRow[];
    readonly capacity: CapacityResult[];
}

/** An endpoint of the measured stack. */
interface Endpoint extends BenchTarget {
    readonly port: number;
}

/** The userlist with the auth role alone: every login goes through auth_query (the platform before verifiers). */
const authQueryOnly = (userlist: string) => `${userlist.split("\n")[0]}\n`;

/** A PgBouncer pool run from the pinned major's image, on the host network, with the same rendered files. */
export class ContainerPools {
    private readonly names: string[] = [];
    constructor(
        private readonly docker: string,
        private readonly image: string,
    ) {}

    private exec(args: string[]): string {
        return execFileSync(this.docker, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 }).trim();
    }

    /** `PgBouncer 1.26.1` → `1.26`, asked of the image itself. */
    version(): { binary: string; version: string } {
        const out = this.exec([
            "run",
            "--rm",
            "--entrypoint",
            "/bin/sh",
            this.image,
            "-c",
            "b=$(command -v pgbouncer || echo /usr/bin/pgbouncer); echo $b; $b --version",
        ]);
        const [binary, ...rest] = out.split("\n");
        const match = /PgBouncer (\d+\.\d+)/.exec(rest.join("\n"));
        if (!match) throw new Error(`${this.image} printed no PgBouncer version:\n${out}`);
        return { binary, version: match[1] };
    }

    /** Starts the pool: the rendered folder mounted at its own path, so every path in the files holds. */
    async start(booted: BootedPrimary, layout: RuntimeLayout, binary: string, userlist?: string): Promise<number> {
        const rendered = service(renderServices(booted.spec, booted.secrets, layout), "pooler-transaction");
        const paths = filePaths(layout);
        installFiles({
            ...rendered,
            files: rendered.files.map((f) => (f.path === paths.pgbouncerUserlist && userlist !== undefined ? { ...f, content: userlist } : f)),
        });
        const uid = execFileSync("id", ["-u", SERVICE_USER], { encoding: "utf8" }).trim();
        const gid = execFileSync("id", ["-g", SERVICE_USER], { encoding: "utf8" }).trim();
        const name = `pgp-bench-pgbouncer-${layout.poolPorts.transaction}`;
        // With TLS on, PgBouncer 1.2x loads the system CA bundle even for client_tls_sslmode=require;
        // the pinned Alpine image has one, the Debian-built stand-in (no ca-certificates) borrows the host's.
        const bundle = "/etc/ssl/certs/ca-certificates.crt";
        const tls = booted.spec.postgres.tls.enabled ? [layout.pgbouncerTlsDir, ...(fs.existsSync(bundle) ? [bundle] : [])] : [];
        const mounts = [layout.pgbouncerConfigDir, ...tls].flatMap((dir) => ["-v", `${dir}:${dir}:ro`]);
        const [shell, ...args] = pgbouncerRunCommand(paths.pgbouncerRunScript, binary, paths.pgbouncerIni, paths.pgbouncerUserlist, 60);
        this.exec(["run", "-d", "--rm", "--name", name, "--network", "host", "--user", `${uid}:${gid}`, ...mounts, "--entrypoint", shell, this.image, ...args]);
        this.names.push(name);
        await waitForPort(layout.poolPorts.transaction, 30_000).catch((error: Error) => {
            let logs = "";
            try {
                logs = execFileSync(this.docker, ["logs", name], { encoding: "utf8" });
            } catch {
                // the container is gone: its logs went with it
            }
            throw new Error(`${error.message}\n${logs}`);
        });
        return layout.poolPorts.transaction;
    }

    stopAll(): void {
        for (const name of this.names.splice(0)) {
            try {
                execFileSync(this.docker, ["rm", "-f", name], { stdio: "ignore", timeout: 60_000 });
            } catch {
                // already gone
            }
        }
    }
}

/** A layout for one more pool: its own folder, port and (with TLS) certificate folder. */
async function poolLayout(booted: BootedPrimary, label: string): Promise<RuntimeLayout> {
    return {
        ...booted.layout,
        pgbouncerConfigDir: scratchDir(`pgbouncer-${label}`),
        pgbouncerTlsDir: path.join(scratchDir(`pgbouncer-${label}-tls`), "tls"),
        poolPorts: { ...booted.layout.poolPorts, transaction: await freePort() },
    };
}

/** PostgreSQL with TLS on or off, pools in front of it (1.18, and the container's when given) and a relay. */
async function measuredStack(
    options: BenchOptions,
    tls: boolean,
    certificates: LocalCertificates | undefined,
    containers: ContainerPools | undefined,
    containerBinary: { binary: string; version: string } | undefined,
): Promise<{ booted: BootedPrimary; endpoints: Endpoint[] }> {
    const spec = testSpec(options.version, {
        topology: "primary",
        postgres: { tls: { enabled: tls }, parameters: { max_connections: 300 } },
        // Room for every benchmark client on every path, server connections kept between runs.
        pooler: { transaction: { defaultPoolSize: options.clients, maxClientConn: options.clients * 4 } },
    });
    const booted = await bootPrimary(spec);
    if (tls && certificates) {
        // bootPrimary's self-signed certificate names `primary`; pools verify-full 127.0.0.1.
        installCertificates(certificates, tlsPaths(booted.layout, "postgres"));
        await booted.server.query("SELECT pg_reload_conf()");
    }
    const pool = async (label: string, userlist?: string): Promise<number> => {
        const layout = await poolLayout(booted, label);
        if (tls && certificates) installCertificates(certificates, tlsPaths(layout, "pgbouncer"));
        const started = await startPgbouncer({ ...booted, layout }, "transaction", { port: layout.poolPorts.transaction, userlist, pollSeconds: 60 });
        return started.port;
    };
    const rendered = service(booted.services, "pooler-transaction").files.find((f) => f.path === filePaths(booted.layout).pgbouncerUserlist);
    if (!rendered) throw new Error("the render has no userlist");
    const endpoints: Endpoint[] = [
        { id: "direct", path: "direct", port: booted.server.port },
        { id: "relay", path: "relay", port: (await startTcpRelay(booted.server.port)).port },
        { id: "pool-auth-query@1.18", path: "pool-auth-query", pgbouncer: "1.18", port: await pool("authquery", authQueryOnly(rendered.content)) },
        { id: "pool-verifiers@1.18", path: "pool-verifiers", pgbouncer: "1.18", port: await pool("verifiers") },
    ];
    if (containers && containerBinary) {
        const v = containerBinary.version;
        const containerPool = async (label: string, userlist?: string) => {
            const layout = await poolLayout(booted, label);
            if (tls && certificates) installCertificates(certificates, tlsPaths(layout, "pgbouncer"));
            return containers.start(booted, layout, containerBinary.binary, userlist);
        };
        endpoints.push({
            id: `pool-auth-query@${v}`,
            path: "pool-auth-query",
            pgbouncer: v,
            port: await containerPool(`authquery-${v}`, authQueryOnly(rendered.content)),
        });
        endpoints.push({ id: `pool-verifiers@${v}`, path: "pool-verifiers", pgbouncer: v, port: await containerPool(`verifiers-${v}`) });
    }
    // The pgbench tables, made by the owner role straight on the server.
    const init = await run(PGBENCH, ["-i", "-s", "1", "-q", "-p", String(booted.server.port)], {
        unprivileged: false,
        env: pgEnv(booted, databaseRole("app", "migrate"), tls),
    });
    if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
    return { booted, endpoints };
}

/** libpq environment for a login role of the stack, TLS required when on. */
function pgEnv(booted: BootedPrimary, role: string, tls: boolean): Record<string, string> {
    return { PGUSER: role, PGPASSWORD: booted.secrets.passwords[role], PGHOST: "127.0.0.1", PGDATABASE: "app", PGSSLMODE: tls ? "require" : "disable" };
}

/** Which variants run in a round: the relay only with persistent connections (the hop's floor). */
const measuredIn = (endpoint: Endpoint, connections: ConnectionStyle) => endpoint.path !== "relay" || connections === "persistent";

/** Runs pgbench once against an endpoint. */
async function pgbench(
    booted: BootedPrimary,
    endpoint: Endpoint,
    tls: boolean,
    connections: ConnectionStyle,
    options: BenchOptions,
): Promise<{ tps: number; latencyMs: number }> {
    const args = ["-S", "-n", "-c", String(options.clients), "-j", "2", "-T", String(options.seconds), "-p", String(endpoint.port)];
    if (connections === "per-transaction") args.push("-C");
    const result = await run(PGBENCH, args, {
        unprivileged: false,
        env: pgEnv(booted, databaseRole("app", "readwrite"), tls),
        timeoutMs: (options.seconds + 60) * 1000,
    });
    if (result.code !== 0) throw new Error(`pgbench (${endpoint.id}, TLS ${tls ? "on" : "off"}, ${connections}) failed: ${result.stderr}`);
    return parsePgbench(result.stdout);
}

/**
 * `clients` connections opened at once (each a SCRAM login), then each runs `SELECT 1` in a loop
 * for `seconds`; refusals counted by message, query errors counted, latencies kept.
 */
export async function capacityRun(
    target: string,
    login: { port: number; user: string; password: string },
    options: { clients: number; seconds: number; maxConnections: number },
): Promise<CapacityResult> {
    const refused: Record<string, number> = {};
    const connectMs: number[] = [];
    const latency: number[] = [];
    let queryErrors = 0;
    const opened = await Promise.all(
        Array.from({ length: options.clients }, async () => {
            const client = new Client({
                host: "127.0.0.1",
                port: login.port,
                user: login.user,
                password: login.password,
                database: "app",
                connectionTimeoutMillis: 90_000,
            });
            client.on("error", () => undefined);
            const started = performance.now();
            try {
                await client.connect();
                connectMs.push(performance.now() - started);
                return client;
            } catch (error) {
                const message = error instanceof Error ? error.message : String(error);
                refused[message] = (refused[message] ?? 0) + 1;
                await client.end().catch(() => undefined);
                return undefined;
            }
        }),
    );
    const clients = opened.filter((c): c is Client => c !== undefined);
    const deadline = performance.now() + options.seconds * 1000;
    await Promise.all(
        clients.map(async (client) => {
            while (performance.now() < deadline) {
                const started = performance.now();
                try {
                    await client.query("SELECT 1");
                    latency.push(performance.now() - started);
                } catch {
                    queryErrors++;
                    return;
                }
            }
        }),
    );
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    const stats = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) });
    return {
        target,
        clients: options.clients,
        maxConnections: options.maxConnections,
        seconds: options.seconds,
        connected: clients.length,
        refused,
        queryErrors,
        queries: latency.length,
        // A loop, not Math.max(...): a 15 s run holds hundreds of thousands of latencies.
        latencyMs: latency.length ? { ...stats(latency), max: latency.reduce((a, b) => (b > a ? b : a), 0) } : undefined,
        connectMs: connectMs.length ? stats(connectMs) : undefined,
    };
}

/** The capacity runs: through the transaction pool as rendered (verifiers), then straight to the server. */
async function capacity(options: BenchOptions): Promise<CapacityResult[]> {
    if (options.capacityClients === 0) return [];
    const spec = testSpec(options.version, { topology: "primary", postgres: { parameters: { max_connections: options.capacityMaxConnections } } });
    const booted = await bootPrimary(spec);
    const pool = await startPgbouncer(booted, "transaction", { pollSeconds: 60 });
    const app = databaseRole("app", "readwrite");
    const login = { user: app, password: booted.secrets.passwords[app] };
    const settings = { clients: options.capacityClients, seconds: options.capacitySeconds, maxConnections: options.capacityMaxConnections };
    const pooled = await capacityRun("pool-verifiers@1.18", { ...login, port: pool.port }, settings);
    // The pool's idle server connections would count against the server's limit: stop it first.
    await pool.process.stop();
    const direct = await capacityRun("direct", { ...login, port: booted.server.port }, settings);
    await booted.server.stop();
    return [pooled, direct];
}

/** Version strings of the programs measured and the machine. */
function machine(options: BenchOptions): Record<string, string | number> {
    const version = (command: string, args: string[]) => {
        try {
            return execFileSync(command, args, { encoding: "utf8" }).split("\n")[0].trim();
        } catch {
            return "unknown";
        }
    };
    return {
        cores: os.cpus().length,
        // Other work on the machine skews every figure: the 1-minute load when the summary is made.
        loadAverage: os.loadavg()[0].toFixed(1),
        postgres: version(path.join(PG_BIN[options.version], "postgres"), ["--version"]),
        pgbench: version(PGBENCH, ["--version"]),
        pgbouncer: version(PGBOUNCER_BIN, ["--version"]),
        node: process.version,
    };
}

/** Boots the stacks, measures every variant in interleaved rounds, then the capacity runs. */
export async function bench(options: BenchOptions): Promise<BenchResult> {
    const skipped: string[] = [];
    let containers: ContainerPools | undefined;
    let containerBinary: { binary: string; version: string } | undefined;
    if (options.container) {
        containers = new ContainerPools(options.container.docker, options.container.image);
        try {
            containerBinary = containers.version();
        } catch (error) {
            skipped.push(`PgBouncer from ${options.container.image}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
            containers = undefined;
        }
    } else {
        skipped.push("the pinned PgBouncer major in a container: no Docker engine with the stand-in pgbouncer image (scripts/build-images.sh)");
    }
    try {
        const certificates = options.tls.includes(true) ? await localCertificates() : undefined;
        const stacks = [];
        for (const tls of options.tls) stacks.push({ tls, ...(await measuredStack(options, tls, certificates, containers, containerBinary)) });
        const targets = stacks[0].endpoints.map(({ id, path: p, pgbouncer }) => ({ id, path: p, ...(pgbouncer ? { pgbouncer } : {}) }));
        const rows: BenchRow[] = [];
        for (let round = 1; round <= options.rounds; round++) {
            for (const stack of stacks) {
                for (const connections of ["per-transaction", "persistent"] as const) {
                    const endpoints = stack.endpoints.filter((e) => measuredIn(e, connections));
                    // Rotate the order each round, so no variant always runs first or last.
                    const shift = (round - 1) % endpoints.length;
                    for (const endpoint of [...endpoints.slice(shift), ...endpoints.slice(0, shift)]) {
                        const measured = await pgbench(stack.booted, endpoint, stack.tls, connections, options);
                        rows.push({ target: endpoint.id, tls: stack.tls, connections, round, ...measured });
                    }
                }
            }
            process.stderr.write(`bench: round ${round}/${options.rounds} done\n`);
        }
        containers?.stopAll();
        await stopAll();
        // A failed capacity run must not cost the rounds measured before it.
        let capacityResults: CapacityResult[] = [];
        try {
            capacityResults = await capacity(options);
        } catch (error) {
            skipped.push(`the capacity run failed: ${error instanceof Error ? error.message : String(error)}`);
            await stopAll();
        }
        const settings: BenchSettings = {
            rounds: options.rounds,
            seconds: options.seconds,
            clients: options.clients,
            version: options.version,
            tls: options.tls,
            targets,
            skipped,
            machine: { ...machine(options), ...(containerBinary ? { pinnedPgbouncer: `${containerBinary.version} (${options.container?.image})` } : {}) },
        };
        return { settings, rows, capacity: capacityResults };
    } finally {
        containers?.stopAll();
    }
}

/** The stand-in PgBouncer image and the Docker CLI, when scripts/build-images.sh made them. */
export function localPgbouncerImage(): { docker: string; image: string } | undefined {
    const state = path.join(process.env.PG_PLATFORM_CACHE ?? path.join(os.homedir(), ".cache/pg-platform"), "docker");
    const file = path.join(state, "images.json");
    if (!fs.existsSync(file)) return undefined;
    const image = (JSON.parse(fs.readFileSync(file, "utf8")) as { images?: Record<string, string> }).images?.pgbouncer;
    if (!image) return undefined;
    let docker = process.env.PG_PLATFORM_DOCKER_CLI ?? "docker";
    try {
        const status = execFileSync("bash", [path.resolve(__dirname, "../scripts/docker-engine.sh"), "status"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
        });
        docker = /^docker_cli=(.+)$/m.exec(status)?.[1] ?? docker;
        execFileSync(docker, ["image", "inspect", image], { stdio: "ignore" });
    } catch {
        return undefined;
    }
    return { docker, image };
}

const USAGE =
    "usage: npm run bench -- [--rounds 1..20] [--seconds 1..60] [--clients 1..64] [--version 15|18] [--tls both|on|off] [--capacity-clients 0..2000] [--capacity-seconds 1..120] [--out DIR] [--no-container] | --from bench.json [--out DIR]";

async function main(): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            options: {
                rounds: { type: "string", default: "5" },
                seconds: { type: "string", default: "5" },
                clients: { type: "string", default: "16" },
                version: { type: "string", default: "18" },
                tls: { type: "string", default: "both" },
                "capacity-clients": { type: "string", default: "1000" },
                "capacity-seconds": { type: "string", default: "15" },
                out: { type: "string", default: path.resolve(__dirname, "../docs/bench") },
                "no-container": { type: "boolean", default: false },
                from: { type: "string" },
            },
        }));
    } catch {
        console.error(USAGE);
        return 2;
    }
    const numbers = {
        rounds: [Number(values.rounds), 1, 20],
        seconds: [Number(values.seconds), 1, 60],
        clients: [Number(values.clients), 1, 64],
        capacityClients: [Number(values["capacity-clients"]), 0, 2000],
        capacitySeconds: [Number(values["capacity-seconds"]), 1, 120],
    } as const;
    const bad = Object.values(numbers).some(([value, min, max]) => !Number.isInteger(value) || value < min || value > max);
    const tls = ({ both: [false, true], on: [true], off: [false] } as Record<string, boolean[]>)[values.tls];
    if (bad || !tls || (values.version !== "15" && values.version !== "18")) {
        console.error(USAGE);
        return 2;
    }
    if (values.from) {
        // Report and plot again from a saved bench.json, measuring nothing.
        const saved = JSON.parse(fs.readFileSync(values.from, "utf8")) as { settings: BenchSettings; rows: BenchRow[]; capacity: CapacityResult[] };
        console.log(formatReport(saved.settings, saved.rows, saved.capacity));
        fs.mkdirSync(values.out, { recursive: true });
        fs.writeFileSync(path.join(values.out, "ratios.svg"), renderSvg(saved.settings, saved.rows));
        console.log(`\nwrote ${path.join(values.out, "ratios.svg")} from ${values.from}`);
        return 0;
    }
    const options: BenchOptions = {
        rounds: numbers.rounds[0],
        seconds: numbers.seconds[0],
        clients: numbers.clients[0],
        version: Number(values.version) as 15 | 18,
        tls,
        capacityClients: numbers.capacityClients[0],
        capacitySeconds: numbers.capacitySeconds[0],
        capacityMaxConnections: 100,
        container: values["no-container"] ? undefined : localPgbouncerImage(),
    };
    try {
        const result = await bench(options);
        console.log(formatReport(result.settings, result.rows, result.capacity));
        fs.mkdirSync(values.out, { recursive: true });
        const json = path.join(values.out, "bench.json");
        const svg = path.join(values.out, "ratios.svg");
        fs.writeFileSync(json, `${JSON.stringify(benchDocument(result.settings, result.rows, result.capacity, new Date().toISOString()), null, 2)}\n`);
        fs.writeFileSync(svg, renderSvg(result.settings, result.rows));
        console.log(`\nwrote ${json} and ${svg}`);
        return 0;
    } finally {
        await stopAll();
    }
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(error);
            void stopAll().finally(() => process.exit(1));
        },
    );
}
