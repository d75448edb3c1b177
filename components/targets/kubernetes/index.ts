// The Kubernetes target: `pulumi up` brings the stack up in one namespace of the current
// kubeconfig's cluster.
import * as pulumi from "@pulumi/pulumi";
import { containerPort } from "../../self-hosted/services";
import { PostgresImage, resolveImage } from "../../image";
import type { PlatformOutputs } from "../outputs";
import { endpointOutputs, runMigrations } from "../../self-hosted/endpoints";
import { MigrationJob } from "./migration-job";
import { renderServices } from "../../render";
import { ConfigError, type PlatformSpec } from "../../config";
import type { DeployContext } from "../target";
import { kubernetesSettingsOf, serviceDnsName, validateKubernetes } from "./plan";
import { PrimaryStack } from "./primary-stack";
import { ReplicaStack } from "./replica-stack";
import { SingleStack } from "./single-stack";
import { kubernetesBackupAccess } from "./backup-scheduler";

export { PrimaryStack, type PrimaryStackArgs } from "./primary-stack";
export { ReplicaStack, type ReplicaStackArgs } from "./replica-stack";
export { SingleStack, type SingleStackArgs } from "./single-stack";

/** Base name of the stack's components; children are `pg-primary-…`, `pg-replica-1-…`, … */
const NAME = "pg";

/**
 * Builds the stack on Kubernetes: the image (a pushed build, or `image.prebuilt`), then a
 * single server, or a primary with pools and exporter and `replicas` streaming replicas.
 * Every URL uses the in-cluster DNS names of the ClusterIP Services and is a secret. With
 * `postgres.tls.enabled`, a per-stack CA signs every server's and pool's certificate, URLs
 * require TLS, and the CA certificate is returned as `caCertificate`.
 * `context` is unused: the namespace, not the stack name, keeps environments apart.
 */
export function deploy(spec: PlatformSpec, _context: DeployContext): PlatformOutputs {
    // The pure decisions that can refuse a configuration run before the first resource exists.
    ConfigError.gather(
        () => resolveImage(spec),
        () => renderServices(spec),
        () => validateKubernetes(spec),
    );

    const { namespace, imagePullSecrets } = kubernetesSettingsOf(spec);
    const image = new PostgresImage(`${NAME}-image`, { spec }).imageRef;
    const writerStack = spec.topology === "single" ? new SingleStack(NAME, { spec, image }) : new PrimaryStack(NAME, { spec, image });
    if (writerStack instanceof PrimaryStack) {
        for (let n = 1; n <= spec.replicas; n++) {
            new ReplicaStack(`${NAME}-replica-${n}`, {
                spec,
                replica: n,
                image,
                namespace: writerStack.namespace,
                replicationPassword: writerStack.replicationPassword as pulumi.Output<string>,
                ca: writerStack.ca,
                primary: writerStack.statefulSet,
            });
        }
    }

    // The migration job runs once the writer's stack (primary, pools) is ready; the URLs
    // resolve only after it completed, and its failure fails the update.
    const migrated = runMigrations(
        spec,
        writerStack,
        (job) => new MigrationJob(`${NAME}-migrations`, { ...job, namespace: writerStack.namespace, imagePullSecrets }).done,
    );
    return endpointOutputs(
        spec,
        writerStack,
        (service) => ({ host: serviceDnsName(service, namespace), port: containerPort(service) }),
        migrated,
        kubernetesBackupAccess(spec),
    );
}
