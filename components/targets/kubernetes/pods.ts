// The pod template every self-hosted workload on Kubernetes uses: one container, non-root,
// files and certificate mounted, hashes that roll the pods on change.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ServiceName } from "../../self-hosted/services";
import type { PinnedImage } from "../../platform/images";
import type { PlatformSpec } from "../../config";
import { LABELS, kubernetesSettingsOf, podLabels, securityContexts, servicePort, type EnvVar, type Probes } from "./plan";
import { type MountedFiles } from "./files";
import { type MountedCertificate } from "./tls-secrets";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** Annotation carrying the hash of a pod's configuration, so a change rolls the pods. */
const CONFIG_HASH_ANNOTATION = "pg-platform.io/config-hash";

/**
 * Annotation carrying the hash of a pod's subPath-mounted secret files (see MountedFiles.secretHash):
 * a rotated password rolls a server, which then applies the new verifiers (writer) or logs in
 * with the new password (replica). A pool's auth file is live and rolls nothing.
 */
const SECRET_HASH_ANNOTATION = "pg-platform.io/secret-hash";

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
    /** Further containers of the pod, with their own user and mounts (the writer's backup scheduler). Default: none. */
    readonly sidecars?: readonly Container[];
    /** Further pod annotations (hashes of what the sidecars mount). Default: none. */
    readonly annotations?: Readonly<Record<string, string>>;
}

/** A pod template with one container, run as the image's non-root user without privileges, and any `sidecars`. */
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
                ...(pod.files.secretHash ? { [SECRET_HASH_ANNOTATION]: pod.files.secretHash } : {}),
                ...(pod.tls ? { [CERTIFICATE_HASH_ANNOTATION]: pod.tls.certificateHash } : {}),
                ...pod.annotations,
            },
        },
        spec: {
            securityContext: security.pod,
            // Nothing in these pods talks to the Kubernetes API.
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            imagePullSecrets: kubernetesSettingsOf(placement.spec).imagePullSecrets.map((secret) => ({ name: secret })),
            terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds,
            containers: [container, ...(pod.sidecars ?? [])],
            volumes: [...pod.files.volumes, ...(pod.tls ? [pod.tls.volume] : []), ...(pod.volumes ?? [])],
        },
    };
}
