// A service's certificate as a kubernetes.io/tls Secret its pod mounts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { TlsServiceName } from "../../self-hosted/tls/certificates";
import { serviceCertificate, type StackCa } from "../../self-hosted/tls/resources";
import { configHash, kubernetesCertificateNames, kubernetesSettingsOf, objectName, podLabels, tlsMount } from "./plan";
import { type Placement } from "./pods";

type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** A service's certificate as its pod mounts it. */
export interface MountedCertificate {
    /** The volume of the service's TLS Secret. */
    readonly volume: Volume;
    /** Its mount at the rendered TLS folder. */
    readonly mount: VolumeMount;
    /** Hash of the certificate, for the pod annotation. */
    readonly certificateHash: pulumi.Output<string>;
}

/**
 * A certificate signed by the stack's CA for a server or pool, named for the cluster's DNS,
 * stored with its key and the CA certificate in a `kubernetes.io/tls` Secret `<service>-tls`
 * (the key only ever as a secret) and mounted at the rendered TLS paths (see tlsMount).
 */
export function serviceTls(
    parent: pulumi.Resource,
    name: string,
    placement: Placement & { readonly service: TlsServiceName },
    ca: StackCa,
): MountedCertificate {
    const { spec, service, namespace } = placement;
    const issued = serviceCertificate(parent, name, kubernetesCertificateNames(service, kubernetesSettingsOf(spec).namespace), ca);
    const secret = new k8s.core.v1.Secret(
        `${name}-tls-secret`,
        {
            metadata: { name: `${objectName(service)}-tls`, namespace, labels: podLabels(service) },
            type: "kubernetes.io/tls",
            stringData: { "tls.crt": issued.certificate, "tls.key": issued.privateKey, "ca.crt": ca.certificate },
        },
        { parent },
    );
    const mount = tlsMount(service);
    return {
        volume: { name: "tls", secret: { secretName: secret.metadata.name, items: mount.items.map((item) => ({ ...item })) } },
        mount: { name: "tls", mountPath: mount.mountPath, readOnly: true },
        certificateHash: issued.certificate.apply((pem) => configHash([pem])),
    };
}
