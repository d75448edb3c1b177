import type { MockedResource } from "../../cli/offline/harness";
import { freePort } from "../../cli/local/processes";
import { docker, ensureEngine, labelArgs, upload, type ContainerFile } from "./containers";

/**
 * Creates, on the real Docker engine, the Docker resources a program run under mocks declared:
 * networks, volumes, pulled images and containers, with exactly the inputs the program gave the
 * docker provider (names, networks and aliases, published ports with their host interface,
 * uploads with owner and mode, entrypoint, command, environment, limits, capabilities,
 * healthcheck, stop signal), in registration order, waiting for health where the container asks `wait`.
 *
 * It stands in for the docker provider plugin, which cannot be built on these machines (its Go
 * module is not served); what it exercises is everything the platform itself decides: the
 * containers, the images, the rendered files and the runtime scripts. Everything it creates
 * carries the test label, so `removeAll()` cleans it up.
 */

const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const CONTAINER = "docker:index/container:Container";

interface ContainerInputs {
    readonly name: string;
    readonly image: string;
    readonly entrypoints?: string[];
    readonly command?: string[];
    readonly envs?: string[];
    readonly ports?: { internal: number; external: number; ip: string; protocol?: string }[];
    readonly networksAdvanced?: { name: string; aliases?: string[] }[];
    readonly volumes?: { volumeName: string; containerPath: string; readOnly?: boolean }[];
    readonly uploads?: { file: string; content: string; permissions?: string; owner?: string; group?: string }[];
    readonly healthcheck?: { tests: string[]; interval?: string; timeout?: string; retries?: number; startPeriod?: string };
    readonly memory?: number;
    readonly memorySwap?: number;
    readonly cpus?: string;
    readonly shmSize?: number;
    readonly stopSignal?: string;
    readonly stopTimeout?: number;
    readonly destroyGraceSeconds?: number;
    readonly restart?: string;
    readonly wait?: boolean;
    readonly waitTimeout?: number;
    readonly user?: string;
    readonly capabilities?: { adds?: string[]; drops?: string[] };
    readonly labels?: { label: string; value: string }[];
    readonly networkMode?: string;
    readonly attach?: boolean;
    readonly mustRun?: boolean;
}

async function ok(args: readonly string[], timeoutMs = 300_000): Promise<string> {
    const result = await docker(args, { timeoutMs });
    if (result.code !== 0) throw new Error(`docker ${args.slice(0, 3).join(" ")} … failed (exit ${result.code}): ${result.stderr.trim()}`);
    return result.stdout.trim();
}

/** `docker create` arguments for a container's inputs (everything but the uploads). */
export function createArgs(inputs: ContainerInputs): string[] {
    const args = ["create", ...labelArgs, "--name", inputs.name];
    const [network, ...others] = inputs.networksAdvanced ?? [];
    if (others.length > 0) throw new Error(`${inputs.name}: more than one network is not supported here`);
    if (network) {
        args.push("--network", network.name);
        for (const alias of network.aliases ?? []) args.push("--network-alias", alias);
    }
    for (const port of inputs.ports ?? [])
        args.push("--publish", `${port.ip.includes(":") ? `[${port.ip}]` : port.ip}:${port.external}:${port.internal}/${port.protocol ?? "tcp"}`);
    for (const volume of inputs.volumes ?? []) args.push("--volume", `${volume.volumeName}:${volume.containerPath}${volume.readOnly ? ":ro" : ""}`);
    for (const label of inputs.labels ?? []) args.push("--label", `${label.label}=${label.value}`);
    if (inputs.networkMode) args.push("--network", inputs.networkMode);
    for (const env of inputs.envs ?? []) args.push("--env", env);
    if (inputs.memory !== undefined) args.push("--memory", `${inputs.memory}m`);
    if (inputs.memorySwap !== undefined) args.push("--memory-swap", `${inputs.memorySwap}m`);
    if (inputs.cpus !== undefined) args.push("--cpus", inputs.cpus);
    if (inputs.shmSize !== undefined) args.push("--shm-size", `${inputs.shmSize}m`);
    if (inputs.stopSignal) args.push("--stop-signal", inputs.stopSignal);
    if (inputs.stopTimeout !== undefined) args.push("--stop-timeout", String(inputs.stopTimeout));
    if (inputs.restart) args.push("--restart", inputs.restart);
    if (inputs.user) args.push("--user", inputs.user);
    for (const capability of inputs.capabilities?.drops ?? []) args.push("--cap-drop", capability);
    for (const capability of inputs.capabilities?.adds ?? []) args.push("--cap-add", capability);
    const health = inputs.healthcheck;
    if (health) {
        const [kind, ...test] = health.tests;
        if (kind !== "CMD") throw new Error(`${inputs.name}: healthcheck ${kind} is not supported here`);
        const quoted = test.map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(" ");
        args.push("--health-cmd", quoted);
        if (health.interval) args.push("--health-interval", health.interval);
        if (health.timeout) args.push("--health-timeout", health.timeout);
        if (health.retries !== undefined) args.push("--health-retries", String(health.retries));
        if (health.startPeriod) args.push("--health-start-period", health.startPeriod);
    }
    const [entrypoint, ...leading] = inputs.entrypoints ?? [];
    if (entrypoint !== undefined) args.push("--entrypoint", entrypoint);
    args.push(inputs.image, ...leading, ...(inputs.command ?? []));
    return args;
}

function uploadsOf(inputs: ContainerInputs): ContainerFile[] {
    return (inputs.uploads ?? []).map((file) => ({
        path: file.file,
        content: file.content,
        mode: file.permissions ? parseInt(file.permissions, 8) : 0o644,
        uid: Number(file.owner ?? 0),
        gid: Number(file.group ?? file.owner ?? 0),
    }));
}

/** Waits for a container's healthcheck, as the provider's `wait` does; fails with its logs. */
export async function waitHealthy(name: string, timeoutSeconds: number): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
        const state = JSON.parse(await ok(["inspect", "--format", "{{json .State}}", name])) as {
            Status: string;
            ExitCode: number;
            Health?: { Status: string };
        };
        if (state.Health?.Status === "healthy") return;
        if (state.Status === "exited" || state.Status === "dead" || Date.now() > deadline) {
            const logs = await docker(["logs", "--tail", "60", name]);
            throw new Error(`${name} is ${state.Health?.Status ?? state.Status} (exit ${state.ExitCode}); its output:\n${logs.stdout}${logs.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
}

/**
 * Creates one container from its inputs, uploads its files and starts it; waits for health when
 * it asks `wait`, or for its exit when it is a one-shot (`attach`), failing on a non-zero exit.
 */
export async function applyContainer(inputs: ContainerInputs): Promise<void> {
    await ok(createArgs(inputs));
    await upload(inputs.name, uploadsOf(inputs));
    await ok(["start", inputs.name]);
    if (inputs.wait) await waitHealthy(inputs.name, inputs.waitTimeout ?? 60);
    if (inputs.attach) {
        const code = await ok(["wait", inputs.name], 600_000);
        if (code !== "0") {
            const logs = await docker(["logs", "--tail", "60", inputs.name]);
            throw new Error(`${inputs.name} exited ${code}; its output:\n${logs.stdout}${logs.stderr}`);
        }
    }
}

/**
 * Removes one container as the provider deletes it (a replacement's delete-before-replace):
 * stopped first with its grace period when it sets `destroyGraceSeconds`, else removed by force.
 */
export async function removeContainer(inputs: ContainerInputs): Promise<void> {
    if (inputs.destroyGraceSeconds !== undefined)
        await ok(["stop", "--time", String(inputs.destroyGraceSeconds), inputs.name], (inputs.destroyGraceSeconds + 60) * 1000);
    // --volumes: the provider's removeVolumes (default true) deletes anonymous volumes with the container.
    await ok(["rm", "--force", "--volumes", inputs.name], 300_000);
}

/** Applies every Docker resource of a mocked run, in order. Other resource types are skipped. */
export async function applyDockerResources(resources: readonly MockedResource[]): Promise<void> {
    await ensureEngine();
    for (const resource of resources) {
        const inputs = resource.inputs;
        if (resource.type === NETWORK) await ok(["network", "create", ...labelArgs, ...(inputs.internal ? ["--internal"] : []), String(inputs.name)]);
        else if (resource.type === VOLUME) await ok(["volume", "create", ...labelArgs, String(inputs.name)]);
        else if (resource.type === REMOTE_IMAGE) await ok(["pull", String(inputs.name)]);
        else if (resource.type === CONTAINER) await applyContainer(inputs as unknown as ContainerInputs);
    }
}

/**
 * For `runUnderMocks({ computed })`: what the docker provider reports of a one-shot container
 * (`attach`) once it ran, read from the real engine: its exit code, which the program judges
 * (the migration job's `done`). Nothing for other resources, or while the container has not
 * run to its end.
 */
export async function oneShotState(type: string, inputs: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    if (type !== CONTAINER || inputs.attach !== true) return undefined;
    const state = await docker(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", String(inputs.name)]);
    const [status, code] = state.stdout.trim().split(" ");
    return state.code === 0 && status === "exited" ? { exitCode: Number(code) } : undefined;
}

/** The containers of a mocked run, by Docker name, with their inputs. */
export function containersOf(resources: readonly MockedResource[]): Map<string, ContainerInputs> {
    return new Map(resources.filter((r) => r.type === CONTAINER).map((r) => [String(r.inputs.name), r.inputs as unknown as ContainerInputs]));
}

export type { ContainerInputs };

/** A free host port for each port the Docker target publishes (`network.ports`), so a test stack collides with nothing. */
export async function freeStackPorts(): Promise<Record<"postgres" | "transactionPool" | "sessionPool" | "exporter" | "replicaBase", number>> {
    return {
        postgres: await freePort(),
        transactionPool: await freePort(),
        sessionPool: await freePort(),
        exporter: await freePort(),
        replicaBase: await freePort(),
    };
}
