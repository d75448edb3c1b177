import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_FILES } from "../../self-hosted/server";
import { rolePasswords } from "../../self-hosted/passwords";
import { SUPERUSER } from "../../render/hba";
import { loginRoles } from "../../render/roles";
import type { PlatformSpec } from "../../config";
import { CONTAINER_PORTS } from "../../platform/constants";
import { stackCa, type StackCaOutputs } from "../../self-hosted/tls/resources";
import { LABELS, kubernetesSettingsOf, objectName, postgresIngressPeers, selectorLabels } from "./plan";
import { serverStatefulSet, type ServerResources } from "./stateful-sets";
import { backupSecretFiles } from "../../self-hosted/backup-secrets";

/** Arguments of {@link SingleStack} and {@link PrimaryStack}: a stack with a writable server. */
export interface WriterStackArgs {
    /** The validated spec with `kubernetes` settings (plain, not an Input: every object is decided from it up front). */
    readonly spec: PlatformSpec;
    /** The PostgreSQL image by digest, pullable by the cluster (`PostgresImage.imageRef` of a pushed build, or `image.prebuilt`). */
    readonly image: pulumi.Input<string>;
}

/** The resources of a writable server. */
export interface WritableServer {
    /** The namespace every object is in (resolves after the Namespace exists, when the stack creates it). */
    readonly namespace: pulumi.Output<string>;
    /** Clear passwords of every login role, by role (secret). */
    readonly passwords: pulumi.Output<Record<string, string>>;
    /** The server's Service and StatefulSet. */
    readonly server: ServerResources;
    /** The stack's CA, when `postgres.tls.enabled`; it signed the server's certificate. */
    readonly ca: StackCaOutputs | undefined;
}

/**
 * The namespace (unless `createNamespace` is false), a random password per login role with a
 * `credentials` Secret holding them for in-cluster clients, the NetworkPolicy in front of every
 * PostgreSQL server of the stack, and the writable server. With `production`, a
 * PodDisruptionBudget keeps a voluntary eviction (a node drain) from stopping the writer:
 * nothing fails over, so stopping it is a decision the operator takes by hand. With
 * `postgres.tls.enabled`, also the stack's CA (named after the namespace) and the server's certificate.
 */
export function writableServer(parent: pulumi.Resource, name: string, args: WriterStackArgs, service: "single" | "primary"): WritableServer {
    const { spec } = args;
    const settings = kubernetesSettingsOf(spec);
    const namespace = settings.createNamespace
        ? new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: settings.namespace } }, { parent, protect: spec.production }).metadata.name
        : pulumi.output(settings.namespace);

    const passwords = rolePasswords(parent, name, loginRoles(spec));
    // The image's initdb sets a superuser password (SCRAM); pg_hba.conf admits the superuser only locally.
    const superuser = rolePasswords(parent, name, [SUPERUSER]).apply((pw) => pw[SUPERUSER]);
    new k8s.core.v1.Secret(`${name}-credentials`, { metadata: { name: "credentials", namespace }, type: "Opaque", stringData: passwords }, { parent });

    const ca = spec.postgres.tls.enabled ? stackCa(parent, name, `${settings.namespace} CA`) : undefined;

    const peers = postgresIngressPeers();
    new k8s.networking.v1.NetworkPolicy(
        `${name}-network-policy`,
        {
            metadata: { name: "postgresql", namespace },
            spec: {
                podSelector: { matchLabels: { [LABELS.kind]: "server" } },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            { podSelector: { matchExpressions: [{ key: LABELS.kind, operator: "In", values: [...peers.kinds] }] } },
                            { namespaceSelector: {}, podSelector: { matchLabels: peers.clientLabel } },
                        ],
                        ports: [{ protocol: "TCP", port: CONTAINER_PORTS.postgres }],
                    },
                ],
            },
        },
        { parent },
    );

    const server = serverStatefulSet(parent, `${name}-${service}`, {
        spec,
        service,
        namespace,
        image: args.image,
        healthRole: service,
        passwords,
        secretFiles: [{ path: SECRET_FILES.superuserPassword, value: superuser }, ...backupSecretFiles(parent, name, spec)],
        ca,
    });
    if (spec.production) {
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-disruption-budget`,
            { metadata: { name: objectName(service), namespace }, spec: { maxUnavailable: 0, selector: { matchLabels: selectorLabels(service) } } },
            { parent },
        );
    }
    return { namespace, passwords, server, ca };
}
