import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { run, type RunResult } from "../../cli/local/processes";

/**
 * Real containers for integration tests, on the Docker engine and local registry that
 * scripts/docker-engine.sh starts, with the images scripts/build-images.sh builds from Debian's
 * packages. Every container, network and volume a test makes carries the label
 * {@link TEST_LABEL} with this process's run id, and is removed by {@link removeAll} (call it
 * in afterAll) and again when the process exits, also after a failure. An engine this process
 * started is stopped when it exits; one that was already running is left alone.
 */

const ROOT = path.resolve(__dirname, "../..");
const ENGINE_SCRIPT = path.join(ROOT, "scripts/docker-engine.sh");
const BUILD_SCRIPT = path.join(ROOT, "scripts/build-images.sh");

/** Where the scripts keep their state (pid files, logs, registry storage, images.json). */
export const STATE_DIR = path.join(process.env.PG_PLATFORM_CACHE ?? path.join(os.homedir(), ".cache/pg-platform"), "docker");

/** Label on everything the helpers create; its value is {@link RUN_ID}. */
export const TEST_LABEL = "pg-platform.test";

/** This process's run id: what {@link removeAll} removes. */
export const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;

/** What `docker-engine.sh status` reports. */
export interface EngineStatus {
    /** The docker client the scripts use (Debian's 20.10 client: it builds with BuildKit without buildx). */
    readonly dockerCli: string;
    /** The engine's version, or undefined when none answers. */
    readonly engine: string | undefined;
    /** `127.0.0.1:<port>` of the local registry, or undefined when it does not answer. */
    readonly registry: string | undefined;
}

function parseStatus(text: string): EngineStatus {
    const values = new Map(
        text.split("\n").flatMap((line) => {
            const at = line.indexOf("=");
            return at > 0 ? [[line.slice(0, at), line.slice(at + 1)] as const] : [];
        }),
    );
    const engine = values.get("engine");
    return {
        dockerCli: values.get("docker_cli") || "docker",
        engine: engine && engine !== "down" ? engine : undefined,
        registry: values.get("registry") === "up" ? values.get("registry_address") || undefined : undefined,
    };
}

/** The engine's and registry's state right now (starts nothing). */
export async function engineStatus(): Promise<EngineStatus> {
    const result = await run("bash", [ENGINE_SCRIPT, "status"], { unprivileged: false });
    return parseStatus(result.stdout);
}

/** What this process started, to stop at exit. */
const startedHere: ("dockerd" | "registry")[] = [];
let engine: Promise<EngineStatus> | undefined;
let dockerCli = "docker";

/**
 * Test processes using the engine hold a lease, a file named by their pid: a process that
 * started the engine stops it at its end only when no other live process holds one (another
 * test file, an end-to-end run in a second terminal).
 */
const LEASE_DIR = path.join(STATE_DIR, "leases");
const ownLease = path.join(LEASE_DIR, String(process.pid));

/** Whether another live process holds a lease; stale leases (their process is gone) are removed. */
function othersHoldLeases(): boolean {
    let names: string[];
    try {
        names = fs.readdirSync(LEASE_DIR);
    } catch {
        return false;
    }
    let held = false;
    for (const name of names) {
        const pid = Number(name);
        if (!Number.isInteger(pid) || pid === process.pid) continue;
        try {
            process.kill(pid, 0);
            held = true;
        } catch {
            fs.rmSync(path.join(LEASE_DIR, name), { force: true });
        }
    }
    return held;
}

/**
 * Starts the engine and registry when they are not running (installing them first, as root),
 * once per process. What this call started is stopped when the process exits, after every
 * test container is removed, unless another test process still uses the engine (see
 * {@link LEASE_DIR}) or containers of others still run; set PG_PLATFORM_KEEP_ENGINE=1 to leave
 * it running anyway.
 */
export function ensureEngine(): Promise<EngineStatus> {
    installExitHandlers();
    engine ??= (async () => {
        fs.mkdirSync(LEASE_DIR, { recursive: true });
        fs.writeFileSync(ownLease, `${process.argv.join(" ")}\n`);
        const before = await engineStatus();
        const started = await run("bash", [ENGINE_SCRIPT, "start"], { unprivileged: false, timeoutMs: 600_000 });
        if (started.code !== 0) throw new Error(`scripts/docker-engine.sh start failed (exit ${started.code}):\n${started.stderr}`);
        const after = await engineStatus();
        if (!after.engine || !after.registry) throw new Error(`the engine or registry does not answer after start:\n${started.stderr}`);
        if (process.env.PG_PLATFORM_KEEP_ENGINE !== "1") {
            if (!before.engine) startedHere.push("dockerd");
            if (!before.registry) startedHere.push("registry");
        }
        dockerCli = after.dockerCli;
        return after;
    })();
    return engine;
}

/** The images build-images.sh made, by name: digest-pinned references in the local registry. */
export interface LocalImages {
    /** `127.0.0.1:<port>` of the registry they are in. */
    readonly registry: string;
    /** Debian sid minbase, from debootstrap. */
    readonly debian: string;
    /** Stand-in for the official postgres image (Debian's PostgreSQL 18 and extensions). */
    readonly postgresBase: string;
    /** The platform's PostgreSQL image: the production Dockerfile and scripts on that base. */
    readonly postgres: string;
    /** Stand-in for the pinned PgBouncer image. */
    readonly pgbouncer: string;
    /** Stand-in for the pinned postgres_exporter image. */
    readonly exporter: string;
    /** A user's migration image: node-pg-migrate on Debian's Node.js with SQL migrations (test/images/migrations). */
    readonly migrations: string;
    /** The platform's image on a PostgreSQL 17 stand-in base: where the 17 -> 18 upgrade starts. */
    readonly postgres17: string;
    /** The platform's 18 image built for an upgrade from 17 (`UPGRADE_FROM=17`: 17's server beside 18's). */
    readonly postgresFrom17: string;
}

const DIGEST_REF = /^127\.0\.0\.1:\d+\/pg-platform\/[a-z0-9-]+@sha256:[0-9a-f]{64}$/;

function parseImages(text: string): LocalImages {
    const parsed: unknown = JSON.parse(text);
    const record = (value: unknown): Record<string, unknown> => (typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {});
    const images = record(record(parsed).images);
    const ref = (name: string): string => {
        const value = images[name];
        if (typeof value !== "string" || !DIGEST_REF.test(value))
            throw new Error(`build-images.sh gave no digest reference for ${name} (got ${JSON.stringify(value)})`);
        return value;
    };
    const registry = record(parsed).registry;
    if (typeof registry !== "string") throw new Error("build-images.sh gave no registry address");
    return {
        registry,
        debian: ref("debian"),
        postgresBase: ref("postgres-base"),
        postgres: ref("postgres"),
        pgbouncer: ref("pgbouncer"),
        exporter: ref("postgres-exporter"),
        migrations: ref("migrations"),
        postgres17: ref("postgres-17"),
        postgresFrom17: ref("postgres-from-17"),
    };
}

let images: Promise<LocalImages> | undefined;

/**
 * Builds (or finds, when their inputs are unchanged) the local images, once per process:
 * minutes on a fresh machine, seconds after. Starts the engine first.
 */
export function localImages(): Promise<LocalImages> {
    images ??= (async () => {
        await ensureEngine();
        const built = await run("bash", [BUILD_SCRIPT], { unprivileged: false, timeoutMs: 1_800_000 });
        if (built.code !== 0) throw new Error(`scripts/build-images.sh failed (exit ${built.code}):\n${built.stderr.slice(-4000)}`);
        return parseImages(built.stdout.trim().split("\n").at(-1) ?? "");
    })();
    return images;
}

/**
 * Registers a test file's hooks for real containers: before all its tests, the engine and the
 * local images ({@link localImages}: up to half an hour on a fresh machine); after them,
 * {@link removeAll}. Call it at the top of the file, before the file's own beforeAll hooks (they
 * run in order, so theirs see the images). Returns the images, filled in once its hook has run.
 */
export function useLocalImages(): LocalImages {
    const found = {} as LocalImages;
    beforeAll(async () => {
        Object.assign(found, await localImages());
    }, 1_800_000);
    afterAll(removeAll, 300_000);
    return found;
}

/** Runs the docker client (the scripts' one) to completion. */
export function docker(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(dockerCli, args, { unprivileged: false, ...options });
}

async function dockerOk(args: readonly string[], timeoutMs = 120_000): Promise<string> {
    const result = await docker(args, { timeoutMs });
    if (result.code !== 0) throw new Error(`docker ${args.join(" ")} failed (exit ${result.code}): ${result.stderr.trim()}`);
    return result.stdout.trim();
}

let counter = 0;
const uniqueName = (kind: string) => `pgp-test-${RUN_ID}-${kind}-${++counter}`;
/** The label every container, network and volume of this process carries (what removeAll removes). */
export const labelArgs = ["--label", `${TEST_LABEL}=${RUN_ID}`];

/** A network the test owns (removed with everything else). Returns its name. */
export async function createNetwork(): Promise<string> {
    await ensureEngine();
    const name = uniqueName("net");
    await dockerOk(["network", "create", ...labelArgs, name]);
    return name;
}

/** A named volume the test owns (removed with everything else). Returns its name. */
export async function createVolume(): Promise<string> {
    await ensureEngine();
    const name = uniqueName("vol");
    await dockerOk(["volume", "create", ...labelArgs, name]);
    return name;
}

/** A file put into the container before it starts, as the Docker target's uploads are. */
export interface ContainerFile {
    /** Absolute path inside the container (missing parent folders are created, owned by root). */
    readonly path: string;
    /** Its content. */
    readonly content: string;
    /** Mode. Default: 0644. */
    readonly mode?: number;
    /** Numeric owner. Default: 0. */
    readonly uid?: number;
    /** Numeric group. Default: the owner's number. */
    readonly gid?: number;
}

/** How {@link runContainer} runs a container. */
export interface ContainerOptions {
    /** Image reference (by digest from {@link localImages}). */
    readonly image: string;
    /** Network to join. Default: Docker's bridge. */
    readonly network?: string;
    /** Host names on that network. Default: none. */
    readonly aliases?: readonly string[];
    /** Entrypoint and its leading arguments (as the Pulumi provider's `entrypoints`). Default: the image's. */
    readonly entrypoint?: readonly string[];
    /** Command (after the entrypoint). Default: the image's. */
    readonly command?: readonly string[];
    /** Environment. Default: none beyond the image's. */
    readonly env?: Readonly<Record<string, string>>;
    /** Memory limit in MB; swap is limited to the same, as the Docker target does. Default: 512. */
    readonly memoryMb?: number;
    /** CPU limit (`--cpus`). Default: none. */
    readonly cpus?: number;
    /** Container ports to publish, each on 127.0.0.1 at a free host port. Default: none. */
    readonly publish?: readonly number[];
    /** Named volumes to mount. Default: none. */
    readonly volumes?: readonly { readonly name: string; readonly path: string }[];
    /** Files to put in before start. Default: none. */
    readonly files?: readonly ContainerFile[];
    /** Healthcheck command (exec form) and its interval. Default: the image's. */
    readonly healthcheck?: { readonly test: readonly string[]; readonly intervalSeconds?: number; readonly retries?: number };
    /** `--user`. Default: the image's. */
    readonly user?: string;
    /** `--shm-size` in MB. Default: Docker's 64. */
    readonly shmSizeMb?: number;
}

/** A container a test started. */
export interface TestContainer {
    /** Its id. */
    readonly id: string;
    /** Its name. */
    readonly name: string;
    /** Runs a command in it (`docker exec`). */
    exec(args: readonly string[], options?: { user?: string; env?: Readonly<Record<string, string>>; input?: string; timeoutMs?: number }): Promise<RunResult>;
    /** Its output so far, stdout and stderr together. */
    logs(): Promise<string>;
    /** The 127.0.0.1 port a published container port is on. */
    hostPort(containerPort: number): Promise<number>;
    /** Waits until the healthcheck says healthy; fails with the logs when it exits or turns unhealthy. */
    waitHealthy(timeoutMs?: number): Promise<void>;
    /** Waits until it exits and gives the exit code. */
    waitExit(timeoutMs?: number): Promise<number>;
    /** Removes it now (it is removed at the end anyway). */
    remove(): Promise<void>;
}

/** Copies files into a created (not yet started) container: one tar stream per owner, piped into `docker cp -`. */
export async function upload(container: string, files: readonly ContainerFile[]): Promise<void> {
    if (files.length === 0) return;
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-upload-"));
    try {
        const byOwner = new Map<string, string[]>();
        for (const file of files) {
            if (!path.posix.isAbsolute(file.path)) throw new Error(`container file path must be absolute (got ${file.path})`);
            const relative = file.path.slice(1);
            const local = path.join(staging, relative);
            fs.mkdirSync(path.dirname(local), { recursive: true });
            fs.writeFileSync(local, file.content);
            fs.chmodSync(local, file.mode ?? 0o644);
            const uid = file.uid ?? 0;
            const owner = `${uid}:${file.gid ?? uid}`;
            byOwner.set(owner, [...(byOwner.get(owner) ?? []), relative]);
        }
        for (const [owner, paths] of byOwner) {
            const [uid, gid] = owner.split(":");
            // Only the files go into the archive, so the folders above them keep the image's owners.
            await pipe(
                ["tar", "--numeric-owner", `--owner=${uid}`, `--group=${gid}`, "-C", staging, "-c", "--", ...paths],
                [dockerCli, "cp", "-", `${container}:/`],
            );
        }
    } finally {
        fs.rmSync(staging, { recursive: true, force: true });
    }
}

/** Runs `from | to`, failing with the stderr of whichever fails. */
function pipe(from: readonly string[], to: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
        const producer = spawn(from[0], from.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
        const consumer = spawn(to[0], to.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
        let errors = "";
        producer.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
        consumer.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
        producer.stdout.pipe(consumer.stdin);
        const codes: (number | null)[] = [];
        const done = (code: number | null) => {
            codes.push(code);
            if (codes.length < 2) return;
            if (codes.every((c) => c === 0)) resolve();
            else reject(new Error(`${from[0]} | ${to.join(" ")} failed: ${errors.trim()}`));
        };
        producer.on("close", done);
        consumer.on("close", done);
        producer.on("error", reject);
        consumer.on("error", reject);
    });
}

/**
 * Creates a container (labelled, memory-limited, ports only on 127.0.0.1), puts its files in,
 * and starts it. Removed by {@link removeAll} and at process exit.
 */
export async function runContainer(options: ContainerOptions): Promise<TestContainer> {
    await ensureEngine();
    const name = uniqueName("ctr");
    const memory = `${options.memoryMb ?? 512}m`;
    const args = ["create", ...labelArgs, "--name", name, "--memory", memory, "--memory-swap", memory];
    if (options.cpus !== undefined) args.push("--cpus", String(options.cpus));
    if (options.network) args.push("--network", options.network);
    for (const alias of options.aliases ?? []) args.push("--network-alias", alias);
    for (const [key, value] of Object.entries(options.env ?? {})) args.push("--env", `${key}=${value}`);
    for (const port of options.publish ?? []) args.push("--publish", `127.0.0.1::${port}`);
    for (const volume of options.volumes ?? []) args.push("--volume", `${volume.name}:${volume.path}`);
    if (options.user) args.push("--user", options.user);
    if (options.shmSizeMb) args.push("--shm-size", `${options.shmSizeMb}m`);
    if (options.healthcheck) {
        const [command, ...rest] = options.healthcheck.test;
        // The CLI takes a shell string; quote each word so it runs as the exec form would.
        const quoted = [command, ...rest].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(" ");
        args.push(
            "--health-cmd",
            quoted,
            "--health-interval",
            `${options.healthcheck.intervalSeconds ?? 2}s`,
            "--health-retries",
            String(options.healthcheck.retries ?? 3),
        );
    }
    const [entrypoint, ...leading] = options.entrypoint ?? [];
    if (entrypoint !== undefined) args.push("--entrypoint", entrypoint);
    args.push(options.image, ...leading, ...(options.command ?? []));
    const id = await dockerOk(args, 300_000);
    await upload(id, options.files ?? []);
    await dockerOk(["start", id]);
    return containerHandle(id, name);
}

function containerHandle(id: string, name: string): TestContainer {
    const state = async () =>
        JSON.parse(await dockerOk(["inspect", "--format", "{{json .State}}", id])) as { Status: string; ExitCode: number; Health?: { Status: string } };
    const logs = async () => {
        const result = await docker(["logs", id]);
        return result.stdout + result.stderr;
    };
    return {
        id,
        name,
        exec: (args, options = {}) => {
            const flags = ["exec", "-i"];
            if (options.user) flags.push("--user", options.user);
            for (const [key, value] of Object.entries(options.env ?? {})) flags.push("--env", `${key}=${value}`);
            return docker([...flags, id, ...args], { input: options.input, timeoutMs: options.timeoutMs });
        },
        logs,
        hostPort: async (containerPort) => {
            const mapping = await dockerOk(["port", id, `${containerPort}/tcp`]);
            const match = /^127\.0\.0\.1:(\d+)$/m.exec(mapping);
            if (!match) throw new Error(`container port ${containerPort} is not published on 127.0.0.1 (docker port says ${JSON.stringify(mapping)})`);
            return Number(match[1]);
        },
        waitHealthy: async (timeoutMs = 120_000) => {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const current = await state();
                if (current.Health?.Status === "healthy") return;
                const stuck = current.Status === "exited" || current.Status === "dead" || current.Health?.Status === "unhealthy";
                if (stuck || Date.now() > deadline) {
                    const what = stuck ? `is ${current.Health?.Status ?? current.Status} (exit ${current.ExitCode})` : `is not healthy after ${timeoutMs} ms`;
                    throw new Error(`${name} ${what}; its output:\n${await logs()}`);
                }
                if (!current.Health) throw new Error(`${name} has no healthcheck to wait for`);
                await new Promise((resolve) => setTimeout(resolve, 500));
            }
        },
        waitExit: async (timeoutMs = 120_000) => {
            const result = await docker(["wait", id], { timeoutMs });
            if (result.code !== 0) throw new Error(`docker wait ${name} failed: ${result.stderr.trim()}`);
            return Number(result.stdout.trim());
        },
        remove: async () => {
            await docker(["rm", "--force", "--volumes", id]);
        },
    };
}

/** Everything this process created, as the engine lists it by label. */
async function labelled(kind: "container" | "network" | "volume"): Promise<string[]> {
    const args = kind === "container" ? ["ps", "--all", "--quiet"] : [kind, "ls", "--quiet"];
    const result = await docker([...args, "--filter", `label=${TEST_LABEL}=${RUN_ID}`]);
    return result.code === 0 ? result.stdout.split("\n").filter(Boolean) : [];
}

/** Removes every container, network and volume this process created (call in afterAll). */
export async function removeAll(): Promise<void> {
    if (!engine) return;
    const containers = await labelled("container");
    if (containers.length > 0) await docker(["rm", "--force", "--volumes", ...containers], { timeoutMs: 180_000 });
    const networks = await labelled("network");
    if (networks.length > 0) await docker(["network", "rm", ...networks]);
    const volumes = await labelled("volume");
    if (volumes.length > 0) await docker(["volume", "rm", "--force", ...volumes]);
}

/** The same, synchronously, for the exit handler. */
function removeAllSync(): void {
    const list = (args: string[]) => {
        try {
            return execFileSync(dockerCli, [...args, "--filter", `label=${TEST_LABEL}=${RUN_ID}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
                .split("\n")
                .filter(Boolean);
        } catch {
            return [];
        }
    };
    const quietly = (args: string[]) => {
        try {
            execFileSync(dockerCli, args, { stdio: "ignore", timeout: 180_000 });
        } catch {
            // best effort: the process is exiting
        }
    };
    const containers = list(["ps", "--all", "--quiet"]);
    if (containers.length > 0) quietly(["rm", "--force", "--volumes", ...containers]);
    const networks = list(["network", "ls", "--quiet"]);
    if (networks.length > 0) quietly(["network", "rm", ...networks]);
    const volumes = list(["volume", "ls", "--quiet"]);
    if (volumes.length > 0) quietly(["volume", "rm", "--force", ...volumes]);
}

/**
 * Last resort when the process ends, even after a failure: removes what the tests made, then
 * stops what this process started (in that order: containers first, while the engine answers).
 */
let cleanedUp = false;
function cleanUpSync(): void {
    if (cleanedUp || !engine) return;
    cleanedUp = true;
    removeAllSync();
    fs.rmSync(ownLease, { force: true });
    // The script itself also leaves dockerd up while any container still runs.
    if (startedHere.length > 0 && !othersHoldLeases()) {
        try {
            execFileSync("bash", [ENGINE_SCRIPT, "stop", ...startedHere], { stdio: "ignore", timeout: 200_000 });
        } catch {
            // best effort: the process is ending
        }
    }
}

let handlersInstalled = false;
/**
 * Runs {@link cleanUpSync} at exit and on SIGTERM, SIGINT and SIGHUP. A signal would otherwise
 * end the process without an "exit" event (vitest ends its worker processes with SIGTERM), so
 * the handler cleans up, then re-raises the signal to end the process as it would have.
 */
function installExitHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    process.once("exit", cleanUpSync);
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        const onSignal = () => {
            cleanUpSync();
            process.removeListener(signal, onSignal);
            process.kill(process.pid, signal);
        };
        process.on(signal, onSignal);
    }
}
