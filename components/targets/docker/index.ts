// The Docker target: `pulumi up` brings the stack up on the local Docker engine.
import * as pulumi from "@pulumi/pulumi";
import { PostgresImage, resolveImage } from "../../image";
import { afterMigrations, cdcOutput, postgresUrl, type PlatformOutputs } from "../outputs";
import { migrationJobPlan } from "../../self-hosted/migrations";
import { MigrationJob } from "./migration-job";
import { cdcNames } from "../../platform/constants";
import { renderServices } from "../../render";
import { loginRoles } from "../../render/roles";
import { ConfigError, type PlatformSpec } from "../../config";
import type { DeployContext } from "../target";
import { endpointRoles, unavailableEndpoints, type ServiceName } from "../../self-hosted/services";
import { hostPort } from "./plan";
import { PrimaryStack } from "./primary-stack";
import { ReplicaStack } from "./replica-stack";
import { SingleStack } from "./single-stack";
import { clientUrlQuery } from "../../self-hosted/tls/certificates";
import type { StackCaOutputs } from "../../self-hosted/tls/resources";

export { PGBOUNCER_IMAGE, POSTGRES_EXPORTER_IMAGE, PINNED_IMAGES } from "../../platform/images";
export { PrimaryStack, type PrimaryStackArgs } from "./primary-stack";
export { ReplicaStack, type ReplicaPrimary, type ReplicaStackArgs } from "./replica-stack";
export { SingleStack, type SingleStackArgs } from "./single-stack";
export type { StackCa, StackCaOutputs } from "../../self-hosted/tls/resources";

/** Base name of the stack's components; children are `pg-primary`, `pg-replica-1`, … */
const NAME = "pg";

/** `http://host:port/metrics`, with an IPv6 host in brackets. */
function metricsUrl(host: string, port: number): string {
    return `http://${host.includes(":") ? `[${host}]` : host}:${port}/metrics`;
}

/**
 * Builds the stack on Docker: the image (built, or `image.prebuilt`), then a single node, or a
 * primary with pools and exporter and `replicas` streaming replicas. Every URL points at the
 * host side (`network.bindAddress` and `network.ports`) and is a secret. With
 * `postgres.tls.enabled`, a per-stack CA signs every server's and pool's certificate and is
 * returned as `caCertificate`.
 */
export function deploy(spec: PlatformSpec, context: DeployContext): PlatformOutputs {
    // The pure decisions that can refuse a configuration run before the first resource
    // exists, so a bad stack fails with its ConfigError and leaves nothing half-registered.
    ConfigError.gather(
        () => resolveImage(spec),
        () => renderServices(spec),
    );

    const image = new PostgresImage(`${NAME}-image`, { spec }).imageRef;
    const roles = endpointRoles(spec);
    const host = spec.network.bindAddress;
    let passwords: pulumi.Output<Record<string, string>>;
    let ca: StackCaOutputs | undefined;
    let writerStack: SingleStack | PrimaryStack;

    if (spec.topology === "single") {
        const single = new SingleStack(NAME, { spec, stack: context.stack, image });
        passwords = single.passwords;
        ca = single.ca;
        writerStack = single;
    } else {
        const primary = new PrimaryStack(NAME, { spec, stack: context.stack, image });
        passwords = primary.passwords;
        ca = primary.ca;
        writerStack = primary;
        primary.slotNames.forEach((slotName, i) => {
            new ReplicaStack(`${NAME}-replica-${i + 1}`, {
                spec,
                replica: i + 1,
                image,
                primary: {
                    host: primary.primaryHost,
                    port: primary.primaryPort,
                    replicationPassword: primary.replicationPassword as pulumi.Output<string>,
                    slotName,
                    networkName: primary.networkName,
                    ca: primary.ca,
                },
            });
        });
    }

    // The migration job runs once the writer's stack (primary, pools) is healthy; the URLs
    // resolve only after it succeeded, and its failure fails the update.
    const job = migrationJobPlan(spec);
    const migrated = job
        ? new MigrationJob(`${NAME}-migrations`, {
              plan: job,
              networkName: writerStack.networkName,
              password: passwords.apply((pw) => pw[job.user]),
              caCertificate: ca?.certificate,
              dependsOn: [writerStack],
          }).done
        : undefined;
    const url = (service: ServiceName, user: string, database = roles.database) =>
        afterMigrations(
            migrated,
            postgresUrl({ user, password: passwords.apply((pw) => pw[user]), host, port: hostPort(spec, service), database, query: clientUrlQuery(spec) }),
        );
    const unavailable = unavailableEndpoints(spec);
    const writer: ServiceName = spec.topology === "single" ? "single" : "primary";
    return {
        host: pulumi.output(host),
        port: pulumi.output(hostPort(spec, writer)),
        primaryUrl: url(writer, roles.application),
        transactionPoolUrl: unavailable.transactionPoolUrl ? undefined : url("pooler-transaction", roles.application),
        sessionPoolUrl: unavailable.sessionPoolUrl ? undefined : url("pooler-session", roles.migrate),
        readOnlyUrl: unavailable.readOnlyUrl ? undefined : url("replica-1", roles.readOnly),
        metricsUrl: unavailable.metricsUrl ? undefined : pulumi.output(metricsUrl(host, hostPort(spec, "exporter"))),
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
