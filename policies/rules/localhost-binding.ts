import { LOOPBACK_ADDRESSES } from "../platform";
import { KUBERNETES_POD_OWNERS, TYPES, kubernetesContainers, kubernetesPodSpec, type InspectedResource } from "./resources";
import { adjustChecks, forTypes, resourceRule, type CheckContext } from "./rule";

/** localhost-binding's config: resources allowed to be reachable from outside the host or network. */
export interface LocalhostBindingConfig {
    /** Logical resource names exempt from the rule (e.g. `dev-primary`). Default: none. */
    readonly exceptions: readonly string[];
}

const RULE = "localhost-binding";

/** A CIDR that admits every address (`0.0.0.0/0`, `::/0`). */
function isOpenToAll(cidr: string): boolean {
    return /\/0$/.test(cidr.trim());
}

const isLoopback = (ip: string) => (LOOPBACK_ADDRESSES as readonly string[]).includes(ip);

/**
 * A pod's equivalents of Docker's host networking and published ports: `hostNetwork` puts
 * every listening port on the node's interfaces, and a `hostPort` without a loopback `hostIP`
 * publishes one there, whatever Service fronts the pod.
 */
function podFindings(resource: InspectedResource): string[] {
    const hostNetwork = kubernetesPodSpec(resource)?.hostNetwork === true
        ? [`${resource.name} runs its pods with hostNetwork, which exposes every port they listen on to the node's interfaces; remove hostNetwork`]
        : [];
    const hostPorts = kubernetesContainers(resource).flatMap((container) =>
        (container.ports ?? [])
            .filter((port) => port.hostPort !== undefined && !(port.hostIP !== undefined && isLoopback(port.hostIP)))
            .map((port) => `container ${container.name ?? "(unnamed)"} port ${port.containerPort} has hostPort ${port.hostPort} on ${port.hostIP ?? "every node address"}; remove hostPort and reach it through a ClusterIP Service`),
    );
    return [...hostNetwork, ...hostPorts];
}

/** Clears the findings of a resource named in `exceptions`, and points every other finding at that way out. */
function applyExceptions(messages: string[], { resource, config }: CheckContext<LocalhostBindingConfig>): string[] {
    if (config.exceptions.includes(resource.name)) return [];
    return messages.map((message) => `${message} (or add "${resource.name}" to ${RULE}.exceptions in the stack's policy config)`);
}

/** localhost-binding: nothing listens beyond the host (self-hosted) or the private network (managed) unless named as an exception. */
export const localhostBinding = resourceRule<LocalhostBindingConfig>(
    {
        name: RULE,
        description: "Published ports bind loopback only; Services stay ClusterIP and pods use no hostNetwork or hostPort; RDS is not publicly accessible; Cloud SQL admits no 0.0.0.0/0.",
        severity: "high",
        enforcementLevel: "mandatory",
        remediationSteps: [
            "Keep network.bindAddress at 127.0.0.1 (or ::1) and reach remote databases through a tunnel or a private network.",
            "On managed targets keep publiclyAccessible / public IPv4 off and admit clients by security group or authorized network.",
            `If a resource truly must be reachable, name it in the stack's policy config: { "${RULE}": { "exceptions": ["<resource name>"] } }.`,
        ].join(" "),
        configSchema: {
            properties: {
                exceptions: { type: "array", items: { type: "string" }, default: [], description: "Logical names of resources exempt from the rule." },
            },
        },
    },
    adjustChecks<LocalhostBindingConfig>(
        {
            [TYPES.dockerContainer]: (container, { resource }) => [
                ...(container.networkMode === "host" ? [`container ${resource.name} uses host networking, which exposes every port it listens on to the host's interfaces`] : []),
                ...(container.ports ?? []).flatMap((port) => {
                    const published = `container port ${port.internal} (host ${port.external ?? "random"})`;
                    if (port.ip === undefined || port.ip === "") return [`${published} has no ip, so Docker publishes it on every interface (0.0.0.0); set ip to 127.0.0.1 or ::1`];
                    return isLoopback(port.ip) ? [] : [`${published} is published on ${port.ip}; bind 127.0.0.1 or ::1`];
                }),
            ],
            ...forTypes<LocalhostBindingConfig>(KUBERNETES_POD_OWNERS, ({ resource }) => podFindings(resource)),
            [TYPES.kubernetesService]: (service) => [
                ...(service.spec?.type === undefined || service.spec.type === "ClusterIP" ? [] : [`Service type ${service.spec.type} exposes the database outside the cluster; use ClusterIP`]),
                ...((service.spec?.externalIPs ?? []).length > 0 ? [`Service externalIPs ${service.spec?.externalIPs?.join(", ")} expose the database on node addresses; remove them`] : []),
            ],
            [TYPES.rdsInstance]: (instance) => (instance.publiclyAccessible === true ? ["publiclyAccessible is true; RDS instances stay private (publiclyAccessible: false)"] : []),
            [TYPES.cloudSqlInstance]: (instance) => {
                const ip = instance.settings?.ipConfiguration;
                // Cloud SQL turns public IPv4 on unless told otherwise; only an open authorized network makes that reachable by anyone.
                if (ip?.ipv4Enabled === false) return [];
                const open = (ip?.authorizedNetworks ?? []).filter((network) => isOpenToAll(network.value));
                return open.length > 0
                    ? [`public IPv4 admits ${open.map((network) => network.value).join(", ")}; set ipv4Enabled: false, or authorize only known networks`]
                    : [];
            },
        },
        applyExceptions,
    ),
);
