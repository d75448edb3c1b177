import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_OWNER, serviceFiles as renderedFiles } from "../../self-hosted/files";
import { DATA_MOUNT, WAL_ARCHIVE_MOUNT, postgresCommand } from "../../self-hosted/server";
import { serviceOf, type ServiceName } from "../../self-hosted/services";
import type { PinnedImage } from "../../platform/images";
import { ENTRYPOINT_PATH, REPLICA_BOOTSTRAP_PATH, type HealthRole } from "../../image/runtime";
import { renderServices } from "../../render";
import { CONTAINER_LAYOUT } from "../../render/layout";
import type { PlatformSpec } from "../../config";
import type { TlsServiceName } from "../../self-hosted/tls/certificates";
import { serviceCertificate, type StackCa } from "../../self-hosted/tls/resources";
import {
    LABELS,
    
    SERVER_STOP_SECONDS,
    SIDECAR_RESOURCES,
    configHash,
    fileKey,
    fileStore,
    kubernetesCertificateNames,
    kubernetesSettingsOf,
    objectName,
    podLabels,
    securityContexts,
    selectorLabels,
    serverEnv,
    serverPreStop,
    serverProbes,
    serverResources,
    servicePort,
    shmSizeMb,
    tlsMount,
    volumeClaims,
    type EnvVar,
    type Probes,
} from "./plan";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** Annotation carrying the hash of a pod's configuration, so a change rolls the pods. */
const CONFIG_HASH_ANNOTATION = "pg-platform.io/config-hash";

/**
 * Annotation carrying the hash of a pod's certificate: a re-issued certificate (renewal, new
 * names) rolls the pods, as PostgreSQL and PgBouncer read their certificate files only at
 * start or reload.
 */
const CERTIFICATE_HASH_ANNOTATION = "pg-platform.io/certificate-hash";

/** Where a service runs and as whom; every object it gets is created under `parent`. */
export interface Placement {
    /** The stack's spec. */
    readonly spec: PlatformSpec;
    /** Which service. */
    readonly service: ServiceName;
    /** Namespace of every object (an Output of the Namespace resource when the stack creates it). */
    readonly namespace: pulumi.Input<string>;
}

/** A file that is not rendered but holds one secret value (a `_FILE` password). */
export interface SecretFile {
    /** Absolute path in the container. */
    readonly path: string;
    /** The value (secret). */
    readonly value: pulumi.Input<string>;
}

/** What a pod gets from its service's ConfigMap and Secret. */
export interface MountedFiles {
    /** Volumes to add to the pod. */
    readonly volumes: Volume[];
    /** Mounts of every file at its rendered path (subPath, read-only). */
    readonly mounts: VolumeMount[];
    /** Hash of the rendered files (without passwords), for the pod annotation. */
    readonly configHash: pulumi.Output<string>;
}

/**
 * The service's rendered files as a ConfigMap `<service>-config` (configuration, in clear) and
 * a Secret `<service>-files` (anything holding or derived from a password, plus `secretFiles`),
 * each file keyed by its basename and mounted at its rendered path.
 */
export function serviceFiles(
    parent: pulumi.Resource,
    name: string,
    placement: Placement,
    passwords: pulumi.Input<Record<string, string>>,
    secretFiles: readonly SecretFile[] = [],
): MountedFiles {
    const { spec, service, namespace } = placement;
    const rendered = serviceOf(renderServices(spec), service).files;
    const config: { path: string; content: pulumi.Input<string> }[] = [];
    const secret: { path: string; content: pulumi.Input<string> }[] = secretFiles.map((file) => ({ path: file.path, content: file.value }));
    const files = renderedFiles({ spec, service, passwords, layout: CONTAINER_LAYOUT });
    const dependent = new Set(files.filter((file) => file.secret).map((file) => file.path));
    for (const file of files) {
        const store = fileStore(file, dependent);
        if (store === "configMap") config.push({ path: file.path, content: file.content });
        else if (store === "secret") secret.push({ path: file.path, content: file.content });
    }

    const base = objectName(service);
    const metadata = (suffix: string) => ({ name: `${base}-${suffix}`, namespace, labels: podLabels(service) });
    const volumes: Volume[] = [];
    const mounts: VolumeMount[] = [];
    const mount = (volume: string, files: readonly { path: string }[]) =>
        files.forEach((file) => mounts.push({ name: volume, mountPath: file.path, subPath: fileKey(file.path), readOnly: true }));
    if (config.length > 0) {
        const map = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: metadata("config"), data: Object.fromEntries(config.map((file) => [fileKey(file.path), file.content])) },
            { parent },
        );
        volumes.push({ name: "config", configMap: { name: map.metadata.name } });
        mount("config", config);
    }
    if (secret.length > 0) {
        const files = new k8s.core.v1.Secret(
            `${name}-files`,
            {
                metadata: metadata("files"),
                type: "Opaque",
                stringData: pulumi.secret(pulumi.all(Object.fromEntries(secret.map((file) => [fileKey(file.path), file.content])))),
            },
            { parent },
        );
        // Owner read only; kubelet adds group read for the pod's fsGroup, which is the service's own user.
        volumes.push({ name: "secrets", secret: { secretName: files.metadata.name, defaultMode: 0o400 } });
        mount("secrets", secret);
    }
    // Over every rendered file as rendered without passwords (placeholders, no secret in the
    // hash): a database, role or slot added to the config changes only the init SQL, which sits
    // in the Secret, and the writer must still restart to apply it.
    return { volumes, mounts, configHash: pulumi.output(configHash(rendered.map((file) => file.content))) };
}

/** A service's certificate as its pod mounts it. */
export interface MountedCertificate {
    /** The volume of the service's TLS Secret. */
    readonly volume: Volume;
    /** Its mount at the rendered TLS folder. */
    readonly mount: VolumeMount;
    /** Hash of the certificate, for the pod annotation. */
    readonly certificateHash: pulumi.Output<string>;
}

/**
 * A certificate signed by the stack's CA for a server or pool, named for the cluster's DNS,
 * stored with its key and the CA certificate in a `kubernetes.io/tls` Secret `<service>-tls`
 * (the key only ever as a secret) and mounted at the rendered TLS paths (see tlsMount).
 */
export function serviceTls(parent: pulumi.Resource, name: string, placement: Placement & { readonly service: TlsServiceName }, ca: StackCa): MountedCertificate {
    const { spec, service, namespace } = placement;
    const issued = serviceCertificate(parent, name, kubernetesCertificateNames(service, kubernetesSettingsOf(spec).namespace), ca);
    const secret = new k8s.core.v1.Secret(
        `${name}-tls-secret`,
        {
            metadata: { name: `${objectName(service)}-tls`, namespace, labels: podLabels(service) },
            type: "kubernetes.io/tls",
            stringData: { "tls.crt": issued.certificate, "tls.key": issued.privateKey, "ca.crt": ca.certificate },
        },
        { parent },
    );
    const mount = tlsMount(service);
    return {
        volume: { name: "tls", secret: { secretName: secret.metadata.name, items: mount.items.map((item) => ({ ...item })) } },
        mount: { name: "tls", mountPath: mount.mountPath, readOnly: true },
        certificateHash: issued.certificate.apply((pem) => configHash([pem])),
    };
}

/** The ClusterIP Service named as the renderer names the host (`primary`, `pooler-session`…). */
export function clusterService(parent: pulumi.Resource, name: string, placement: Placement): k8s.core.v1.Service {
    const port = servicePort(placement.service);
    return new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: { name: objectName(placement.service), namespace: placement.namespace, labels: podLabels(placement.service) },
            spec: {
                type: "ClusterIP",
                selector: selectorLabels(placement.service),
                ports: [{ name: port.name, port: port.port, targetPort: port.name, protocol: "TCP" }],
            },
        },
        { parent },
    );
}

/** What {@link podTemplate} builds a pod from. */
export interface PodArgs {
    /** The service. */
    readonly placement: Placement;
    /** Image by digest. */
    readonly image: pulumi.Input<string>;
    /** The user the image runs as. */
    readonly user: Pick<PinnedImage, "uid" | "gid">;
    /** Entrypoint (`command`). */
    readonly command: string[];
    /** Arguments. */
    readonly args: string[];
    /** Plain environment (never a secret). */
    readonly env: readonly EnvVar[];
    /** Probes. */
    readonly probes: Probes;
    /** Requests and limits. */
    readonly resources: k8s.types.input.core.v1.ResourceRequirements;
    /** Mounted files. */
    readonly files: MountedFiles;
    /** The service's certificate, when `postgres.tls.enabled`. Default: none. */
    readonly tls?: MountedCertificate;
    /** Further pod volumes (claims from volumeClaimTemplates need none). Default: none. */
    readonly volumes?: readonly Volume[];
    /** Further mounts. Default: none. */
    readonly mounts?: readonly VolumeMount[];
    /** Seconds to shut down gracefully. Default: Kubernetes' 30. */
    readonly terminationGracePeriodSeconds?: number;
    /** Command run before the container is sent SIGTERM. Default: none. */
    readonly preStop?: string[];
}

/** A pod template with one container, run as the image's non-root user without privileges. */
export function podTemplate(pod: PodArgs): k8s.types.input.core.v1.PodTemplateSpec {
    const { placement } = pod;
    const security = securityContexts(pod.user);
    const port = servicePort(placement.service);
    const container: Container = {
        name: podLabels(placement.service)[LABELS.name],
        image: pod.image,
        command: pod.command,
        args: pod.args,
        env: pod.env.map((variable) => ({ ...variable })),
        ports: [{ name: port.name, containerPort: port.port, protocol: "TCP" }],
        ...pod.probes,
        resources: pod.resources,
        securityContext: security.container,
        lifecycle: pod.preStop ? { preStop: { exec: { command: pod.preStop } } } : undefined,
        volumeMounts: [...pod.files.mounts, ...(pod.tls ? [pod.tls.mount] : []), ...(pod.mounts ?? [])],
    };
    return {
        metadata: {
            labels: podLabels(placement.service),
            annotations: {
                [CONFIG_HASH_ANNOTATION]: pod.files.configHash,
                ...(pod.tls ? { [CERTIFICATE_HASH_ANNOTATION]: pod.tls.certificateHash } : {}),
            },
        },
        spec: {
            securityContext: security.pod,
            // Nothing in these pods talks to the Kubernetes API.
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            imagePullSecrets: kubernetesSettingsOf(placement.spec).imagePullSecrets.map((secret) => ({ name: secret })),
            terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds,
            containers: [container],
            volumes: [...pod.files.volumes, ...(pod.tls ? [pod.tls.volume] : []), ...(pod.volumes ?? [])],
        },
    };
}

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
                    command: replica ? [REPLICA_BOOTSTRAP_PATH, ENTRYPOINT_PATH] : [ENTRYPOINT_PATH],
                    args: postgresCommand(spec, replica ? "replica" : "writer"),
                    env: serverEnv(spec, serviceName),
                    probes: serverProbes(spec, args.healthRole),
                    resources: serverResources(spec),
                    files,
                    tls,
                    volumes: [configDir, shm],
                    mounts: [
                        ...claims.map((claim) => ({ name: claim.name, mountPath: claim.name === "data" ? DATA_MOUNT : WAL_ARCHIVE_MOUNT })),
                        { name: configDir.name, mountPath: CONTAINER_LAYOUT.postgresConfigDir },
                        { name: shm.name, mountPath: "/dev/shm" },
                    ],
                    terminationGracePeriodSeconds: SERVER_STOP_SECONDS,
                    preStop: serverPreStop(),
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

/** A pool or the exporter. */
export interface SidecarArgs extends Placement {
    /** The pinned image and its user. */
    readonly image: PinnedImage;
    /** Arguments after the image's binary. */
    readonly args: string[];
    /** Plain environment (never a secret). Default: none. */
    readonly env?: readonly EnvVar[];
    /** Probes. */
    readonly probes: Probes;
    /** Clear passwords the service's files need, by role (secret). */
    readonly passwords: pulumi.Input<Record<string, string>>;
    /** The stack's CA, for a pool when `postgres.tls.enabled`: it signs the pool's certificate. Default: none (the exporter presents none). */
    readonly ca?: StackCa;
    /** Resources created first (the primary). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * A stateless service (PgBouncer pool, exporter) as a one-pod Deployment with its Service and
 * files, running its pinned image's binary directly as the image's own non-root user.
 */
export function sidecarDeployment(parent: pulumi.Resource, name: string, args: SidecarArgs): k8s.apps.v1.Deployment {
    const files = serviceFiles(parent, name, args, args.passwords);
    const { service } = args;
    const tls = args.ca && service !== "exporter" ? serviceTls(parent, name, { ...args, service }, args.ca) : undefined;
    clusterService(parent, name, args);
    return new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        {
            metadata: { name: objectName(args.service), namespace: args.namespace, labels: podLabels(args.service) },
            spec: {
                replicas: 1,
                selector: { matchLabels: selectorLabels(args.service) },
                template: podTemplate({
                    placement: args,
                    image: args.image.ref,
                    user: args.image,
                    command: [args.image.binary],
                    args: args.args,
                    env: args.env ?? [],
                    probes: args.probes,
                    resources: { requests: { ...SIDECAR_RESOURCES.requests }, limits: { ...SIDECAR_RESOURCES.limits } },
                    files,
                    tls,
                }),
            },
        },
        { parent, dependsOn: args.dependsOn },
    );
}
