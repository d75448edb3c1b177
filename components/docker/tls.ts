import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CONTAINER_LAYOUT } from "../render/layout";
import type { PlatformSpec } from "../spec";
import { PROJECT } from "../spec/constants";
import { CA_USES, CERTIFICATE_LIFETIME, SERVER_USES, certificateNames, certificatePaths, type TlsServiceName } from "./certificates";
import { secretFileUpload, type FileOwner } from "./files";

/**
 * A stack's certificate authority: it signs every server and pool certificate, and clients
 * verify against its certificate. Inputs, so a replica in another stack can take it from the
 * primary stack's outputs.
 */
export interface StackCa {
    /** The CA certificate (PEM). Not secret: clients need it for `sslmode=verify-full`. */
    readonly certificate: pulumi.Input<string>;
    /** The CA's private key (PEM). Must be a secret. */
    readonly privateKey: pulumi.Input<string>;
}

// ECDSA P-256: as strong as RSA 3072 for far smaller handshakes; PostgreSQL and PgBouncer
// (OpenSSL) accept it.
const KEY = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

/** A stack's CA as the component creating it exposes it. */
export interface StackCaOutputs extends StackCa {
    /** The CA certificate (PEM). */
    readonly certificate: pulumi.Output<string>;
    /** The CA's private key (PEM). Secret. */
    readonly privateKey: pulumi.Output<string>;
}

/** A self-signed CA for the stack (`${name}-ca-key`, `${name}-ca`), as CloudNativePG creates per cluster. */
export function stackCa(parent: pulumi.Resource, name: string, commonName: pulumi.Input<string>): StackCaOutputs {
    const key = new tls.PrivateKey(`${name}-ca-key`, KEY, { parent });
    const cert = new tls.SelfSignedCert(
        `${name}-ca`,
        {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName, organization: PROJECT },
            isCaCertificate: true,
            allowedUses: [...CA_USES],
            validityPeriodHours: CERTIFICATE_LIFETIME.caHours,
        },
        { parent },
    );
    return { certificate: cert.certPem, privateKey: pulumi.secret(key.privateKeyPem) };
}

/** What {@link serviceCertificateUploads} issues a certificate for. */
export interface ServiceCertificate {
    /** The stack's spec (`network.bindAddress` is among the names). */
    readonly spec: PlatformSpec;
    /** The service presenting it. */
    readonly service: TlsServiceName;
    /** The Docker network it is on (container names carry it). */
    readonly network: pulumi.Input<string>;
    /** Who owns the key in the container: the server's or pool's user. */
    readonly owner: FileOwner;
    /** The stack's CA. */
    readonly ca: StackCa;
}

/**
 * A key and a certificate signed by the stack's CA for one service (`${name}-tls-key`,
 * `${name}-tls-csr`, `${name}-tls`), delivered as container uploads at the rendered TLS
 * paths: certificate and CA certificate 0644, the key a secret of mode 0600 owned by the
 * service's user (PostgreSQL refuses a key group or others can read).
 */
export function serviceCertificateUploads(parent: pulumi.Resource, name: string, args: ServiceCertificate): docker.types.input.ContainerUpload[] {
    const key = new tls.PrivateKey(`${name}-tls-key`, KEY, { parent });
    const names = pulumi.output(args.network).apply((network) => certificateNames(args.spec, args.service, network));
    const request = new tls.CertRequest(
        `${name}-tls-csr`,
        {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: names.commonName, organization: PROJECT },
            dnsNames: names.apply((n) => [...n.dnsNames]),
            ipAddresses: names.apply((n) => [...n.ipAddresses]),
        },
        { parent },
    );
    const cert = new tls.LocallySignedCert(
        `${name}-tls`,
        {
            certRequestPem: request.certRequestPem,
            caCertPem: args.ca.certificate,
            caPrivateKeyPem: pulumi.secret(args.ca.privateKey),
            allowedUses: [...SERVER_USES],
            validityPeriodHours: CERTIFICATE_LIFETIME.serverHours,
            earlyRenewalHours: CERTIFICATE_LIFETIME.renewalHours,
        },
        { parent },
    );
    const paths = certificatePaths(args.service, CONTAINER_LAYOUT);
    const owner = { owner: String(args.owner.uid), group: String(args.owner.gid) };
    return [
        { file: paths.cert, content: cert.certPem, permissions: "0644", ...owner },
        { file: paths.ca, content: pulumi.output(args.ca.certificate), permissions: "0644", ...owner },
        secretFileUpload(paths.key, key.privateKeyPem, args.owner),
    ];
}
