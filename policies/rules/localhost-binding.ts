import { describeRanges, exposure, isLoopbackOnly, parseAddressRange, subtractRanges, parseAddressRanges, type AddressRange } from "../shared/address-ranges";
import { KUBERNETES_POD_OWNERS, TYPES, kubernetesContainers, kubernetesPodSpec, type InspectedResource, type SecurityGroupCidrs } from "./resources";
import { adjustChecks, forTypes, resourceRule, type CheckContext } from "./rule";

/** localhost-binding's config: resources allowed to be reachable from outside the host or network. */
export interface LocalhostBindingConfig {
    /** Logical resource names exempt from the rule (e.g. `dev-primary`). Default: none. */
    readonly exceptions: readonly string[];
    /**
     * Public address ranges clients may come from (Cloud SQL authorized networks, security group
     * and NetworkPolicy sources), e.g. an office's `203.0.113.0/24`. Default: none, so only
     * private ranges pass. It may not cover a family's whole public space.
     */
    readonly allowedPublicRanges: readonly string[];
}

const RULE = "localhost-binding";

/** Loopback as a range (`127.0.0.0/8`, `::1`, IPv4-mapped loopback), or the name `localhost`. */
const isLoopback = (ip: string) => {
    if (ip.trim() === "localhost") return true;
    const range = parseAddressRange(ip);
    return range !== undefined && isLoopbackOnly([range]);
};

/**
 * What a set of client ranges admits from the internet, judged on their union: every public
 * address of a family (by one block or by pieces, e.g. 0.0.0.0/1 + 128.0.0.0/1), or public
 * ranges beyond the explicitly allowed ones; texts that are no range at all are findings too.
 */
export function publicRangeFindings(what: string, cidrs: readonly string[], allowed: readonly string[], remedy: string, listed = cidrs.join(", ")): string[] {
    const found = exposure(cidrs, allowed);
    const messages = found.invalid.map((text) => `${what} lists "${text}", which is not an address range; nothing can tell who it admits`);
    if (found.wholeFamilies.length > 0) {
        messages.push(`${what} admits ${listed}, every public IPv${found.wholeFamilies.join(" and IPv")} address; ${remedy}`);
    } else if (found.publicBeyondAllowed.length > 0) {
        messages.push(
            `${what} admits ${listed}, which includes public addresses ${describeRanges(found.publicBeyondAllowed)} not in ${RULE}.allowedPublicRanges; ${remedy}`,
        );
    }
    return messages;
}

/** The sources of a NetworkPolicy's ingress ipBlocks, each block minus its `except`. */
function networkPolicyRanges(
    spec:
        | { readonly ingress?: readonly { readonly from?: readonly { readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] } }[] }[] }
        | undefined,
): { ranges: AddressRange[]; texts: string[] } {
    const ranges: AddressRange[] = [];
    const texts: string[] = [];
    for (const rule of spec?.ingress ?? []) {
        for (const peer of rule.from ?? []) {
            if (!peer.ipBlock) continue;
            texts.push(peer.ipBlock.cidr);
            const block = parseAddressRanges([peer.ipBlock.cidr]).ranges;
            ranges.push(...subtractRanges(block, parseAddressRanges(peer.ipBlock.except ?? []).ranges));
        }
    }
    return { ranges, texts };
}

const SG_REMEDY = "admit clients by security group, or list only private ranges (and known public ones in allowedPublicRanges)";
const sgCidrs = (block: SecurityGroupCidrs) => [...(block.cidrBlocks ?? []), ...(block.ipv6CidrBlocks ?? [])];

/**
 * A pod's equivalents of Docker's host networking and published ports: `hostNetwork` puts
 * every listening port on the node's interfaces, and a `hostPort` without a loopback `hostIP`
 * publishes one there, whatever Service fronts the pod.
 */
function podFindings(resource: InspectedResource): string[] {
    const hostNetwork =
        kubernetesPodSpec(resource)?.hostNetwork === true
            ? [`${resource.name} runs its pods with hostNetwork, which exposes every port they listen on to the node's interfaces; remove hostNetwork`]
            : [];
    const hostPorts = kubernetesContainers(resource).flatMap((container) =>
        (container.ports ?? [])
            .filter((port) => port.hostPort !== undefined && !(port.hostIP !== undefined && isLoopback(port.hostIP)))
            .map(
                (port) =>
                    `container ${container.name ?? "(unnamed)"} port ${port.containerPort} has hostPort ${port.hostPort} on ${port.hostIP ?? "every node address"}; remove hostPort and reach it through a ClusterIP Service`,
            ),
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
        description:
            "Published ports bind loopback only; Services stay ClusterIP and pods use no hostNetwork or hostPort; RDS is not publicly accessible; Cloud SQL admits no 0.0.0.0/0.",
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
                allowedPublicRanges: {
                    type: "array",
                    items: { type: "string" },
                    default: [],
                    description: "Public CIDR blocks clients may come from (never a family's whole public space).",
                },
            },
        },
    },
    adjustChecks<LocalhostBindingConfig>(
        {
            [TYPES.dockerContainer]: (container, { resource }) => [
                ...(container.networkMode === "host"
                    ? [`container ${resource.name} uses host networking, which exposes every port it listens on to the host's interfaces`]
                    : []),
                ...(container.ports ?? []).flatMap((port) => {
                    const published = `container port ${port.internal} (host ${port.external ?? "random"})`;
                    if (port.ip === undefined || port.ip === "")
                        return [`${published} has no ip, so Docker publishes it on every interface (0.0.0.0); set ip to 127.0.0.1 or ::1`];
                    return isLoopback(port.ip) ? [] : [`${published} is published on ${port.ip}; bind 127.0.0.1 or ::1`];
                }),
            ],
            ...forTypes<LocalhostBindingConfig>(KUBERNETES_POD_OWNERS, ({ resource }) => podFindings(resource)),
            [TYPES.kubernetesService]: (service) => [
                ...(service.spec?.type === undefined || service.spec.type === "ClusterIP"
                    ? []
                    : [`Service type ${service.spec.type} exposes the database outside the cluster; use ClusterIP`]),
                ...((service.spec?.externalIPs ?? []).length > 0
                    ? [`Service externalIPs ${service.spec?.externalIPs?.join(", ")} expose the database on node addresses; remove them`]
                    : []),
            ],
            [TYPES.rdsInstance]: (instance) =>
                instance.publiclyAccessible === true ? ["publiclyAccessible is true; RDS instances stay private (publiclyAccessible: false)"] : [],
            [TYPES.cloudSqlInstance]: (instance, { config }) => {
                const ip = instance.settings?.ipConfiguration;
                // Cloud SQL turns public IPv4 on unless told otherwise; its authorized networks decide who reaches it.
                if (ip?.ipv4Enabled === false) return [];
                const networks = (ip?.authorizedNetworks ?? []).map((network) => network.value);
                return publicRangeFindings("public IPv4", networks, config.allowedPublicRanges, "set ipv4Enabled: false, or authorize only known networks");
            },
            [TYPES.securityGroupIngressRule]: (rule, { config }) =>
                publicRangeFindings(
                    "the security group rule",
                    [rule.cidrIpv4, rule.cidrIpv6].filter((c): c is string => typeof c === "string"),
                    config.allowedPublicRanges,
                    SG_REMEDY,
                ),
            [TYPES.securityGroupRule]: (rule, { config }) =>
                rule.type === "ingress" ? publicRangeFindings("the security group rule", sgCidrs(rule), config.allowedPublicRanges, SG_REMEDY) : [],
            [TYPES.securityGroup]: (group, { config }) =>
                publicRangeFindings("the security group's ingress", (group.ingress ?? []).flatMap(sgCidrs), config.allowedPublicRanges, SG_REMEDY),
            [TYPES.kubernetesNetworkPolicy]: (policy, { config }) => {
                const { ranges, texts } = networkPolicyRanges(policy.spec);
                const cidrs = ranges.flatMap((range) => describeRanges([range], Infinity).split(", "));
                return publicRangeFindings(
                    "the NetworkPolicy's ipBlocks",
                    cidrs,
                    config.allowedPublicRanges,
                    "admit clients by pod and namespace selectors, or private ranges",
                    texts.join(", "),
                );
            },
        },
        applyExceptions,
    ),
);
