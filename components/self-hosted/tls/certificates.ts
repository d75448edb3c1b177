// Pure decisions about the self-hosted targets' TLS certificates (no Pulumi import): what a
// certificate covers, where its files go, how long it lives, and what URLs ask of clients.
// Each target supplies the names its clients dial; the rest is the same on Docker and Kubernetes.
import type { ServiceName } from "../services";
import { replicaNumber } from "../services";
import { SERVICE_HOSTS, tlsPaths, type RuntimeLayout, type TlsPaths } from "../../render/layout";
import type { PlatformSpec } from "../../config";
import { LOOPBACK_ADDRESSES } from "../../platform/constants";

/**
 * Lifetimes, as CloudNativePG does it: a long-lived per-cluster CA and shorter server
 * certificates that are re-issued ahead of expiry. Pulumi has no controller to rotate them:
 * a `pulumi up` within {@link CERTIFICATE_LIFETIME.renewalHours} of expiry issues new ones
 * (and so restarts the servers and pools that hold them).
 */
export const CERTIFICATE_LIFETIME = {
    /** The stack's CA: 10 years. */
    caHours: 10 * 365 * 24,
    /** Each server and pool certificate: 1 year. */
    serverHours: 365 * 24,
    /** Re-issue a server certificate on the first `pulumi up` in its last 30 days. */
    renewalHours: 30 * 24,
} as const;

/**
 * Key algorithm of the CA and of every server and pool: ECDSA P-256, as strong as RSA 3072
 * for far smaller handshakes; PostgreSQL and PgBouncer (OpenSSL) accept it.
 */
export const KEY_ALGORITHM = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

/** Key usages of the CA certificate: it only signs. */
export const CA_USES = ["certSigning", "crlSigning", "digitalSignature"] as const;

/** Key usages of a server or pool certificate: a TLS server (no keyEncipherment: ECDSA keys only sign, RFC 5480). */
export const SERVER_USES = ["digitalSignature", "serverAuth"] as const;

/** What a certificate covers: its subject's common name and the names clients may verify. */
export interface CertificateNames {
    /** Subject common name: the service's host name in the rendered files (`primary`, `replica-1`, `pooler-session`…). */
    readonly commonName: string;
    /** DNS names: the host name, the target's other names for the service, and `localhost`. */
    readonly dnsNames: readonly string[];
    /** IP addresses: loopback, plus any the target adds. */
    readonly ipAddresses: readonly string[];
}

/** Services that present a certificate: PostgreSQL servers and PgBouncer pools (not the exporter). */
export type TlsServiceName = Exclude<ServiceName, "exporter">;

/**
 * The host name a service has in the rendered files, which pools and replicas dial: a single
 * node answers as `primary` too, so clients and tooling address the writer the same way in
 * both topologies.
 */
export function serviceHost(service: TlsServiceName): string {
    if (service === "single" || service === "primary") return SERVICE_HOSTS.primary;
    if (service === "pooler-transaction") return SERVICE_HOSTS.pooler("transaction");
    if (service === "pooler-session") return SERVICE_HOSTS.pooler("session");
    const replica = replicaNumber(service);
    if (replica === undefined) throw new Error(`not a service with a host name: ${service}`);
    return SERVICE_HOSTS.replica(replica);
}

/**
 * The names one service's certificate covers, so `sslmode=verify-full` succeeds however a
 * client reaches it: by its host name (what pools and replicas dial), by the names the target
 * gives it (`targetDnsNames`, `targetIps`), and from inside its own container or through a
 * forwarded port (`localhost`, 127.0.0.1, ::1). Duplicates are dropped.
 */
export function certificateNames(service: TlsServiceName, targetDnsNames: readonly string[], targetIps: readonly string[] = []): CertificateNames {
    const host = serviceHost(service);
    const loopbackIps = LOOPBACK_ADDRESSES.filter((address) => address !== "localhost");
    return {
        commonName: host,
        dnsNames: [...new Set([host, ...targetDnsNames, "localhost"])],
        ipAddresses: [...new Set([...loopbackIps, ...targetIps])],
    };
}

/** Where a service's TLS files go in its container: PostgreSQL's folder for servers, PgBouncer's for pools. */
export function certificatePaths(service: TlsServiceName, layout: RuntimeLayout): TlsPaths {
    return tlsPaths(layout, service.startsWith("pooler-") ? "pgbouncer" : "postgres");
}

/**
 * The query of every connection URL: with TLS on, `sslmode=verify-full` against the stack's CA
 * in `postgres.tls.caFile` (`sslrootcert`), which every libpq-based driver (psql, psycopg) and
 * node-postgres read the same way: encrypted, the CA checked and the host name matched, so
 * the password never goes to an impostor. `sslmode=require` alone is read differently (libpq:
 * encrypt without verifying; node-postgres: verify against the system CAs, which refuses the
 * stack's private CA), and node-postgres' `uselibpqcompat` is a parameter libpq refuses.
 * Without TLS: none.
 */
export function clientUrlQuery(spec: PlatformSpec): string | undefined {
    return spec.postgres.tls.enabled ? `sslmode=verify-full&sslrootcert=${spec.postgres.tls.caFile}` : undefined;
}
