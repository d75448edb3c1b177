// Pure decisions of the Kubernetes target: names, labels, probes, resources, where each
// rendered file is stored, environment. No Pulumi import, so they are table-tested as plain
// functions and read the same in every component.
import * as path from "node:path";
import { createHash } from "node:crypto";
import { SECRET_FILES, writerEnvironment } from "../../self-hosted/server";
import { containerPort, replicaNumber, type ServiceName } from "../../self-hosted/services";
import { POOLER_READY_COMMAND, PROBE_RETRIES, TIMINGS } from "../../self-hosted/health";
import type { PinnedImage } from "../../platform/images";
import { HEALTHCHECK_PATH, REPLICA_BOOTSTRAP_ENV, healthcheckArgs, type HealthRole } from "../../image/runtime";
import { SECRET_MODE, type RenderedFile } from "../../render";
import { CONTAINER_LAYOUT, SERVICE_HOSTS, filePaths } from "../../render/layout";
import { replicaSlotName, replicationSslmode } from "../../render/postgresql-conf";
import { ConfigError, memoryMb, type PlatformSpec } from "../../config";
import { CONTAINER_PORTS, PLATFORM_ROLES, PROJECT } from "../../platform/constants";
import type { KubernetesSettings } from "../../config/targets/kubernetes";
import { certificateNames, certificatePaths, type CertificateNames, type TlsServiceName } from "../../self-hosted/tls/certificates";

/** The stack's `pg-platform:kubernetes` settings; the schema makes them required for this target. */
export function kubernetesSettingsOf(spec: PlatformSpec): KubernetesSettings {
    if (!spec.kubernetes) throw new ConfigError([`${PROJECT}:kubernetes: target "kubernetes" needs its own settings under ${PROJECT}:kubernetes`]);
    return spec.kubernetes;
}

/**
 * Refusals specific to this target, checked before any resource exists. A cluster pulls its
 * images from a registry, so a build that is only loaded into the local Docker engine could
 * never start: it must be pushed, or the stack must name a prebuilt image.
 */
export function validateKubernetes(spec: PlatformSpec): void {
    kubernetesSettingsOf(spec);
    const problems: string[] = [];
    if (spec.image.prebuilt === undefined && !spec.image.push) {
        problems.push(
            `${PROJECT}:image.push: the kubernetes target pulls the PostgreSQL image from a registry, so a build must be pushed: set image.push: true and image.repository (e.g. ghcr.io/acme/postgres), or set image.prebuilt to a digest-pinned reference (got push: false)`,
        );
    }
    if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * Kubernetes name of a service's objects (Service, StatefulSet or Deployment): the renderer's
 * host name, so `primary`, `pooler-session`… in the rendered files resolve inside the
 * namespace. A single node is reached as `primary` like on Docker.
 */
export function objectName(service: ServiceName): string {
    return service === "single" ? SERVICE_HOSTS.primary : service;
}

/** In-cluster DNS name of a service: `<name>.<namespace>.svc.cluster.local`. */
export function serviceDnsName(service: ServiceName, namespace: string): string {
    return `${objectName(service)}.${namespace}.svc.cluster.local`;
}

/**
 * The names a service's certificate covers on Kubernetes, so `sslmode=verify-full` succeeds
 * however a client in the cluster dials it: the Service name within the namespace (what pools
 * and replicas dial), `<service>.<namespace>.svc` and `<service>.<namespace>.svc.cluster.local`
 * from other namespaces, and `localhost` and loopback (`kubectl port-forward`, or inside the pod).
 */
export function kubernetesCertificateNames(service: TlsServiceName, namespace: string): CertificateNames {
    const name = objectName(service);
    return certificateNames(service, [`${name}.${namespace}.svc`, serviceDnsName(service, namespace)]);
}

/** One file of a service's TLS Secret as the pod sees it. */
export interface TlsSecretItem {
    /** Key in the `kubernetes.io/tls` Secret. */
    readonly key: "tls.crt" | "tls.key" | "ca.crt";
    /** File name in the mounted folder: the rendered path's basename. */
    readonly path: string;
    /** File mode asked of kubelet (which adds group read for the pod's fsGroup). */
    readonly mode: number;
}

/** Where a service's TLS Secret is mounted and which file each key becomes. */
export interface TlsMount {
    /** The folder the rendered files name (`/etc/postgresql/tls`, `/etc/pgbouncer/tls`). */
    readonly mountPath: string;
    /** Certificate and CA certificate 0644, the key 0600. */
    readonly items: readonly TlsSecretItem[];
}

/**
 * How a server's or pool's certificate reaches its container: the `kubernetes.io/tls` Secret
 * mounted as a folder at the rendered TLS paths (not with subPath, so kubelet can swap it).
 * Kubelet writes Secret files owned by root, group the pod's fsGroup, and adds group read to
 * the requested mode, so the key is root:<service's gid> 0640. PostgreSQL accepts exactly
 * that: a key owned by the database user must be 0600 or less, one owned by root 0640 or less,
 * and the server reads it through its group. PgBouncer does not check the key's mode.
 */
export function tlsMount(service: TlsServiceName): TlsMount {
    const paths = certificatePaths(service, CONTAINER_LAYOUT);
    return {
        mountPath: path.posix.dirname(paths.key),
        items: [
            { key: "tls.crt", path: fileKey(paths.cert), mode: 0o644 },
            { key: "ca.crt", path: fileKey(paths.ca), mode: 0o644 },
            { key: "tls.key", path: fileKey(paths.key), mode: 0o600 },
        ],
    };
}

/** What a pod is, for the NetworkPolicy: a PostgreSQL server, a pool or the exporter. */
export type PodKind = "server" | "pooler" | "exporter";

/** The kind of a service's pods. */
export function podKind(service: ServiceName): PodKind {
    if (service === "exporter") return "exporter";
    return service.startsWith("pooler-") ? "pooler" : "server";
}

/** Label keys the platform sets (recommended `app.kubernetes.io/*` labels plus its own kind). */
export const LABELS = {
    partOf: "app.kubernetes.io/part-of",
    component: "app.kubernetes.io/component",
    name: "app.kubernetes.io/name",
    managedBy: "app.kubernetes.io/managed-by",
    kind: `${PROJECT}.io/kind`,
    /** Set by users on application pods that connect to PostgreSQL directly (primaryUrl, readOnlyUrl). */
    client: `${PROJECT}.io/client`,
} as const;

/** The selector of a service's pods: stable across updates (a selector is immutable). */
export function selectorLabels(service: ServiceName): Record<string, string> {
    return { [LABELS.partOf]: PROJECT, [LABELS.component]: objectName(service) };
}

const PROGRAM: Readonly<Record<PodKind, string>> = { server: "postgresql", pooler: "pgbouncer", exporter: "postgres-exporter" };

/** Every label of a service's objects and pods: the selector plus program, kind and manager. */
export function podLabels(service: ServiceName): Record<string, string> {
    const kind = podKind(service);
    return { ...selectorLabels(service), [LABELS.name]: PROGRAM[kind], [LABELS.kind]: kind, [LABELS.managedBy]: "pulumi" };
}

/** Where a rendered file is stored. */
export type FileStore = "configMap" | "secret" | "bootstrap";

/**
 * Where a rendered file goes: a Secret when it holds a clear password (mode 0600) or its
 * content depends on one (the init SQL's SCRAM verifiers), else a ConfigMap so a preview
 * shows the change line by line. A replica's libpq passfile is left to the image's bootstrap,
 * which writes it with mode 0600 from the replication password: kubelet adds group read to
 * every Secret file under `fsGroup`, and libpq ignores a passfile that group members can read.
 */
export function fileStore(file: Pick<RenderedFile, "path" | "mode">, passwordDependent: ReadonlySet<string>): FileStore {
    if (file.path === filePaths(CONTAINER_LAYOUT).replicationPassfile) return "bootstrap";
    return file.mode === SECRET_MODE || passwordDependent.has(file.path) ? "secret" : "configMap";
}

/** Key of a file in its ConfigMap or Secret: its basename, which the policy pack reads. */
export function fileKey(filePath: string): string {
    return path.posix.basename(filePath);
}

/**
 * Hash of a pod's rendered files (rendered without passwords, so no secret is hashed), set as
 * a pod annotation so a change rolls the pods (files mounted with subPath are not refreshed in place).
 */
export function configHash(contents: readonly string[]): string {
    return createHash("sha256").update(contents.join("\0")).digest("hex").slice(0, 16);
}

/** Resource requests and limits of one container, as Kubernetes quantities. */
export interface ContainerResources {
    /** What the scheduler reserves. */
    readonly requests: { readonly cpu: string; readonly memory: string };
    /** What the container may use. */
    readonly limits: { readonly cpu: string; readonly memory: string };
}

/**
 * A PostgreSQL server's resources: requests equal to limits (Guaranteed QoS, so it is the
 * last to be evicted), from `postgres.memory` and `postgres.cpus`. The image's auto-tuning
 * reads the limits back from the cgroup.
 */
export function serverResources(spec: PlatformSpec): ContainerResources {
    const quantities = { cpu: String(spec.postgres.cpus), memory: `${memoryMb(spec)}Mi` };
    return { requests: quantities, limits: quantities };
}

/** Pools and exporter: small, fixed requests; memory capped (both hold little state), CPU not throttled. */
export const COMPANION_RESOURCES = {
    requests: { cpu: "50m", memory: "32Mi" },
    limits: { memory: "256Mi" },
} as const;

/** Size of PostgreSQL's shared memory (/dev/shm) for parallel queries: a quarter of its memory, at least 64 MB. */
export function shmSizeMb(spec: PlatformSpec): number {
    return Math.max(64, Math.floor(memoryMb(spec) / 4));
}

/** A probe as the Kubernetes API takes it (only the forms this target uses). */
export interface Probe {
    /** Run a command in the container. */
    readonly exec?: { readonly command: string[] };
    /** GET a path on a port. */
    readonly httpGet?: { readonly path: string; readonly port: number };
    /** Seconds between probes. */
    readonly periodSeconds: number;
    /** Seconds before one probe counts as failed. */
    readonly timeoutSeconds: number;
    /** Consecutive failures before acting. */
    readonly failureThreshold: number;
}

/** The probes of one container. */
export interface Probes {
    /** Until it first succeeds, the other probes wait: covers initdb and a replica's base backup. */
    readonly startupProbe: Probe;
    /** Failing: the pod leaves its Service's endpoints. */
    readonly readinessProbe: Probe;
    /** Failing: the container is restarted. Lenient, so a busy server is not killed. */
    readonly livenessProbe: Probe;
}

/** Seconds a new server may take to start (initdb and init SQL, or a replica's base backup): as on Docker. */
export const SERVER_START_SECONDS = TIMINGS.serverStart;

function probes(check: Pick<Probe, "exec" | "httpGet">, startSeconds: number): Probes {
    const timing = { periodSeconds: TIMINGS.probeInterval, timeoutSeconds: TIMINGS.probeTimeout };
    return {
        startupProbe: { ...check, ...timing, failureThreshold: Math.ceil(startSeconds / TIMINGS.probeInterval) },
        // Out of the Service's endpoints sooner than restarted: a busy server stops taking new clients first.
        readinessProbe: { ...check, ...timing, failureThreshold: 3 },
        livenessProbe: { ...check, ...timing, failureThreshold: PROBE_RETRIES },
    };
}

/** A PostgreSQL server's probes: the image's healthcheck with the spec's expectations (role, extensions, preloads). */
export function serverProbes(spec: PlatformSpec, role: HealthRole): Probes {
    return probes({ exec: { command: [HEALTHCHECK_PATH, ...healthcheckArgs(spec, role)] } }, SERVER_START_SECONDS);
}

/** A pool's probes: PgBouncer answers the protocol (`pg_isready` ships in its image, as on Docker). */
export function poolerProbes(): Probes {
    return probes({ exec: { command: POOLER_READY_COMMAND } }, TIMINGS.companionStart);
}

/** The exporter's probes: its landing page answers. */
export function exporterProbes(): Probes {
    return probes({ httpGet: { path: "/", port: CONTAINER_PORTS.exporter } }, TIMINGS.companionStart);
}

/** Seconds Kubernetes gives a server to stop (then SIGKILL): room for the shutdown checkpoint, as on Docker. */
export const SERVER_STOP_SECONDS = TIMINGS.serverStop;

/**
 * Run before Kubernetes sends SIGTERM, which PostgreSQL takes as a smart shutdown: it waits
 * for every client to disconnect, the pools never do, and the grace period would end in
 * SIGKILL and crash recovery. A fast shutdown ends the sessions and checkpoints instead, as
 * Docker's SIGINT does.
 */
export function serverPreStop(): string[] {
    return ["/bin/sh", "-c", `pg_ctl stop --mode=fast --wait --timeout=${SERVER_STOP_SECONDS - 10} --pgdata="$PGDATA"`];
}

/** Pod and container security settings of a service. */
export interface SecurityContexts {
    /** Pod level: run as the image's user, volumes group-owned by it. */
    readonly pod: {
        readonly runAsNonRoot: true;
        readonly runAsUser: number;
        readonly runAsGroup: number;
        readonly fsGroup: number;
        readonly seccompProfile: { readonly type: "RuntimeDefault" };
    };
    /** Container level: no privilege escalation, no capabilities. */
    readonly container: {
        readonly allowPrivilegeEscalation: false;
        readonly capabilities: { readonly drop: ["ALL"] };
    };
}

/** Security contexts for a pod running as `user`. */
export function securityContexts(user: Pick<PinnedImage, "uid" | "gid">): SecurityContexts {
    return {
        pod: { runAsNonRoot: true, runAsUser: user.uid, runAsGroup: user.gid, fsGroup: user.gid, seccompProfile: { type: "RuntimeDefault" } },
        container: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    };
}

/** An environment variable with a plain value (never a secret: secrets arrive as files). */
export interface EnvVar {
    /** Name. */
    readonly name: string;
    /** Value. */
    readonly value: string;
}

/** Environment of a PostgreSQL server: secrets only as `_FILE` paths to mounted Secret keys. */
export function serverEnv(spec: PlatformSpec, service: ServiceName): EnvVar[] {
    const replica = replicaNumber(service);
    if (replica === undefined) return writerEnvironment(spec);
    const env = REPLICA_BOOTSTRAP_ENV;
    return [
        { name: env.primaryHost, value: SERVICE_HOSTS.primary },
        { name: env.primaryPort, value: String(CONTAINER_PORTS.postgres) },
        { name: env.user, value: PLATFORM_ROLES.replication },
        { name: env.passwordFile, value: SECRET_FILES.replicationPassword },
        { name: env.slot, value: replicaSlotName(replica) },
        { name: env.sslmode, value: replicationSslmode(spec) },
        // The path the rendered primary_conninfo names; the bootstrap writes it (see fileStore).
        { name: env.passfile, value: filePaths(CONTAINER_LAYOUT).replicationPassfile },
        // pg_basebackup -R writes its own primary_conninfo (without sslrootcert) into
        // postgresql.auto.conf, which wins over the rendered file: libpq's PGSSLROOTCERT makes
        // the bootstrap and the WAL receiver verify the primary against the stack's CA alike.
        ...(spec.postgres.tls.enabled ? [{ name: "PGSSLROOTCERT", value: filePaths(CONTAINER_LAYOUT).tlsCa }] : []),
    ];
}

/** The port a service's Service and container expose. */
export function servicePort(service: ServiceName): { readonly name: string; readonly port: number } {
    const kind = podKind(service);
    return { name: kind === "server" ? "postgresql" : kind === "pooler" ? "pgbouncer" : "metrics", port: containerPort(service) };
}

/** Claims of a server's StatefulSet: name and size. */
export interface VolumeClaim {
    /** Claim template name (the PVC is `<name>-<statefulset>-0`). */
    readonly name: "data" | "wal-archive";
    /** Requested size. */
    readonly size: string;
}

/** A server's claims: data (`storageSize`), and the WAL archive on a writer when `backup.enabled`. */
export function volumeClaims(spec: PlatformSpec, service: ServiceName): VolumeClaim[] {
    const settings = kubernetesSettingsOf(spec);
    const claims: VolumeClaim[] = [{ name: "data", size: settings.storageSize }];
    if (spec.backup.enabled && replicaNumber(service) === undefined)
        claims.push({ name: "wal-archive", size: settings.walArchiveSize ?? settings.storageSize });
    return claims;
}

/**
 * Who may open a connection to PostgreSQL (primary, replicas, single node): the pools, the
 * exporter and the other servers (replicas stream from the primary) of this namespace, and
 * pods in any namespace that carry `pg-platform.io/client: "true"` (applications that use
 * primaryUrl or readOnlyUrl directly). Pools and the exporter are not restricted beyond the
 * cluster: applications reach the database through the pools.
 */
export function postgresIngressPeers(): { readonly kinds: readonly PodKind[]; readonly clientLabel: Record<string, string> } {
    return { kinds: ["server", "pooler", "exporter"], clientLabel: { [LABELS.client]: "true" } };
}
