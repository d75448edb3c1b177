// Pure decisions about the Docker target's TLS certificates (no Pulumi import): the names a
// Docker client reaches each service by. Lifetimes, paths and the rest are target-neutral
// (components/self-hosted/tls/certificates.ts).
import type { PlatformSpec } from "../../config";
import { certificateNames, type CertificateNames, type TlsServiceName } from "../../self-hosted/tls/certificates";
import { containerName } from "./plan";

const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::"]);

/**
 * The names one service's certificate covers on Docker: its network alias (pools and replicas
 * dial `primary`), its container name, and from the host through the published port
 * `localhost`, loopback, and the configured `network.bindAddress` when it is one address
 * rather than a wildcard.
 *
 * @param network the Docker network's name, which prefixes container names.
 */
export function dockerCertificateNames(spec: PlatformSpec, service: TlsServiceName, network: string): CertificateNames {
    const bind = spec.network.bindAddress;
    return certificateNames(service, [containerName(network, service)], WILDCARD_ADDRESSES.has(bind) ? [] : [bind]);
}
