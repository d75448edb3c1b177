// The writer's backup scheduler on Kubernetes (issue 13): a second container of the writer's
// pod, not a CronJob. pgBackRest backs up a local cluster only: it reads PGDATA and asks the
// server over its socket to start and stop the backup. A CronJob's pod could reach neither: the
// data claim is ReadWriteOnce (bound to the writer's node, often to its pod) and the socket is
// inside the writer's pod. Only pgBackRest's TLS server mode (a pgBackRest server in the
// writer's pod, certificates for both ends) would make a remote backup possible; a container in
// the same pod needs none of it and runs the same image, script and crontab as the Docker
// scheduler. CloudNativePG, too, takes its backups from the instance's pod.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
    CRONTAB_PATH,
    SCHEDULER_CAPABILITIES,
    SCHEDULER_COMMAND,
    SCHEDULER_NAME,
    SCHEDULER_SECRET_FILE,
    SOCKET_DIR,
    renderCrontab,
} from "../../self-hosted/backup-jobs";
import { DATA_MOUNT, WAL_ARCHIVE_MOUNT } from "../../self-hosted/server";
import { pgbackrestConfPath } from "../../render/pgbackrest";
import { CONTAINER_LAYOUT } from "../../render/layout";
import { configHash, fileKey, kubernetesSettingsOf, objectName, podLabels, type VolumeClaim } from "./plan";
import type { BackupAccess } from "../../self-hosted/backup-outputs";
import { writerService } from "../../self-hosted/endpoints";
import type { PlatformSpec } from "../../config";
import type { MountedFiles } from "./files";
import type { Placement } from "./pods";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** Annotation carrying the crontab's hash: it is mounted by subPath, which never changes in a running pod, so a new schedule rolls the pod. */
const SCHEDULE_HASH_ANNOTATION = "pg-platform.io/backup-schedule-hash";

/**
 * The backups as an operator reaches them on Kubernetes: the repository claim, and `kubectl
 * exec` into the scheduler, switching to postgres (kubectl exec runs as the container's user,
 * root, which without DAC_OVERRIDE could not read the repository). No one-command restore.
 */
export function kubernetesBackupAccess(spec: PlatformSpec): BackupAccess {
    const { namespace } = kubernetesSettingsOf(spec);
    // A StatefulSet's claims are named <template>-<set>-<ordinal>.
    const pod = `${objectName(writerService(spec))}-0`;
    return {
        volume: `wal-archive-${pod}`,
        asPostgres: `kubectl exec --namespace ${namespace} ${pod} --container ${SCHEDULER_NAME} -- setpriv --reuid=postgres --regid=postgres --init-groups`,
        restore: {
            unavailable: `PostgreSQL cannot stop inside the writer's pod while its scheduler restores over the data claim: scale the StatefulSet ${objectName(writerService(spec))} to 0 and run pgbackrest restore in a pod that mounts its claims (README: Backups, restore on Kubernetes)`,
        },
    };
}

/** The scheduler's share of the writer's pod. */
export interface SchedulerSidecar {
    /** The scheduler container. */
    readonly container: Container;
    /** Pod volumes it adds: the socket folder (shared with the server) and the crontab. */
    readonly volumes: Volume[];
    /** What the server container mounts as well: the socket folder. */
    readonly serverMounts: VolumeMount[];
    /** Pod annotations it adds (the crontab's hash). */
    readonly annotations: Record<string, string>;
}

/** Requests of the scheduler: crond idles; a job's pgBackRest or verification server takes what the node has spare. */
const SCHEDULER_REQUESTS = { cpu: "50m", memory: "64Mi" } as const;

/**
 * The scheduler in a writer's pod, when `backup.enabled`: busybox crond as root (to become
 * postgres for each job) with every capability but SETUID and SETGID dropped and no privilege
 * escalation, so a namespace enforcing the `restricted` Pod Security Standard (which forbids
 * root) refuses the pod, `baseline` admits it. It mounts the writer's claims, the shared socket
 * folder, its crontab (a ConfigMap) and, from the server's own ConfigMap and Secret, the
 * rendered pgbackrest.conf and pgBackRest's secret file. No probe: crond is its main process,
 * and a probe could only make the writer's pod unready.
 */
export function backupSchedulerSidecar(
    parent: pulumi.Resource,
    name: string,
    args: { readonly placement: Placement; readonly image: pulumi.Input<string>; readonly files: MountedFiles; readonly claims: readonly VolumeClaim[] },
): SchedulerSidecar | undefined {
    const { spec, service, namespace } = args.placement;
    if (!spec.backup.enabled) return undefined;
    const crontab = renderCrontab(spec);
    const schedule = new k8s.core.v1.ConfigMap(
        `${name}-backup-schedule`,
        { metadata: { name: `${objectName(service)}-backup-schedule`, namespace, labels: podLabels(service) }, data: { [fileKey(CRONTAB_PATH)]: crontab } },
        { parent },
    );
    const socket: Volume = { name: "socket", emptyDir: {} };
    const scheduleVolume: Volume = { name: "backup-schedule", configMap: { name: schedule.metadata.name } };
    const claimPaths: Record<string, string> = { data: DATA_MOUNT, "wal-archive": WAL_ARCHIVE_MOUNT };
    const shared = new Set([pgbackrestConfPath(CONTAINER_LAYOUT), SCHEDULER_SECRET_FILE]);
    const container: Container = {
        name: SCHEDULER_NAME,
        image: args.image,
        command: [...SCHEDULER_COMMAND],
        securityContext: {
            runAsUser: 0,
            runAsGroup: 0,
            runAsNonRoot: false,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"], add: [...SCHEDULER_CAPABILITIES] },
        },
        resources: { requests: { ...SCHEDULER_REQUESTS } },
        volumeMounts: [
            ...args.claims.map((claim) => ({ name: claim.name, mountPath: claimPaths[claim.name] })),
            { name: socket.name, mountPath: SOCKET_DIR },
            { name: scheduleVolume.name, mountPath: CRONTAB_PATH, subPath: fileKey(CRONTAB_PATH), readOnly: true },
            ...args.files.mounts.filter((mount) => typeof mount.mountPath === "string" && shared.has(mount.mountPath)),
        ],
    };
    return {
        container,
        volumes: [socket, scheduleVolume],
        serverMounts: [{ name: socket.name, mountPath: SOCKET_DIR }],
        annotations: { [SCHEDULE_HASH_ANNOTATION]: configHash([crontab]) },
    };
}
