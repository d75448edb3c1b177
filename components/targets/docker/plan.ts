// Pure decisions of the Docker target: names, published ports, limits, endpoints. No Pulumi
// import, so they are unit-tested as plain functions and read the same in every component.
import { AUTO_TUNED_PARAMETERS, WAL_ARCHIVE_DIR } from "../../image/runtime";
import type { OptionalEndpoint } from "../outputs";
import { renderServices, type RenderedService } from "../../render";
import { SUPERUSER } from "../../render/hba";
import { CONTAINER_LAYOUT, SECRET_PLACEHOLDER_PATTERN, filePaths } from "../../render/layout";
import { formatParameterValue } from "../../render/postgresql-conf";
import { loginRoles } from "../../render/roles";
import { memoryMb, type PlatformSpec } from "../../config";
import { CONTAINER_PORTS, DATABASE_ROLE_SUFFIXES } from "../../platform/constants";
import { dockerSettings, type DockerSettings } from "../../config/targets/docker";

/** A service the Docker target runs, one container each, named as the renderer names it. */
export type ServiceName = "single" | "primary" | `replica-${number}` | "pooler-transaction" | "pooler-session" | "exporter";

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

/** What a named volume holds. */
export type VolumeKind = "data" | "wal-archive";

/** Docker name of a service's volume: `<network>-<service>-<kind>`. */
export function volumeName(network: string, service: ServiceName, kind: VolumeKind): string {
    return `${containerName(network, service)}-${kind}`;
}

/** Replica number of `replica-<n>`, or undefined for every other service. */
export function replicaNumber(service: ServiceName): number | undefined {
    const match = /^replica-(\d+)$/.exec(service);
    return match ? Number(match[1]) : undefined;
}

/** The port a service listens on inside its container (fixed per service kind). */
export function containerPort(service: ServiceName): number {
    if (service === "exporter") return CONTAINER_PORTS.exporter;
    if (service.startsWith("pooler-")) return CONTAINER_PORTS.pooler;
    return CONTAINER_PORTS.postgres;
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

/** The roles each endpoint URL logs in as, all in the first database. */
export interface EndpointRoles {
    /** Database every URL points at: the first of `postgres.databases`. */
    readonly database: string;
    /** Primary and transaction pool: the read-write application role (`<db>_app`). */
    readonly application: string;
    /** Session pool: the migrate (owner) role (`<db>_migrate`), as migrations need session state. */
    readonly migrate: string;
    /** Replica: the read-only role (`<db>_readonly`). */
    readonly readOnly: string;
}

/** Which role each output URL uses. */
export function endpointRoles(spec: PlatformSpec): EndpointRoles {
    const database = spec.postgres.databases[0].name;
    return {
        database,
        application: database + DATABASE_ROLE_SUFFIXES.readwrite,
        migrate: database + DATABASE_ROLE_SUFFIXES.migrate,
        readOnly: database + DATABASE_ROLE_SUFFIXES.readonly,
    };
}

/** The services a spec runs on Docker, in start order (dependencies first). */
export function dockerServices(spec: PlatformSpec): ServiceName[] {
    if (spec.topology === "single") return ["single"];
    const services: ServiceName[] = ["primary"];
    if (spec.pooler.enabled) services.push("pooler-transaction", "pooler-session");
    if (spec.exporter.enabled) services.push("exporter");
    for (let n = 1; n <= spec.replicas; n++) services.push(`replica-${n}`);
    return services;
}

/** Each endpoint the spec's Docker deployment lacks, with the reason and what to use instead. */
export function unavailableEndpoints(spec: PlatformSpec): Partial<Record<OptionalEndpoint, string>> {
    const unavailable: Partial<Record<OptionalEndpoint, string>> = {};
    const single = spec.topology === "single";
    const pools = single
        ? 'topology "single" runs no PgBouncer: set pg-platform:topology to "primary", or use primaryUrl'
        : "pooler.enabled is false: set it to true, or use primaryUrl";
    if (single || !spec.pooler.enabled) {
        unavailable.transactionPoolUrl = pools;
        unavailable.sessionPoolUrl = pools;
    }
    if (spec.replicas === 0) {
        unavailable.readOnlyUrl = 'replicas is 0: set pg-platform:replicas to 1 or more (topology "primary"), or use primaryUrl';
    }
    if (single || !spec.exporter.enabled) {
        unavailable.metricsUrl = single
            ? 'topology "single" runs no postgres_exporter: set pg-platform:topology to "primary"'
            : "exporter.enabled is false: set it to true";
    }
    return unavailable;
}

/** Whether rendered text still holds one of the renderer's secret placeholders. */
export function holdsPlaceholder(content: string): boolean {
    return (content.match(SECRET_PLACEHOLDER_PATTERN) ?? []).length > 0;
}

/** The rendered service named `name`; throws when the renderer made none. */
export function serviceOf(services: readonly RenderedService[], name: ServiceName): RenderedService {
    const found = services.find((service) => service.name === name);
    if (!found) throw new Error(`the renderer produced no files for service ${name} (it produced ${services.map((s) => s.name).join(", ")})`);
    return found;
}

/**
 * Paths of the service's files whose content depends on a password: those that change when
 * the render is given passwords. Decided by comparison, not by looking for placeholders, so a
 * file that escapes its placeholder (a libpq passfile escapes `:`) is still recognised.
 */
export function secretBearingPaths(spec: PlatformSpec, service: ServiceName): Set<string> {
    const probe = Object.fromEntries([SUPERUSER, ...loginRoles(spec)].map((role) => [role, `probe-${role}`]));
    const clear = serviceOf(renderServices(spec), service).files;
    const probed = serviceOf(renderServices(spec, { passwords: probe }), service).files;
    return new Set(clear.filter((file) => probed.find((other) => other.path === file.path)?.content !== file.content).map((file) => file.path));
}

/**
 * Where a PostgreSQL container's data volume is mounted. The official image's VOLUME: from 18
 * PGDATA is `/var/lib/postgresql/<major>/docker` beneath it (so `pg_upgrade --link` can work
 * across majors on one volume); mounting the parent keeps PGDATA inside the volume.
 */
export const DATA_MOUNT = "/var/lib/postgresql";

/** Where the WAL archive volume is mounted when `backup.enabled`: the image's own archive folder. */
export const WAL_ARCHIVE_MOUNT = WAL_ARCHIVE_DIR;

/** Folder of secret files the Docker target adds beside the rendered ones (mode 0600). */
export const SECRET_DIR = "/run/pg-platform";

/** Secret files the Docker target uploads itself, for the images' `_FILE` variables. */
export const SECRET_FILES = {
    /** The superuser's password, for the official image's initdb (`POSTGRES_PASSWORD_FILE`). */
    superuserPassword: `${SECRET_DIR}/superuser.password`,
    /** The replication role's password, for the replica bootstrap (`REPLICATION_PASSWORD_FILE`). */
    replicationPassword: `${SECRET_DIR}/replication.password`,
} as const;

/** A WAL segment is copied once and never overwritten, so a retried archive cannot clobber a good copy. */
const ARCHIVE_COMMAND = `test ! -f ${WAL_ARCHIVE_MOUNT}/%f && cp %p ${WAL_ARCHIVE_MOUNT}/%f`;

/**
 * The PostgreSQL container's command (after the image's auto-tuning entrypoint): the rendered
 * postgresql.conf; WAL archiving into the archive volume on a writer when `backup.enabled`
 * (the volume's path is this target's, so the flags are too); and each user parameter the
 * entrypoint would otherwise tune, as a `-c` flag, because the entrypoint's flags override
 * every file and it leaves alone only settings it is given.
 */
export function postgresCommand(spec: PlatformSpec, server: "writer" | "replica"): string[] {
    const tuned = new Set<string>(AUTO_TUNED_PARAMETERS);
    const flags: string[] = [];
    if (server === "writer" && spec.backup.enabled) flags.push("-c", "archive_mode=on", "-c", `archive_command=${ARCHIVE_COMMAND}`);
    for (const [name, value] of Object.entries(spec.postgres.parameters)) {
        if (tuned.has(name)) flags.push("-c", `${name}=${formatParameterValue(value)}`);
    }
    return ["postgres", "-c", `config_file=${filePaths(CONTAINER_LAYOUT).postgresqlConf}`, ...flags];
}
