// The gcp target: Cloud SQL for PostgreSQL behind the common outputs.
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformOutputs } from "../outputs";
import type { PlatformSpec } from "../../config";
import type { DeployContext } from "../target";
import { databasePlan } from "../../managed/roles";
import { managedUnavailable } from "../../managed/spec";
import { managedBaseName } from "../../managed/naming";
import { managedUrl } from "../../managed/urls";
import { CloudSqlPostgres } from "./cloud-sql-postgres";
import { cloudSqlPlan } from "./plan";

export { CloudSqlPostgres } from "./cloud-sql-postgres";

/** Why Cloud SQL stacks have no pool URLs. */
const NO_POOL =
    "the platform deploys no pooler on Cloud SQL (pooler.enabled is false on this target); connect to primaryUrl, or run PgBouncer beside the application";

/** Builds the Cloud SQL stack of a spec and returns the common outputs. */
export function deploy(spec: PlatformSpec, context: DeployContext): PlatformOutputs {
    const plan = cloudSqlPlan(spec);
    const databases = databasePlan(spec);
    const sql = new CloudSqlPostgres(managedBaseName(context.stack), { plan, databases });
    const logins = {
        database: databases.databases[0].name,
        port: sql.port,
        rolePasswords: sql.rolePasswords,
        adminUser: sql.adminUsername,
        adminPassword: sql.adminPassword,
    };

    const unavailable = managedUnavailable(spec, "gcp", {
        transactionPoolUrl: NO_POOL,
        sessionPoolUrl: NO_POOL,
        metricsUrl: "Cloud SQL exposes no Prometheus endpoint; metrics are in Cloud Monitoring (cloudsql.googleapis.com) and Query Insights",
    });

    const secretReferences: Record<string, pulumi.Output<string>> = { adminPassword: sql.adminPassword, ...sql.rolePasswords };
    // Cloud SQL's automated backups; a point-in-time restore is a clone into a new instance.
    const backup = sql.connectionName.apply((connection) => {
        const [project, , instance] = connection.split(":");
        return {
            repository: `Cloud SQL backups of ${project}:${instance}`,
            retentionDays: plan.retainedBackups,
            listCommand: `gcloud sql backups list --project=${project} --instance=${instance}`,
            restoreCommand: `gcloud sql instances clone ${instance} ${instance}-restored --project=${project} --point-in-time=<time>`,
        };
    });
    return {
        host: sql.address,
        port: sql.port,
        primaryUrl: managedUrl(logins, sql.address, "readwrite"),
        readOnlyUrl: sql.replicaAddresses.length > 0 ? managedUrl(logins, sql.replicaAddresses[0], "readonly") : undefined,
        secretReferences,
        backup: unavailable.backup ? undefined : backup,
        unavailable,
    };
}
