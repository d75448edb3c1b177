// The Kubernetes target: `pulumi up` brings the stack up in one namespace of the current
// kubeconfig's cluster.
import * as pulumi from "@pulumi/pulumi";
import { containerPort, endpointRoles, unavailableEndpoints, type ServiceName } from "../../self-hosted/services";
import { PostgresImage, resolveImage } from "../../image";
import { afterMigrations, cdcOutput, postgresUrl, type PlatformOutputs } from "../outputs";
import { migrationJobPlan } from "../../self-hosted/migrations";
import { MigrationJob } from "./migration-job";
import { cdcNames } from "../../platform/constants";
import { renderServices } from "../../render";
import { loginRoles } from "../../render/roles";
import { ConfigError, type PlatformSpec } from "../../config";
import { clientUrlQuery } from "../../self-hosted/tls/certificates";
import type { StackCaOutputs } from "../../self-hosted/tls/resources";
import type { DeployContext } from "../target";
import { kubernetesSettingsOf, serviceDnsName, validateKubernetes } from "./plan";
import { PrimaryStack } from "./primary-stack";
import { ReplicaStack } from "./replica-stack";
import { SingleStack } from "./single-stack";

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

    const namespace = kubernetesSettingsOf(spec).namespace;
    const image = new PostgresImage(`${NAME}-image`, { spec }).imageRef;
    const roles = endpointRoles(spec);
    let passwords: pulumi.Output<Record<string, string>>;
    let ca: StackCaOutputs | undefined;
    let writerStack: SingleStack | PrimaryStack;

    if (spec.topology === "single") {
        const single = new SingleStack(NAME, { spec, image });
        passwords = single.passwords;
        ca = single.ca;
        writerStack = single;
    } else {
        const primary = new PrimaryStack(NAME, { spec, image });
        passwords = primary.passwords;
        ca = primary.ca;
        writerStack = primary;
        for (let n = 1; n <= spec.replicas; n++) {
            new ReplicaStack(`${NAME}-replica-${n}`, {
                spec,
                replica: n,
                image,
                namespace: primary.namespace,
                replicationPassword: primary.replicationPassword as pulumi.Output<string>,
                ca,
                primary: primary.statefulSet,
            });
        }
    }

    // The migration job runs once the writer's stack (primary, pools) is ready; the URLs
    // resolve only after it completed, and its failure fails the update.
    const job = migrationJobPlan(spec);
    const migrated = job
        ? new MigrationJob(`${NAME}-migrations`, {
              plan: job,
              namespace: writerStack.namespace,
              password: passwords.apply((pw) => pw[job.user]),
              caCertificate: ca?.certificate,
              imagePullSecrets: kubernetesSettingsOf(spec).imagePullSecrets,
              dependsOn: [writerStack],
          }).done
        : undefined;
    const url = (service: ServiceName, user: string, database = roles.database) =>
        afterMigrations(
            migrated,
            postgresUrl({
                user,
                password: passwords.apply((pw) => pw[user]),
                host: serviceDnsName(service, namespace),
                port: containerPort(service),
                database,
                query: clientUrlQuery(spec),
            }),
        );
    const unavailable = unavailableEndpoints(spec);
    const writer: ServiceName = spec.topology === "single" ? "single" : "primary";
    return {
        host: pulumi.output(serviceDnsName(writer, namespace)),
        port: pulumi.output(containerPort(writer)),
        primaryUrl: url(writer, roles.application),
        transactionPoolUrl: unavailable.transactionPoolUrl ? undefined : url("pooler-transaction", roles.application),
        sessionPoolUrl: unavailable.sessionPoolUrl ? undefined : url("pooler-session", roles.migrate),
        readOnlyUrl: unavailable.readOnlyUrl ? undefined : url("replica-1", roles.readOnly),
        metricsUrl: unavailable.metricsUrl ? undefined : pulumi.output(`http://${serviceDnsName("exporter", namespace)}:${containerPort("exporter")}/metrics`),
        secretReferences: Object.fromEntries(loginRoles(spec).map((role) => [role, pulumi.secret(passwords.apply((pw) => pw[role]))])),
        cdc: cdcOutput(
            spec.postgres.cdc.databases.map((db) => db.name),
            cdcNames,
            (database, role) => url(writer, role, database),
        ),
        unavailable,
        caCertificate: ca?.certificate,
    };
}
