// The Docker target: `pulumi up` brings the stack up on the local Docker engine.
import * as pulumi from "@pulumi/pulumi";
import { PostgresImage, resolveImage } from "../../image";
import type { PlatformOutputs } from "../outputs";
import { endpointOutputs, runMigrations } from "../../self-hosted/endpoints";
import { MigrationJob } from "./migration-job";
import { renderServices } from "../../render";
import { ConfigError, type PlatformSpec } from "../../config";
import type { DeployContext } from "../target";
import { hostPort } from "./plan";
import { PrimaryStack } from "./primary-stack";
import { ReplicaStack } from "./replica-stack";
import { SingleStack } from "./single-stack";
import { dockerBackupAccess } from "./backup-scheduler";

export { PGBOUNCER_IMAGE, POSTGRES_EXPORTER_IMAGE, PINNED_IMAGES } from "../../platform/images";
export { PrimaryStack, type PrimaryStackArgs } from "./primary-stack";
export { ReplicaStack, type ReplicaPrimary, type ReplicaStackArgs } from "./replica-stack";
export { SingleStack, type SingleStackArgs } from "./single-stack";
export type { StackCa, StackCaOutputs } from "../../self-hosted/tls/resources";

/** Base name of the stack's components; children are `pg-primary`, `pg-replica-1`, … */
const NAME = "pg";

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
    const writerStack =
        spec.topology === "single"
            ? new SingleStack(NAME, { spec, stack: context.stack, image })
            : new PrimaryStack(NAME, { spec, stack: context.stack, image });
    if (writerStack instanceof PrimaryStack) {
        writerStack.slotNames.forEach((slotName, i) => {
            new ReplicaStack(`${NAME}-replica-${i + 1}`, {
                spec,
                replica: i + 1,
                image,
                primary: {
                    host: writerStack.primaryHost,
                    port: writerStack.primaryPort,
                    replicationPassword: writerStack.replicationPassword as pulumi.Output<string>,
                    slotName,
                    networkName: writerStack.networkName,
                    ca: writerStack.ca,
                },
            });
        });
    }

    // The migration job runs once the writer's stack (primary, pools) is healthy; the URLs
    // resolve only after it succeeded, and its failure fails the update.
    const migrated = runMigrations(spec, writerStack, (job) => new MigrationJob(`${NAME}-migrations`, { ...job, networkName: writerStack.networkName }).done);
    const host = spec.network.bindAddress;
    return endpointOutputs(spec, writerStack, (service) => ({ host, port: hostPort(spec, service) }), migrated, dockerBackupAccess(spec, context.stack));
}
