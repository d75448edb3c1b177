// Type-only imports: the pack reads plain input props and must not load the provider SDKs
// (the AWS one alone takes seconds), yet each check is typed by the provider's own args.
import type { Unwrap } from "@pulumi/pulumi";
import type { ParameterGroupArgs } from "@pulumi/aws/rds/parameterGroup";
import type { InstanceArgs } from "@pulumi/aws/rds/instance";
import type { ProxyArgs } from "@pulumi/aws/rds/proxy";
import type { ContainerArgs } from "@pulumi/docker/container";
import type { RemoteImageArgs } from "@pulumi/docker/remoteImage";
import type { ImageArgs } from "@pulumi/docker-build/image";
import type { DatabaseInstanceArgs } from "@pulumi/gcp/sql/databaseInstance";

// The rules read a handful of Kubernetes fields, on any pod owner or file-carrying object;
// they are declared here, named exactly as in the Kubernetes API, rather than taken from the
// @pulumi/kubernetes SDK's deeply Input-wrapped args.

/** A container of a Kubernetes pod spec (the fields the rules read). */
export interface KubernetesContainer {
    /** Container name. */
    readonly name?: string;
    /** Image reference. */
    readonly image?: string;
    /** Environment variables; `value` is absent when taken from a Secret or ConfigMap. */
    readonly env?: readonly { readonly name: string; readonly value?: string }[];
    /** Ports; `hostPort` publishes one on the node's interfaces (`hostIP`, default every address). */
    readonly ports?: readonly { readonly containerPort: number; readonly hostPort?: number; readonly hostIP?: string }[];
}

/** A Kubernetes pod spec (the fields the rules read). */
export interface KubernetesPodSpec {
    /** Main containers. */
    readonly containers?: readonly KubernetesContainer[];
    /** Init containers. */
    readonly initContainers?: readonly KubernetesContainer[];
    /** Ephemeral (debug) containers. */
    readonly ephemeralContainers?: readonly KubernetesContainer[];
    /** The pod shares the node's network namespace, so every port it listens on is on the node's interfaces. */
    readonly hostNetwork?: boolean;
}

interface PodTemplate {
    readonly spec?: KubernetesPodSpec;
}

/** Deployment, StatefulSet, DaemonSet, ReplicaSet and Job: a pod template under `spec.template`. */
export interface KubernetesWorkload {
    /** Workload spec. */
    readonly spec?: { readonly template?: PodTemplate };
}

/** A CronJob: its pod template sits one level deeper, under `spec.jobTemplate.spec.template`. */
export interface KubernetesCronJob {
    /** CronJob spec. */
    readonly spec?: { readonly jobTemplate?: { readonly spec?: { readonly template?: PodTemplate } } };
}

/** A Kubernetes Service (the fields the rules read). */
export interface KubernetesService {
    /** Service spec. */
    readonly spec?: {
        /** ClusterIP (the API's default), NodePort, LoadBalancer or ExternalName. */
        readonly type?: string;
        /** Node addresses the Service also answers on, whatever its type. */
        readonly externalIPs?: readonly string[];
    };
}

/** A ConfigMap or Secret: file contents keyed by file name. */
export interface KubernetesFiles {
    /** ConfigMap: plain text. Secret: base64. */
    readonly data?: Readonly<Record<string, string>>;
    /** Secret only: plain text. */
    readonly stringData?: Readonly<Record<string, string>>;
    /** ConfigMap only: base64. */
    readonly binaryData?: Readonly<Record<string, string>>;
}

/** Type tokens of every resource a rule inspects. */
export const TYPES = {
    dockerContainer: "docker:index/container:Container",
    dockerRemoteImage: "docker:index/remoteImage:RemoteImage",
    dockerBuildImage: "docker-build:index:Image",
    kubernetesConfigMap: "kubernetes:core/v1:ConfigMap",
    kubernetesSecret: "kubernetes:core/v1:Secret",
    kubernetesService: "kubernetes:core/v1:Service",
    kubernetesPod: "kubernetes:core/v1:Pod",
    kubernetesDeployment: "kubernetes:apps/v1:Deployment",
    kubernetesStatefulSet: "kubernetes:apps/v1:StatefulSet",
    kubernetesDaemonSet: "kubernetes:apps/v1:DaemonSet",
    kubernetesReplicaSet: "kubernetes:apps/v1:ReplicaSet",
    kubernetesJob: "kubernetes:batch/v1:Job",
    kubernetesCronJob: "kubernetes:batch/v1:CronJob",
    rdsInstance: "aws:rds/instance:Instance",
    rdsParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
    rdsProxy: "aws:rds/proxy:Proxy",
    cloudSqlInstance: "gcp:sql/databaseInstance:DatabaseInstance",
} as const;

/** The input props of each inspected type, as CrossGuard hands them to a rule (no Outputs). */
export interface ResourceProps {
    [TYPES.dockerContainer]: Unwrap<ContainerArgs>;
    [TYPES.dockerRemoteImage]: Unwrap<RemoteImageArgs>;
    [TYPES.dockerBuildImage]: Unwrap<ImageArgs>;
    [TYPES.kubernetesConfigMap]: KubernetesFiles;
    [TYPES.kubernetesSecret]: KubernetesFiles;
    [TYPES.kubernetesService]: KubernetesService;
    [TYPES.kubernetesPod]: { readonly spec?: KubernetesPodSpec };
    [TYPES.kubernetesDeployment]: KubernetesWorkload;
    [TYPES.kubernetesStatefulSet]: KubernetesWorkload;
    [TYPES.kubernetesDaemonSet]: KubernetesWorkload;
    [TYPES.kubernetesReplicaSet]: KubernetesWorkload;
    [TYPES.kubernetesJob]: KubernetesWorkload;
    [TYPES.kubernetesCronJob]: KubernetesCronJob;
    [TYPES.rdsInstance]: Unwrap<InstanceArgs>;
    [TYPES.rdsParameterGroup]: Unwrap<ParameterGroupArgs>;
    [TYPES.rdsProxy]: Unwrap<ProxyArgs>;
    [TYPES.cloudSqlInstance]: Unwrap<DatabaseInstanceArgs>;
}

/** A type token a rule can inspect. */
export type ResourceType = keyof ResourceProps;

/** A resource as every rule sees it: type token, logical name and input props. */
export interface InspectedResource {
    /** Type token. */
    readonly type: string;
    /** Logical name (what exceptions name). */
    readonly name: string;
    /** Input props. */
    readonly props: Record<string, unknown>;
}

/** The resource's props typed as `type`'s args, or undefined when it is another type. */
export function propsOf<T extends ResourceType>(resource: InspectedResource, type: T): ResourceProps[T] | undefined {
    return resource.type === type ? (resource.props as ResourceProps[T]) : undefined;
}

const WORKLOADS: readonly ResourceType[] = [
    TYPES.kubernetesDeployment,
    TYPES.kubernetesStatefulSet,
    TYPES.kubernetesDaemonSet,
    TYPES.kubernetesReplicaSet,
    TYPES.kubernetesJob,
];

/** Kubernetes types that carry a pod spec (and so containers). */
export const KUBERNETES_POD_OWNERS: readonly ResourceType[] = [TYPES.kubernetesPod, ...WORKLOADS, TYPES.kubernetesCronJob];

/** The pod spec of a Kubernetes pod, workload or CronJob; undefined for any other resource. */
export function kubernetesPodSpec(resource: InspectedResource): KubernetesPodSpec | undefined {
    if (resource.type === TYPES.kubernetesPod) return propsOf(resource, TYPES.kubernetesPod)?.spec;
    if (resource.type === TYPES.kubernetesCronJob) return propsOf(resource, TYPES.kubernetesCronJob)?.spec?.jobTemplate?.spec?.template?.spec;
    if (WORKLOADS.includes(resource.type as ResourceType)) return (resource.props as KubernetesWorkload).spec?.template?.spec;
    return undefined;
}

/** Every container of a Kubernetes pod, workload or CronJob (init and ephemeral ones included). */
export function kubernetesContainers(resource: InspectedResource): KubernetesContainer[] {
    const spec = kubernetesPodSpec(resource);
    return [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])];
}

/**
 * Whether an RDS DB parameter group family is RDS for PostgreSQL's, e.g. `postgres17`. Aurora's
 * (`aurora-postgresql16`) is not: Aurora keeps the password, TLS and logical-replication
 * settings the rules read in cluster parameter groups, which the rules do not inspect.
 */
export function isPostgresFamily(family: string): boolean {
    return /^postgres\d+$/.test(family);
}

/** An RDS parameter group's parameters by lower-case name (RDS names are case-insensitive). */
export function rdsParameters(group: ResourceProps[typeof TYPES.rdsParameterGroup]): Map<string, string> {
    return new Map((group.parameters ?? []).map((p) => [p.name.toLowerCase(), String(p.value).trim()]));
}

/** A Cloud SQL instance's database flags by name. */
export function cloudSqlFlags(instance: ResourceProps[typeof TYPES.cloudSqlInstance]): Map<string, string> {
    return new Map((instance.settings?.databaseFlags ?? []).map((f) => [f.name.toLowerCase(), String(f.value).trim()]));
}

/** Whether an RDS instance is a read replica (it inherits storage and backups from its source). */
export function isRdsReplica(instance: ResourceProps[typeof TYPES.rdsInstance]): boolean {
    return Boolean(instance.replicateSourceDb);
}

/** Whether a Cloud SQL instance is a read replica (Cloud SQL refuses backups on replicas). */
export function isCloudSqlReplica(instance: ResourceProps[typeof TYPES.cloudSqlInstance]): boolean {
    return Boolean(instance.masterInstanceName);
}
