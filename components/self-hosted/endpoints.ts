// The stack outputs of a self-hosted target (Docker, Kubernetes): both build the same URLs,
// pools and CDC entries from the same roles; only where a client reaches a service differs.
import * as pulumi from "@pulumi/pulumi";
import type { PlatformSpec } from "../config";
import { cdcNames } from "../platform/constants";
import { loginRoles } from "../render/roles";
import { afterMigrations, cdcOutput, postgresUrl, type PlatformOutputs } from "../targets/outputs";
import { migrationJobPlan, type MigrationJobPlan } from "./migrations";
import { endpointRoles, unavailableEndpoints, type ServiceName } from "./services";
import { clientUrlQuery } from "./tls/certificates";
import { backupOutput, type BackupAccess } from "./backup-outputs";
import type { WriterParts } from "./writer-component";

/** Where a client reaches one service: a host port on Docker, a Service's DNS name on Kubernetes. */
export interface ServiceLocation {
    readonly host: string;
    readonly port: number;
}

/** The service that takes writes: the lone server, or the primary. */
export function writerService(spec: PlatformSpec): ServiceName {
    return spec.topology === "single" ? "single" : "primary";
}

/** What a target's migration job is made from, whatever else the target adds (network, namespace). */
export interface MigrationJobInputs {
    readonly plan: MigrationJobPlan;
    /** The migrate role's password. Secret. */
    readonly password: pulumi.Output<string>;
    /** The stack CA's certificate, with `postgres.tls.enabled`. */
    readonly caCertificate?: pulumi.Output<string>;
    /** The writer's stack: the job runs once it (primary, pools) is up. */
    readonly dependsOn: pulumi.Resource[];
}

/**
 * Runs the migration job when `migrations` is configured, after `writer`: `start` makes the
 * target's job and returns its `done`. Undefined when there is no job.
 */
export function runMigrations(
    spec: PlatformSpec,
    writer: WriterParts & pulumi.Resource,
    start: (inputs: MigrationJobInputs) => pulumi.Output<true>,
): pulumi.Output<true> | undefined {
    const plan = migrationJobPlan(spec);
    if (!plan) return undefined;
    return start({ plan, password: writer.passwords.apply((pw) => pw[plan.user]), caCertificate: writer.ca?.certificate, dependsOn: [writer] });
}

/** `http://host:port/metrics`, with an IPv6 host in brackets. */
function metricsUrl({ host, port }: ServiceLocation): string {
    return `http://${host.includes(":") ? `[${host}]` : host}:${port}/metrics`;
}

/**
 * The outputs of a self-hosted stack: every URL at `locate(service)`, as the role that service
 * is for, resolving only after `migrated` (the migration job's `done`, when there is one); the
 * backups as this target reaches them (`backups`).
 */
export function endpointOutputs(
    spec: PlatformSpec,
    writer: WriterParts,
    locate: (service: ServiceName) => ServiceLocation,
    migrated: pulumi.Output<true> | undefined,
    backups: BackupAccess,
): PlatformOutputs {
    const roles = endpointRoles(spec);
    const { passwords } = writer;
    const url = (service: ServiceName, user: string, database = roles.database) =>
        afterMigrations(
            migrated,
            postgresUrl({ user, password: passwords.apply((pw) => pw[user]), ...locate(service), database, query: clientUrlQuery(spec) }),
        );
    const unavailable = unavailableEndpoints(spec);
    const primary = writerService(spec);
    return {
        host: pulumi.output(locate(primary).host),
        port: pulumi.output(locate(primary).port),
        primaryUrl: url(primary, roles.application),
        transactionPoolUrl: unavailable.transactionPoolUrl ? undefined : url("pooler-transaction", roles.application),
        sessionPoolUrl: unavailable.sessionPoolUrl ? undefined : url("pooler-session", roles.migrate),
        readOnlyUrl: unavailable.readOnlyUrl ? undefined : url("replica-1", roles.readOnly),
        metricsUrl: unavailable.metricsUrl ? undefined : pulumi.output(metricsUrl(locate("exporter"))),
        secretReferences: Object.fromEntries(loginRoles(spec).map((role) => [role, pulumi.secret(passwords.apply((pw) => pw[role]))])),
        cdc: cdcOutput(
            spec.postgres.cdc.databases.map((db) => db.name),
            cdcNames,
            (database, role) => url(primary, role, database),
        ),
        backup: unavailable.backup ? undefined : pulumi.output(backupOutput(spec, backups)),
        unavailable,
        caCertificate: writer.ca?.certificate,
    };
}
