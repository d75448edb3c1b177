// The self-hosted targets' certificate resources (@pulumi/tls): a per-stack CA and a
// CA-signed key and certificate per service. Each target delivers them its own way (Docker
// uploads, Kubernetes Secrets).
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { PROJECT } from "../../platform/constants";
import { CA_USES, CERTIFICATE_LIFETIME, KEY_ALGORITHM, SERVER_USES, type CertificateNames } from "./certificates";

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

/** A stack's CA as the component creating it exposes it. */
export interface StackCaOutputs extends StackCa {
    /** The CA certificate (PEM). */
    readonly certificate: pulumi.Output<string>;
    /** The CA's private key (PEM). Secret. */
    readonly privateKey: pulumi.Output<string>;
}

/** A self-signed CA for the stack (`${name}-ca-key`, `${name}-ca`), as CloudNativePG creates per cluster. */
export function stackCa(parent: pulumi.Resource, name: string, commonName: pulumi.Input<string>): StackCaOutputs {
    const key = new tls.PrivateKey(`${name}-ca-key`, KEY_ALGORITHM, { parent });
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

/** One service's key pair, its certificate signed by the stack's CA. */
export interface ServiceCertificate {
    /** The certificate (PEM). */
    readonly certificate: pulumi.Output<string>;
    /** The private key (PEM). Secret. */
    readonly privateKey: pulumi.Output<string>;
}

/**
 * A key and a certificate signed by the stack's CA for one service (`${name}-tls-key`,
 * `${name}-tls-csr`, `${name}-tls`), covering `names` (decided by the target's plan).
 */
export function serviceCertificate(parent: pulumi.Resource, name: string, names: pulumi.Input<CertificateNames>, ca: StackCa): ServiceCertificate {
    const key = new tls.PrivateKey(`${name}-tls-key`, KEY_ALGORITHM, { parent });
    const covered = pulumi.output(names);
    const request = new tls.CertRequest(
        `${name}-tls-csr`,
        {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: covered.commonName, organization: PROJECT },
            dnsNames: covered.apply((n) => [...n.dnsNames]),
            ipAddresses: covered.apply((n) => [...n.ipAddresses]),
        },
        { parent },
    );
    const cert = new tls.LocallySignedCert(
        `${name}-tls`,
        {
            certRequestPem: request.certRequestPem,
            caCertPem: ca.certificate,
            caPrivateKeyPem: pulumi.secret(ca.privateKey),
            allowedUses: [...SERVER_USES],
            validityPeriodHours: CERTIFICATE_LIFETIME.serverHours,
            earlyRenewalHours: CERTIFICATE_LIFETIME.renewalHours,
        },
        { parent },
    );
    return { certificate: cert.certPem, privateKey: pulumi.secret(key.privateKeyPem) };
}
