// PostgreSQL servers as one-pod StatefulSets with their claims.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_OWNER } from "../../self-hosted/files";
import { DATA_MOUNT, WAL_ARCHIVE_MOUNT, postgresCommand } from "../../self-hosted/server";
import { ENTRYPOINT_PATH, REPLICA_BOOTSTRAP_PATH, type HealthRole } from "../../image/runtime";
import { writerEntrypoint } from "../../self-hosted/restore";
import { CONTAINER_LAYOUT } from "../../render/layout";
import type { TlsServiceName } from "../../self-hosted/tls/certificates";
import { type StackCa } from "../../self-hosted/tls/resources";
import {
    SERVER_STOP_SECONDS,
    kubernetesSettingsOf,
    objectName,
    podLabels,
    selectorLabels,
    serverEnv,
    serverPreStop,
    serverProbes,
    serverResources,
    shmSizeMb,
    volumeClaims,
} from "./plan";
import { type Placement, podTemplate } from "./pods";
import { type SecretFile, serviceFiles } from "./files";
import { serviceTls } from "./tls-secrets";
import { clusterService } from "./services";
import { backupSchedulerSidecar } from "./backup-scheduler";

type Volume = k8s.types.input.core.v1.Volume;

/** A PostgreSQL server: primary, single node or replica. */
export interface ServerArgs extends Placement {
    /** The PostgreSQL image by digest. */
    readonly image: pulumi.Input<string>;
    /** What the healthcheck verifies about recovery state. */
    readonly healthRole: HealthRole;
    /** Clear passwords the service's files need, by role (secret). */
    readonly passwords: pulumi.Input<Record<string, string>>;
    /** Password files for the image's `_FILE` variables. */
    readonly secretFiles: readonly SecretFile[];
    /** The stack's CA, when `postgres.tls.enabled`: it signs the server's certificate. Default: none. */
    readonly ca?: StackCa;
    /** Resources created first (the primary, for a replica). Default: none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The objects of one PostgreSQL server. */
export interface ServerResources {
    /** Its ClusterIP Service. */
    readonly service: k8s.core.v1.Service;
    /** Its StatefulSet (one pod). */
    readonly statefulSet: k8s.apps.v1.StatefulSet;
}

/**
 * A PostgreSQL server as a one-pod StatefulSet with its Service, files and volume claims
 * (`storageSize` on `storageClass`; claims are kept when the set is deleted or replaced).
 * The image's auto-tuning entrypoint runs it; a replica's bootstrap clones the primary first.
 * A writer's pod also runs the backup scheduler (see backup-scheduler.ts), sharing its socket folder.
 */
export function serverStatefulSet(parent: pulumi.Resource, name: string, args: ServerArgs & { readonly service: TlsServiceName }): ServerResources {
    const { spec, service: serviceName } = args;
    const settings = kubernetesSettingsOf(spec);
    const replica = args.healthRole === "replica";
    const files = serviceFiles(parent, name, args, args.passwords, args.secretFiles);
    const tls = args.ca ? serviceTls(parent, name, args, args.ca) : undefined;
    const claims = volumeClaims(spec, serviceName);
    // Writable, so a replica's bootstrap can write its passfile beside the mounted files.
    const configDir: Volume = { name: "config-dir", emptyDir: {} };
    // Parallel queries need more shared memory than the runtime's 64 MB /dev/shm.
    const shm: Volume = { name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${shmSizeMb(spec)}Mi` } };
    const service = clusterService(parent, name, args);
    const scheduler = replica ? undefined : backupSchedulerSidecar(parent, name, { placement: args, image: args.image, files, claims });
    const statefulSet = new k8s.apps.v1.StatefulSet(
        `${name}-statefulset`,
        {
            metadata: { name: objectName(serviceName), namespace: args.namespace, labels: podLabels(serviceName) },
            spec: {
                replicas: 1,
                serviceName: service.metadata.name,
                selector: { matchLabels: selectorLabels(serviceName) },
                persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
                template: podTemplate({
                    placement: args,
                    image: args.image,
                    user: POSTGRES_OWNER,
                    command: replica ? [REPLICA_BOOTSTRAP_PATH, ENTRYPOINT_PATH] : writerEntrypoint(spec),
                    args: postgresCommand(spec, replica ? "replica" : "writer"),
                    env: serverEnv(spec, serviceName),
                    probes: serverProbes(spec, args.healthRole),
                    resources: serverResources(spec),
                    files,
                    tls,
                    volumes: [configDir, shm, ...(scheduler?.volumes ?? [])],
                    mounts: [
                        ...claims.map((claim) => ({ name: claim.name, mountPath: claim.name === "data" ? DATA_MOUNT : WAL_ARCHIVE_MOUNT })),
                        { name: configDir.name, mountPath: CONTAINER_LAYOUT.postgresConfigDir },
                        { name: shm.name, mountPath: "/dev/shm" },
                        ...(scheduler?.serverMounts ?? []),
                    ],
                    terminationGracePeriodSeconds: SERVER_STOP_SECONDS,
                    preStop: serverPreStop(),
                    sidecars: scheduler ? [scheduler.container] : undefined,
                    annotations: scheduler?.annotations,
                }),
                volumeClaimTemplates: claims.map((claim) => ({
                    metadata: { name: claim.name, labels: selectorLabels(serviceName) },
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: settings.storageClass,
                        resources: { requests: { storage: claim.size } },
                    },
                })),
            },
        },
        { parent, dependsOn: args.dependsOn, protect: spec.production },
    );
    return { service, statefulSet };
}
