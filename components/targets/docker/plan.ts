// Pure decisions of the Docker target: names, published ports, limits, endpoints. No Pulumi
// import, so they are unit-tested as plain functions and read the same in every component.
import { hasExporter, hasPooler, memoryMb, type PlatformSpec } from "../../config";
import { dockerSettings, type DockerSettings } from "../../config/targets/docker";
import { containerPort, replicaNumber, type ServiceName } from "../../self-hosted/services";
import { SCHEDULER_NAME } from "../../self-hosted/backup-jobs";

/** The stack's `pg-platform:docker` settings, with the schema's defaults when the key is absent. */
export function dockerSettingsOf(spec: PlatformSpec): DockerSettings {
    return spec.docker ?? dockerSettings.parse({});
}

/** Name of the private network every container of the stack joins. Default: `<stack>-pg`. */
export function networkName(spec: PlatformSpec, stack: string): string {
    return dockerSettingsOf(spec).networkName ?? `${stack}-pg`;
}

/**
 * Docker name of a service's container, and the prefix of its volumes: `<network>-<service>`.
 * Docker names are global on an engine, so they carry the network (hence the stack) name.
 */
export function containerName(network: string, service: ServiceName): string {
    return `${network}-${service}`;
}

/**
 * What a named volume holds: a server's data, WAL archive (the pgBackRest repository) or socket
 * folder (shared with the backup scheduler), or a pool's auth file (see pooler.ts).
 */
export type VolumeKind = "data" | "wal-archive" | "socket" | "auth";

/** Docker name of the one-shot container that writes a pool's auth file into its volume: `<network>-<service>-auth-writer`. */
export function authWriterName(network: string, service: ServiceName): string {
    return `${containerName(network, service)}-auth-writer`;
}

/** Docker name of the writer's backup scheduler container: `<network>-backup-scheduler`. */
export function backupSchedulerName(network: string): string {
    return `${network}-${SCHEDULER_NAME}`;
}

/** Docker name of a service's volume: `<network>-<service>-<kind>`. */
export function volumeName(network: string, service: ServiceName, kind: VolumeKind): string {
    return `${containerName(network, service)}-${kind}`;
}

/** The host port a service is published on, from `network.ports` (replica N: replicaBase + N - 1). */
export function hostPort(spec: PlatformSpec, service: ServiceName): number {
    const ports = spec.network.ports;
    const replica = replicaNumber(service);
    if (replica !== undefined) return ports.replicaBase + replica - 1;
    switch (service) {
        case "pooler-transaction":
            return ports.transactionPool;
        case "pooler-session":
            return ports.sessionPool;
        case "exporter":
            return ports.exporter;
        default:
            return ports.postgres;
    }
}

/** A published port as `docker.Container` takes it. */
export interface PublishedPort {
    /** Port inside the container. */
    readonly internal: number;
    /** Port on the host. */
    readonly external: number;
    /** Host interface: always `network.bindAddress`, never left to Docker's default of every interface. */
    readonly ip: string;
    /** Always tcp. */
    readonly protocol: "tcp";
}

/**
 * How a service is published on the host. The host side is `network.bindAddress`; where the
 * server listens inside its container is the renderer's separate, fixed setting.
 */
export function publishedPort(spec: PlatformSpec, service: ServiceName): PublishedPort {
    return { internal: containerPort(service), external: hostPort(spec, service), ip: spec.network.bindAddress, protocol: "tcp" };
}

/** Container limits for a PostgreSQL server, read back by the image's auto-tuning through cgroups. */
export interface ServerLimits {
    /** Memory limit in MB (`postgres.memory`). */
    readonly memory: number;
    /** Memory plus swap in MB: equal to `memory`, so the server never swaps. */
    readonly memorySwap: number;
    /** CPU limit as Docker's `--cpus` string (`postgres.cpus`). */
    readonly cpus: string;
}

/** Limits of every PostgreSQL container (primary, replicas and single alike). */
export function serverLimits(spec: PlatformSpec): ServerLimits {
    const memory = memoryMb(spec);
    return { memory, memorySwap: memory, cpus: String(spec.postgres.cpus) };
}

/** The services a spec runs on Docker, in start order (dependencies first). */
export function dockerServices(spec: PlatformSpec): ServiceName[] {
    if (spec.topology === "single") return ["single"];
    const services: ServiceName[] = ["primary"];
    if (hasPooler(spec)) services.push("pooler-transaction", "pooler-session");
    if (hasExporter(spec)) services.push("exporter");
    for (let n = 1; n <= spec.replicas; n++) services.push(`replica-${n}`);
    return services;
}
