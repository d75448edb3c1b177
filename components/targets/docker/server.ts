import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ENTRYPOINT_PATH, HEALTHCHECK_PATH, healthcheckArgs, type HealthRole } from "../../image/runtime";
import type { PlatformSpec } from "../../config";
import { DATA_MOUNT, WAL_ARCHIVE_MOUNT } from "../../self-hosted/server";
import { PROBE_RETRIES, TIMINGS } from "../../self-hosted/health";
import { SOCKET_DIR } from "../../self-hosted/backup-jobs";
import { containerName, dockerSettingsOf, publishedPort, serverLimits, volumeName } from "./plan";
import { type ServiceName } from "../../self-hosted/services";

/** Health probing of every container: a failed probe is retried before the container counts as unhealthy. */
export const HEALTH = { interval: `${TIMINGS.probeInterval}s`, timeout: `${TIMINGS.probeTimeout}s`, retries: PROBE_RETRIES } as const;

/** Seconds `pulumi up` waits for a new container to turn healthy before failing. */
export const WAIT_SECONDS = { server: TIMINGS.serverStart, companion: TIMINGS.companionStart } as const;

/** Docker's start period of a companion's healthcheck (a server's is longer). */
export const COMPANION_START_PERIOD = `${TIMINGS.companionGrace}s`;

export { rolePasswords } from "../../self-hosted/passwords";

/** What a companion (pool or exporter) or server container has in common: where it runs and how it is published. */
export interface ContainerPlacement {
    /** The stack's spec. */
    readonly spec: PlatformSpec;
    /** Which service this container is. */
    readonly service: ServiceName;
    /** Name of the private network it joins. */
    readonly network: pulumi.Input<string>;
    /** Its host name on that network. */
    readonly alias: string;
}

/**
 * Container settings every service shares: its Docker name, the private network with its
 * alias, the published port on `network.bindAddress`, the restart policy, a healthcheck, and
 * waiting for health so `dependsOn` orders by health rather than by mere creation.
 */
export function containerBase(
    placement: ContainerPlacement,
    health: { test: string[]; startPeriod: string; waitSeconds: number },
): Omit<docker.ContainerArgs, "image"> {
    return {
        name: pulumi.output(placement.network).apply((network) => containerName(network, placement.service)),
        networksAdvanced: [{ name: placement.network, aliases: [placement.alias] }],
        ports: [publishedPort(placement.spec, placement.service)],
        restart: dockerSettingsOf(placement.spec).restartPolicy,
        healthcheck: { tests: ["CMD", ...health.test], startPeriod: health.startPeriod, ...HEALTH },
        wait: true,
        waitTimeout: health.waitSeconds,
    };
}

/**
 * Container options every service shares. Names and host ports are fixed, so a replacement
 * must remove the old container first; two servers must never share one data volume anyway.
 */
export function containerOptions(parent: pulumi.Resource, dependsOn: pulumi.Input<pulumi.Resource>[] = []): pulumi.CustomResourceOptions {
    return { parent, dependsOn, deleteBeforeReplace: true };
}

/** A PostgreSQL server container: primary, single node or replica. */
export interface ServerContainerArgs extends ContainerPlacement {
    /** Image reference by digest. */
    readonly image: pulumi.Input<string>;
    /** What the healthcheck verifies about recovery state. */
    readonly healthRole: HealthRole;
    /** Files uploaded before start (rendered configuration and secret files). */
    readonly uploads: pulumi.Input<docker.types.input.ContainerUpload>[];
    /** Extra environment, `NAME=value` (never a clear secret: only `_FILE` paths). */
    readonly envs: pulumi.Input<string>[];
    /** Entrypoint: the image's auto-tuning one, or the replica bootstrap in front of it. */
    readonly entrypoints: string[];
    /** The postgres command line (see `postgresCommand`). */
    readonly command: string[];
    /** Resources created first (the primary, for a replica). Default: none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The container and volumes of one PostgreSQL server. */
export interface ServerResources {
    /** The container. */
    readonly container: docker.Container;
    /** Its data volume. */
    readonly data: docker.Volume;
    /** Its WAL archive volume, when `backup.enabled` (not on replicas: they archive nothing). */
    readonly walArchive: docker.Volume | undefined;
    /** Its socket folder's volume, shared with the backup scheduler, when it has a WAL archive. */
    readonly socket: docker.Volume | undefined;
}

function volume(parent: pulumi.Resource, name: string, args: ServerContainerArgs, kind: "data" | "wal-archive" | "socket"): docker.Volume {
    // Nothing rendered flows into a volume, so a configuration change never replaces one;
    // production stacks also protect those holding data from `pulumi destroy` (a socket
    // folder's holds nothing a restart does not recreate).
    return new docker.Volume(
        `${name}-${kind}`,
        { name: pulumi.output(args.network).apply((network) => volumeName(network, args.service, kind)) },
        { parent, protect: args.spec.production && kind !== "socket" },
    );
}

/**
 * A PostgreSQL container with its named volumes. Memory and CPU limits are set so the image's
 * auto-tuning reads them from cgroups; a change to them replaces the container (Docker could
 * update the limits in place, but the tuning is computed only at start, so a running server
 * would keep settings for the old limits).
 */
export function serverContainer(parent: pulumi.Resource, name: string, args: ServerContainerArgs): ServerResources {
    const data = volume(parent, name, args, "data");
    const walArchive = args.spec.backup.enabled && args.healthRole !== "replica" ? volume(parent, name, args, "wal-archive") : undefined;
    // The backup scheduler's jobs reach the writer through its socket (pgBackRest and the verification connect locally).
    const socket = walArchive ? volume(parent, name, args, "socket") : undefined;
    const limits = serverLimits(args.spec);
    const container = new docker.Container(
        name,
        {
            ...containerBase(args, {
                test: [HEALTHCHECK_PATH, ...healthcheckArgs(args.spec, args.healthRole)],
                startPeriod: `${TIMINGS.serverGrace}s`,
                waitSeconds: WAIT_SECONDS.server,
            }),
            image: args.image,
            entrypoints: args.entrypoints,
            command: args.command,
            envs: args.envs,
            uploads: args.uploads,
            volumes: [
                { volumeName: data.name, containerPath: DATA_MOUNT },
                ...(walArchive ? [{ volumeName: walArchive.name, containerPath: WAL_ARCHIVE_MOUNT }] : []),
                ...(socket ? [{ volumeName: socket.name, containerPath: SOCKET_DIR }] : []),
            ],
            memory: limits.memory,
            memorySwap: limits.memorySwap,
            cpus: limits.cpus,
            // PostgreSQL's shared memory lives in /dev/shm for parallel queries; Docker's 64 MB is too small.
            shmSize: Math.max(64, Math.floor(limits.memory / 4)),
            // A fast shutdown (SIGINT) with time to checkpoint, instead of Docker's 10 s kill, both
            // when Docker stops it and when Pulumi deletes or replaces it (the provider would
            // otherwise remove it by force: a kill, and crash recovery on the next start).
            stopSignal: "SIGINT",
            stopTimeout: TIMINGS.serverStop,
            destroyGraceSeconds: TIMINGS.serverStop,
        },
        { ...containerOptions(parent, args.dependsOn), replaceOnChanges: ["memory", "memorySwap", "cpus"] },
    );
    return { container, data, walArchive, socket };
}

/** The image's auto-tuning entrypoint, for primaries and single nodes. */
export const SERVER_ENTRYPOINT = [ENTRYPOINT_PATH];
