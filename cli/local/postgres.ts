import * as fs from "node:fs";
import * as path from "node:path";
import { Client, type ClientConfig } from "pg";
import { PG_BIN, freePort, run, scratchDir, startProcess, waitFor, writeServiceFile, type ManagedProcess } from "./processes";

/** PostgreSQL majors available as real servers here: 18.4 (npm package) and Debian's 15. */
export type TestPgVersion = 15 | 18;

/** A running PostgreSQL server started by a test. */
export interface PgServer {
    /** Major version. */
    readonly version: TestPgVersion;
    /** TCP port on 127.0.0.1. */
    readonly port: number;
    /** Data directory. */
    readonly dataDir: string;
    /** Directory of its Unix socket. */
    readonly socketDir: string;
    /** Superuser name. */
    readonly superuser: string;
    /** Superuser password (SCRAM). */
    readonly superuserPassword: string;
    /** The postmaster process. */
    readonly process: ManagedProcess;
    /** Connection settings for the `pg` client (superuser on `postgres` unless overridden). */
    clientConfig(overrides?: ClientConfig): ClientConfig;
    /** Runs one query as the superuser (or the given login) and returns the rows. */
    query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[], overrides?: ClientConfig): Promise<R[]>;
    /** Fast shutdown, waiting for the postmaster to exit. */
    stop(): Promise<void>;
}

/** Options for {@link initCluster}. */
export interface InitOptions {
    /** Major version. */
    readonly version: TestPgVersion;
    /** Superuser password. Default: a fixed test password. */
    readonly superuserPassword?: string;
    /** Data directory to create. Default: a new scratch directory. */
    readonly dataDir?: string;
}

/** Options for {@link startPostgres}. */
export interface StartPgOptions {
    /** Major version. */
    readonly version: TestPgVersion;
    /** Existing data directory (from {@link initCluster} or pg_basebackup). */
    readonly dataDir: string;
    /** Superuser password, for clients. */
    readonly superuserPassword: string;
    /** Rendered postgresql.conf to install into the data directory. Default: initdb's. */
    readonly postgresqlConf?: string;
    /** Rendered pg_hba.conf to install into the data directory. Default: initdb's (SCRAM). */
    readonly pgHbaConf?: string;
    /** Extra `-c name=value` settings, as the image's entrypoint passes them. Default: none. */
    readonly settings?: Record<string, string>;
    /** Port. Default: a free one. */
    readonly port?: number;
}

const DEFAULT_PASSWORD = "test-superuser-password";

/** Runs initdb as the service user with SCRAM for every connection; returns the data directory. */
export async function initCluster(options: InitOptions): Promise<{ dataDir: string; superuserPassword: string }> {
    const password = options.superuserPassword ?? DEFAULT_PASSWORD;
    const base = scratchDir(`pg${options.version}`);
    const dataDir = options.dataDir ?? path.join(base, "data");
    const pwfile = path.join(base, "pwfile");
    writeServiceFile(pwfile, `${password}\n`);
    const result = await run(path.join(PG_BIN[options.version], "initdb"), [
        "-D",
        dataDir,
        "-U",
        "postgres",
        "-A",
        "scram-sha-256",
        "--pwfile",
        pwfile,
        "-E",
        "UTF8",
        "--locale=C",
    ]);
    fs.rmSync(pwfile);
    if (result.code !== 0) throw new Error(`initdb ${options.version} failed: ${result.stderr}`);
    return { dataDir, superuserPassword: password };
}

/**
 * Starts a server on 127.0.0.1 with the given rendered files installed in its data directory.
 * Only the port, the socket directory and listen_addresses come from the command line: they
 * are the test's, not the rendered file's concern.
 */
export async function startPostgres(options: StartPgOptions): Promise<PgServer> {
    const port = options.port ?? (await freePort());
    const socketDir = scratchDir("sock");
    if (options.postgresqlConf !== undefined) writeServiceFile(path.join(options.dataDir, "postgresql.conf"), options.postgresqlConf);
    if (options.pgHbaConf !== undefined) writeServiceFile(path.join(options.dataDir, "pg_hba.conf"), options.pgHbaConf);
    const flags = Object.entries({
        listen_addresses: "127.0.0.1",
        port: String(port),
        unix_socket_directories: socketDir,
        ...(options.settings ?? {}),
    }).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
    const proc = startProcess(path.join(PG_BIN[options.version], "postgres"), ["-D", options.dataDir, ...flags], { stopSignal: "SIGINT" });
    const clientConfig = (overrides: ClientConfig = {}): ClientConfig => ({
        host: "127.0.0.1",
        port,
        user: "postgres",
        password: options.superuserPassword,
        database: "postgres",
        ...overrides,
    });
    const query = async <R extends Record<string, unknown>>(sql: string, params: unknown[] = [], overrides: ClientConfig = {}): Promise<R[]> => {
        const client = new Client(clientConfig(overrides));
        await client.connect();
        try {
            return (await client.query<R>(sql, params)).rows;
        } finally {
            await client.end();
        }
    };
    await waitFor(
        `PostgreSQL ${options.version} on port ${port}`,
        async () => {
            const state = await Promise.race([proc.exited.then(() => "exited" as const), Promise.resolve("running" as const)]);
            if (state === "exited") throw new Error(`postgres exited:\n${proc.output()}`);
            await query("SELECT 1");
            return true;
        },
        30_000,
    ).catch((error: Error) => {
        throw new Error(`${error.message}\n--- server log ---\n${proc.output()}`);
    });
    return {
        version: options.version,
        port,
        dataDir: options.dataDir,
        socketDir,
        superuser: "postgres",
        superuserPassword: options.superuserPassword,
        process: proc,
        clientConfig,
        query,
        stop: () => proc.stop("SIGINT"),
    };
}
