import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_LAYOUT } from "../../render/layout";
import type { PlatformSpec } from "../../config";
import { certificatePaths, type TlsServiceName } from "../../self-hosted/tls/certificates";
import { serviceCertificate, type StackCa } from "../../self-hosted/tls/resources";
import { dockerCertificateNames } from "./certificates";
import { secretFileUpload } from "./uploads";
import type { FileOwner } from "../../self-hosted/files";

/** What {@link serviceCertificateUploads} issues a certificate for. */
export interface ServiceCertificateArgs {
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
 * A certificate signed by the stack's CA for one service, delivered as container uploads at
 * the rendered TLS paths: certificate and CA certificate 0644, the key a secret of mode 0600
 * owned by the service's user (PostgreSQL refuses a key group or others can read).
 */
export function serviceCertificateUploads(parent: pulumi.Resource, name: string, args: ServiceCertificateArgs): docker.types.input.ContainerUpload[] {
    const names = pulumi.output(args.network).apply((network) => dockerCertificateNames(args.spec, args.service, network));
    const issued = serviceCertificate(parent, name, names, args.ca);
    const paths = certificatePaths(args.service, CONTAINER_LAYOUT);
    const owner = { owner: String(args.owner.uid), group: String(args.owner.gid) };
    return [
        { file: paths.cert, content: issued.certificate, permissions: "0644", ...owner },
        { file: paths.ca, content: pulumi.output(args.ca.certificate), permissions: "0644", ...owner },
        secretFileUpload(paths.key, issued.privateKey, args.owner),
    ];
}
