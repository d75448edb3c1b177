import { isSet, known } from "./unknowns";

// The inputs the rules read, declared here (named exactly as in each provider's API) rather than
// imported from the provider SDKs: the pack ships alone (`pulumi policy publish` uploads this
// folder only), and the AWS and GCP SDKs alone weigh 170 MB. test/policies/resource-shapes.test.ts
// type-checks each SDK's own args against these, so a renamed or retyped field fails there.

/** docker.Container (the fields the rules read). */
export interface DockerContainerProps {
    /** Image reference or ID. */
    readonly image?: string;
    /** `NAME=value` entries. */
    readonly envs?: readonly string[];
    /** Files written into the container before it starts. */
    readonly uploads?: readonly { readonly file: string; readonly content?: string; readonly contentBase64?: string }[];
    /** Published ports; `ip` is the host interface (Docker's default: every interface). */
    readonly ports?: readonly { readonly internal: number; readonly external?: number; readonly ip?: string }[];
    /** `host` shares the host's network namespace. */
    readonly networkMode?: string;
    /** The command (after the entrypoint). */
    readonly command?: readonly string[];
    /** The provider runs it to its end and waits (a one-shot job). */
    readonly attach?: boolean;
    /** Restart policy (`no`, `on-failure`, `always`, `unless-stopped`). */
    readonly restart?: string;
}

/** docker.RemoteImage (the fields the rules read). */
export interface DockerRemoteImageProps {
    /** The reference pulled. */
    readonly name: string;
}

/** docker-build.Image (the fields the rules read). */
export interface DockerBuildImageProps {
    /** The Dockerfile, inline or by location. */
    readonly dockerfile?: { readonly inline?: string; readonly location?: string };
    /** Build arguments. */
    readonly buildArgs?: Readonly<Record<string, string>>;
    /** Build context, with named contexts (`docker-image://<ref>` for an image). */
    readonly context?: { readonly location?: string; readonly named?: Readonly<Record<string, { readonly location: string }>> };
}

/** aws.rds.Instance (the fields the rules read). */
export interface RdsInstanceProps {
    /** Engine, e.g. `postgres`. */
    readonly engine?: string;
    /** DB parameter group. */
    readonly parameterGroupName?: string;
    /** Reachable from the internet. */
    readonly publiclyAccessible?: boolean;
    /** Storage encrypted at rest. */
    readonly storageEncrypted?: boolean;
    /** Deletion protection. */
    readonly deletionProtection?: boolean;
    /** Automated backup retention in days. */
    readonly backupRetentionPeriod?: number;
    /** Multi-AZ standby. */
    readonly multiAz?: boolean;
    /** Source of a read replica. */
    readonly replicateSourceDb?: string;
}

/** aws.rds.ParameterGroup (the fields the rules read). */
export interface RdsParameterGroupProps {
    /** Family, e.g. `postgres17`. */
    readonly family: string;
    /** Parameters. */
    readonly parameters?: readonly { readonly name: string; readonly value: string }[];
}

/** aws.rds.Proxy (the fields the rules read). */
export interface RdsProxyProps {
    /** `POSTGRESQL`, `MYSQL` or `SQLSERVER`. */
    readonly engineFamily: string;
    /** Client authentication per secret. */
    readonly auths?: readonly { readonly clientPasswordAuthType?: string }[];
    /** Refuse clients without TLS. */
    readonly requireTls?: boolean;
}

/** gcp.sql.DatabaseInstance (the fields the rules read). */
export interface CloudSqlInstanceProps {
    /** Pulumi-side deletion protection (default true). */
    readonly deletionProtection?: boolean;
    /** The primary of a read replica. */
    readonly masterInstanceName?: string;
    /** `CLOUD_SQL_INSTANCE`, `READ_REPLICA_INSTANCE`, … */
    readonly instanceType?: string;
    /** Instance settings. */
    readonly settings?: {
        readonly ipConfiguration?: {
            readonly ipv4Enabled?: boolean;
            readonly sslMode?: string;
            readonly authorizedNetworks?: readonly { readonly value: string }[];
        };
        readonly databaseFlags?: readonly { readonly name: string; readonly value: string }[];
        readonly deletionProtectionEnabled?: boolean;
        readonly backupConfiguration?: {
            readonly enabled?: boolean;
            readonly pointInTimeRecoveryEnabled?: boolean;
            readonly backupRetentionSettings?: { readonly retainedBackups: number };
        };
        readonly availabilityType?: string;
    };
}

/** aws.vpc.SecurityGroupIngressRule (the fields the rules read): one source per rule. */
export interface SecurityGroupIngressRuleProps {
    /** IPv4 source range. */
    readonly cidrIpv4?: string;
    /** IPv6 source range. */
    readonly cidrIpv6?: string;
}

/** An ingress or egress block of aws.ec2.SecurityGroup / aws.ec2.SecurityGroupRule. */
export interface SecurityGroupCidrs {
    /** IPv4 ranges. */
    readonly cidrBlocks?: readonly string[];
    /** IPv6 ranges. */
    readonly ipv6CidrBlocks?: readonly string[];
}

/** aws.ec2.SecurityGroup (the fields the rules read): its inline ingress rules. */
export interface SecurityGroupProps {
    /** Inline ingress rules. */
    readonly ingress?: readonly SecurityGroupCidrs[];
}

/** aws.ec2.SecurityGroupRule (the fields the rules read). */
export interface SecurityGroupRuleProps extends SecurityGroupCidrs {
    /** `ingress` or `egress`. */
    readonly type: string;
}

/** A Kubernetes NetworkPolicy (the fields the rules read): ingress peers by address block. */
export interface KubernetesNetworkPolicy {
    /** Policy spec. */
    readonly spec?: {
        readonly ingress?: readonly { readonly from?: readonly { readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] } }[] }[];
    };
}

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
    /** Volumes mounted: the whole volume at `mountPath`, or with `subPath` one of its files at `mountPath`. */
    readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string; readonly subPath?: string }[];
}

/** Keys of a Secret or ConfigMap a volume projects, each at its own path. */
export type KubernetesKeyItems = readonly { readonly key: string; readonly path: string }[];

/** A pod volume (the sources the rules read: Secrets and ConfigMaps, direct or projected). */
export interface KubernetesVolume {
    /** Volume name, as mounts refer to it. */
    readonly name: string;
    /** A Secret's keys as files (all of them, or `items`). */
    readonly secret?: { readonly secretName?: string; readonly items?: KubernetesKeyItems };
    /** A ConfigMap's keys as files (all of them, or `items`). */
    readonly configMap?: { readonly name?: string; readonly items?: KubernetesKeyItems };
    /** Several sources in one directory. */
    readonly projected?: {
        readonly sources?: readonly {
            readonly secret?: { readonly name?: string; readonly items?: KubernetesKeyItems };
            readonly configMap?: { readonly name?: string; readonly items?: KubernetesKeyItems };
        }[];
    };
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
    /** Volumes its containers mount. */
    readonly volumes?: readonly KubernetesVolume[];
}

/** Object metadata (the fields the rules read). */
export interface KubernetesMetadata {
    /** Name (absent when the provider generates one). */
    readonly name?: string;
    /** Namespace (absent: the provider's default). */
    readonly namespace?: string;
}

interface PodTemplate {
    readonly spec?: KubernetesPodSpec;
}

/** Deployment, StatefulSet, DaemonSet, ReplicaSet and Job: a pod template under `spec.template`. */
export interface KubernetesWorkload {
    /** Its namespace, which its pods share. */
    readonly metadata?: KubernetesMetadata;
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
    /** Its name and namespace, as pod volumes refer to it. */
    readonly metadata?: KubernetesMetadata;
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
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    securityGroupIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    kubernetesNetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
} as const;

/** The input props of each inspected type, as CrossGuard hands them to a rule (no Outputs). */
export interface ResourceProps {
    [TYPES.dockerContainer]: DockerContainerProps;
    [TYPES.dockerRemoteImage]: DockerRemoteImageProps;
    [TYPES.dockerBuildImage]: DockerBuildImageProps;
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
    [TYPES.rdsInstance]: RdsInstanceProps;
    [TYPES.rdsParameterGroup]: RdsParameterGroupProps;
    [TYPES.rdsProxy]: RdsProxyProps;
    [TYPES.cloudSqlInstance]: CloudSqlInstanceProps;
    [TYPES.securityGroup]: SecurityGroupProps;
    [TYPES.securityGroupRule]: SecurityGroupRuleProps;
    [TYPES.securityGroupIngressRule]: SecurityGroupIngressRuleProps;
    [TYPES.kubernetesNetworkPolicy]: KubernetesNetworkPolicy;
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

/**
 * Whether an RDS instance is a read replica (it inherits storage and backups from its source).
 * In a preview its source's identifier is often unknown, yet given: a replica all the same.
 */
export function isRdsReplica(instance: ResourceProps[typeof TYPES.rdsInstance]): boolean {
    return isSet(() => instance.replicateSourceDb);
}

/** Whether a Cloud SQL instance is a read replica (Cloud SQL refuses backups on replicas); its primary's name may be unknown in a preview. */
export function isCloudSqlReplica(instance: ResourceProps[typeof TYPES.cloudSqlInstance]): boolean {
    return known(() => instance.instanceType) === "READ_REPLICA_INSTANCE" || isSet(() => instance.masterInstanceName);
}
