// Pure decisions about the Docker target's TLS certificates (no Pulumi import): which names
// each certificate covers, where its files go, and how long it lives.
import { SERVICE_HOSTS, tlsPaths, type RuntimeLayout, type TlsPaths } from "../render/layout";
import type { PlatformSpec } from "../spec";
import { LOOPBACK_ADDRESSES } from "../spec/constants";
import { containerName, replicaNumber, type ServiceName } from "./plan";

/**
 * Lifetimes, as CloudNativePG does it: a long-lived per-cluster CA and shorter server
 * certificates that are re-issued ahead of expiry. Pulumi has no controller to rotate them:
 * a `pulumi up` within {@link CERTIFICATE_LIFETIME.renewalHours} of expiry issues new ones
 * (and so replaces the containers that hold them).
 */
export const CERTIFICATE_LIFETIME = {
    /** The stack's CA: 10 years. */
    caHours: 10 * 365 * 24,
    /** Each server and pool certificate: 1 year. */
    serverHours: 365 * 24,
    /** Re-issue a server certificate on the first `pulumi up` in its last 30 days. */
    renewalHours: 30 * 24,
} as const;

/** Key usages of the CA certificate: it only signs. */
export const CA_USES = ["certSigning", "crlSigning", "digitalSignature"] as const;

/** Key usages of a server or pool certificate: a TLS server. */
export const SERVER_USES = ["digitalSignature", "keyEncipherment", "serverAuth"] as const;

/** What a certificate covers: its subject's common name and the names clients may verify. */
export interface CertificateNames {
    /** Subject common name: the service's host name on the private network. */
    readonly commonName: string;
    /** DNS names: the network alias, the container name, and `localhost`. */
    readonly dnsNames: readonly string[];
    /** IP addresses: loopback, and `network.bindAddress` when it is one address rather than a wildcard. */
    readonly ipAddresses: readonly string[];
}

/** Services that present a certificate: PostgreSQL servers and PgBouncer pools (not the exporter). */
export type TlsServiceName = Exclude<ServiceName, "exporter">;

/**
 * The host name a service has on the private network: a single node answers as `primary`
 * too, so clients and tooling address the writer the same way in both topologies.
 */
export function networkAlias(service: TlsServiceName): string {
    if (service === "single" || service === "primary") return SERVICE_HOSTS.primary;
    if (service === "pooler-transaction") return SERVICE_HOSTS.pooler("transaction");
    if (service === "pooler-session") return SERVICE_HOSTS.pooler("session");
    const replica = replicaNumber(service);
    if (replica === undefined) throw new Error(`not a service with a network alias: ${service}`);
    return SERVICE_HOSTS.replica(replica);
}

const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::"]);

/**
 * The names one service's certificate covers, so `sslmode=verify-full` succeeds however a
 * client reaches it: from the private network by alias (pools dial `primary`, replicas too)
 * or container name, and from the host through the published port (`localhost`, loopback,
 * or the configured `network.bindAddress`).
 *
 * @param network the Docker network's name, which prefixes container names.
 */
export function certificateNames(spec: PlatformSpec, service: TlsServiceName, network: string): CertificateNames {
    const alias = networkAlias(service);
    const loopbackIps = LOOPBACK_ADDRESSES.filter((address) => address !== "localhost");
    const bind = spec.network.bindAddress;
    const ipAddresses = WILDCARD_ADDRESSES.has(bind) ? [...loopbackIps] : [...new Set<string>([...loopbackIps, bind])];
    return { commonName: alias, dnsNames: [alias, containerName(network, service), "localhost"], ipAddresses };
}

/** Where a service's TLS files go in its container: PostgreSQL's folder for servers, PgBouncer's for pools. */
export function certificatePaths(service: TlsServiceName, layout: RuntimeLayout): TlsPaths {
    return tlsPaths(layout, service.startsWith("pooler-") ? "pgbouncer" : "postgres");
}
