import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import {
    CONTAINER_LAYOUT,
    filePaths,
    loginRoles,
    pgbouncerRunCommand,
    renderServices,
    type RenderedFile,
    type RenderSecrets,
    type RenderedService,
    type RuntimeLayout,
} from "../../components/render";
import { parseSpec, type PlatformConfigInput, type PlatformSpec } from "../../components/config";
import { initCluster, startPostgres, type PgServer, type TestPgVersion } from "./postgres";
import {
    PG_BIN,
    freePort,
    giveToServiceUser,
    run,
    scratchDir,
    startProcess,
    waitFor,
    waitForPort,
    writeServiceFile,
    type ManagedProcess,
    type RunResult,
} from "./processes";

/**
 * Boots the services a rendered stack describes as real processes on 127.0.0.1: the files
 * come from `renderServices` with a host layout (loopback, free ports, scratch folders) and
 * are installed unchanged.
 */

/** psql from Debian's PostgreSQL 15 (a client talks to 18 as well). */
export const PSQL = path.join(PG_BIN[15], "psql");

/** A spec for tests: the given config on top of the chosen major's available extensions. */
export function testSpec(version: TestPgVersion, config: PlatformConfigInput = {}): PlatformSpec {
    // 18 here is the npm build: no pg_cron or pgAudit (Debian's 15 has both).
    const extensions =
        version === 15
            ? (["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit", "pg_trgm"] as const)
            : (["pg_stat_statements", "auto_explain", "pg_trgm"] as const);
    return parseSpec({
        ...config,
        postgres: {
            databases: [{ name: "app", extensions: ["pg_trgm"] }],
            ...config.postgres,
            version,
            extensions: [...(config.postgres?.extensions ?? extensions)],
        },
    } as Record<string, unknown>);
}

/** One password per login role, as a target would generate them. */
export function testSecrets(spec: PlatformSpec): RenderSecrets {
    return { passwords: Object.fromEntries(loginRoles(spec).map((role) => [role, `pw-${role}-${Math.random().toString(36).slice(2)}:x\\y`])) };
}

/** A layout on this host: loopback, free ports, each service's files in its own scratch folder. */
export async function hostLayout(postgresDir: string): Promise<RuntimeLayout> {
    const postgresPort = await freePort();
    return {
        ...CONTAINER_LAYOUT,
        listenAddress: "127.0.0.1",
        postgresPort,
        primary: { host: "127.0.0.1", port: postgresPort },
        poolPorts: { transaction: await freePort(), session: await freePort() },
        exporterPort: await freePort(),
        postgresConfigDir: postgresDir,
        tlsDir: path.join(postgresDir, "tls"),
        initSqlPath: path.join(scratchDir("init"), "init.sql"),
        pgbouncerConfigDir: "(per pool)",
        exporterConfigDir: scratchDir("exporter"),
        pgbouncerVersion: hostPgbouncerVersion(),
    };
}

let pgbouncerVersion: string | undefined;

/**
 * The version of the host's PgBouncer (Debian 12's: 1.18.0), which the pools' files are
 * rendered for; the pinned image's version when none is installed (nothing starts it then).
 */
export function hostPgbouncerVersion(): string {
    if (pgbouncerVersion === undefined) {
        try {
            const out = execFileSync(PGBOUNCER_BIN, ["--version"], { encoding: "utf8" });
            pgbouncerVersion = /PgBouncer (\d+\.\d+(?:\.\d+)?)/.exec(out)?.[1] ?? CONTAINER_LAYOUT.pgbouncerVersion;
        } catch {
            pgbouncerVersion = CONTAINER_LAYOUT.pgbouncerVersion;
        }
    }
    return pgbouncerVersion;
}

/** Debian 12's PgBouncer (1.18). */
export const PGBOUNCER_BIN = "/usr/sbin/pgbouncer";

/** Writes every file of a service where its rendered path says, owned by the service user. */
export function installFiles(service: RenderedService): void {
    for (const file of service.files) {
        const dir = path.dirname(file.path);
        if (!fs.existsSync(dir)) {
            fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
            giveToServiceUser(dir);
        }
        writeServiceFile(file.path, file.content, file.mode);
    }
}

/** The service named `name`, or a clear failure. */
export function service(services: readonly RenderedService[], name: string): RenderedService {
    const found = services.find((s) => s.name === name);
    if (!found) throw new Error(`no service ${name} among ${services.map((s) => s.name).join(", ")}`);
    return found;
}

/** Runs a SQL file (or text) through psql as the superuser over the Unix socket (peer). */
export function psqlFile(server: PgServer, file: string, database = "postgres"): Promise<RunResult> {
    return run(PSQL, ["-X", "-q", "-h", server.socketDir, "-p", String(server.port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-f", file]);
}

/** A throwaway self-signed server certificate (`server.crt`, `server.key`) in `dir`, for the service user. */
export async function selfSignedCertificate(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const result = await run(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=primary",
            "-keyout",
            path.join(dir, "server.key"),
            "-out",
            path.join(dir, "server.crt"),
        ],
        { unprivileged: false },
    );
    if (result.code !== 0) throw new Error(`openssl failed: ${result.stderr}`);
    fs.chmodSync(path.join(dir, "server.key"), 0o600);
    giveToServiceUser(dir);
}

/** A booted primary (or single server) with its rendered files and init SQL applied. */
export interface BootedPrimary {
    /** The spec it was rendered from. */
    readonly spec: PlatformSpec;
    /** The passwords rendered in (default: {@link testSecrets}). */
    readonly secrets: RenderSecrets;
    /** Its host layout (see {@link hostLayout}). */
    readonly layout: RuntimeLayout;
    /** Every service of the stack, rendered with `secrets` and `layout`. */
    readonly services: RenderedService[];
    /** The running server. */
    readonly server: PgServer;
    /** Output of the init SQL run. */
    readonly init: RunResult;
}

/** initdb, render, install postgresql.conf + pg_hba.conf into the data dir, start, run init SQL. */
export async function bootPrimary(spec: PlatformSpec, secrets: RenderSecrets = testSecrets(spec)): Promise<BootedPrimary> {
    const version = spec.postgres.version as TestPgVersion;
    const cluster = await initCluster({ version });
    const layout = await hostLayout(cluster.dataDir);
    if (spec.postgres.tls.enabled) await selfSignedCertificate(layout.tlsDir);
    const services = renderServices(spec, secrets, layout);
    const primary = service(services, spec.topology === "single" ? "single" : "primary");
    const paths = filePaths(layout);
    const content = (p: string) => primary.files.find((f) => f.path === p)?.content;
    const server = await startPostgres({
        version,
        ...cluster,
        port: layout.postgresPort,
        postgresqlConf: content(paths.postgresqlConf),
        pgHbaConf: content(paths.pgHbaConf),
    });
    writeServiceFile(paths.initSql, content(paths.initSql) ?? "");
    const init = await psqlFile(server, paths.initSql);
    if (init.code !== 0) throw new Error(`init SQL failed:\n${init.stderr}`);
    return { spec, secrets, layout, services, server, init };
}

/** Runs one query as a login role with its password (through any host and port). */
export async function queryAs<R extends Record<string, unknown>>(
    login: { user: string; password: string; port: number; database?: string },
    sql: string,
    params: unknown[] = [],
): Promise<R[]> {
    const client = new Client({ host: "127.0.0.1", port: login.port, user: login.user, password: login.password, database: login.database ?? "app" });
    await client.connect();
    try {
        return (await client.query<R>(sql, params)).rows;
    } finally {
        await client.end();
    }
}

/**
 * Starts PgBouncer with the pool's rendered files in its own folder; waits for its port.
 * `editIni` changes the rendered pgbouncer.ini first (a control a test compares against);
 * `port` overrides the layout's (for a second pool of the same mode); `userlist` replaces the
 * rendered auth file (e.g. the auth role alone, to measure auth_query). PgBouncer runs as the
 * targets run it, under the rendered run-pgbouncer.sh, which reloads it when its auth file
 * changes (checked every `pollSeconds`, default 1); `process` is that supervisor.
 */
export async function startPgbouncer(
    booted: BootedPrimary,
    mode: "transaction" | "session",
    options: { editIni?: (ini: string) => string; port?: number; userlist?: string; pollSeconds?: number } = {},
): Promise<{ port: number; process: ManagedProcess; layout: RuntimeLayout }> {
    const dir = scratchDir(`pgbouncer-${mode}`);
    const layout = { ...booted.layout, pgbouncerConfigDir: dir, poolPorts: { ...booted.layout.poolPorts, ...(options.port ? { [mode]: options.port } : {}) } };
    const rendered = service(renderServices(booted.spec, booted.secrets, layout), `pooler-${mode}`);
    const ini = filePaths(layout).pgbouncerIni;
    const paths = filePaths(layout);
    const edit = (f: RenderedFile): RenderedFile => {
        if (f.path === ini && options.editIni) return { ...f, content: options.editIni(f.content) };
        if (f.path === paths.pgbouncerUserlist && options.userlist !== undefined) return { ...f, content: options.userlist };
        return f;
    };
    installFiles({ ...rendered, files: rendered.files.map(edit) });
    const [shell, ...args] = pgbouncerRunCommand(paths.pgbouncerRunScript, PGBOUNCER_BIN, ini, paths.pgbouncerUserlist, options.pollSeconds ?? 1);
    const proc = startProcess(shell, args);
    const port = layout.poolPorts[mode];
    await waitForPort(port, 15_000).catch((error: Error) => {
        throw new Error(`${error.message}\n--- pgbouncer log ---\n${proc.output()}`);
    });
    return { port, process: proc, layout };
}

/** Starts postgres_exporter with the rendered queries, environment and flags (plus `extraArgs`). */
export async function startExporter(
    booted: BootedPrimary,
    env: Record<string, string>,
    args: readonly string[],
): Promise<{ url: string; process: ManagedProcess }> {
    installFiles(service(booted.services, "exporter"));
    const proc = startProcess("/usr/bin/prometheus-postgres-exporter", args, { env });
    await waitForPort(booted.layout.exporterPort, 15_000);
    return { url: `http://127.0.0.1:${booted.layout.exporterPort}/metrics`, process: proc };
}

/** Fetches a URL's body once it answers 200. */
export function fetchText(url: string): Promise<string> {
    return waitFor(
        url,
        async () => {
            const response = await fetch(url);
            return response.ok ? response.text() : undefined;
        },
        15_000,
    );
}

/** Local addresses something listens on for a TCP port (from /proc/net/tcp and tcp6). */
export function listeningAddresses(port: number): string[] {
    const addresses: string[] = [];
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
        if (!fs.existsSync(table)) continue;
        for (const line of fs.readFileSync(table, "utf8").split("\n").slice(1)) {
            const fields = line.trim().split(/\s+/);
            if (fields.length < 4 || fields[3] !== "0A") continue; // 0A = LISTEN
            const [hexAddress, hexPort] = fields[1].split(":");
            if (parseInt(hexPort, 16) !== port) continue;
            addresses.push(
                hexAddress.length === 8
                    ? (hexAddress.match(/../g) ?? [])
                          .reverse()
                          .map((byte) => parseInt(byte, 16))
                          .join(".")
                    : `ipv6:${hexAddress}`,
            );
        }
    }
    return addresses;
}
