// The aws target: RDS for PostgreSQL behind the common outputs.
import * as pulumi from "@pulumi/pulumi";
import type { PlatformOutputs } from "../outputs";
import { ConfigError, type PlatformSpec } from "../../config";
import type { DeployContext } from "../target";
import { databasePlan } from "../../managed/roles";
import { managedUnavailable } from "../../managed/spec";
import { managedBaseName } from "../../managed/naming";
import { managedUrl } from "../../managed/urls";
import { rdsPlan } from "./plan";
import { RdsPostgres } from "./rds-postgres";

export { RdsPostgres } from "./rds-postgres";

/** Builds the RDS stack of a spec and returns the common outputs. */
export function deploy(spec: PlatformSpec, context: DeployContext): PlatformOutputs {
    const plan = rdsPlan(spec);
    // The aws provider reads its region from the stack file, so a preview needs only credentials,
    // not AWS_REGION in the shell (aws.region only moves the resources, the provider still needs one).
    const providerRegion = new pulumi.Config("aws").get("region");
    if (!providerRegion) {
        throw new ConfigError([
            `aws:region: the aws provider has no region: set aws:region in Pulumi.${context.stack}.yaml (e.g. "aws:region: ${plan.settings.region ?? "eu-west-1"}"); a preview must not depend on AWS_REGION in the shell`,
        ]);
    }
    const databases = databasePlan(spec);
    const rds = new RdsPostgres(managedBaseName(context.stack), { plan, databases });

    // Without managed roles the only login is the master, whose password is read from its
    // Secrets Manager secret: its URLs name the user only and secretReferences.masterPassword
    // says where it is.
    const logins = { database: plan.initialDatabase, port: rds.port, rolePasswords: rds.rolePasswords, adminUser: rds.masterUsername };

    const unavailable = managedUnavailable(spec, "aws", {
        sessionPoolUrl:
            "RDS Proxy has no session pool (it multiplexes by transaction and pins sessions that keep state); migrations and tools needing session state use primaryUrl, the primary's own endpoint",
        metricsUrl: "RDS exposes no Prometheus endpoint; metrics are in CloudWatch (AWS/RDS) and Performance Insights, logs in CloudWatch Logs",
        ...(plan.proxy ? {} : { transactionPoolUrl: "no RDS Proxy: it needs topology primary with pooler.enabled; connect to primaryUrl" }),
    });

    const secretReferences: Record<string, pulumi.Output<string>> = { masterPassword: rds.masterSecretArn, ...rds.roleSecretArns };
    // RDS's automated backups: listed with their restorable window; a restore makes a new instance.
    // The region is the instance's, not whatever the operator's CLI defaults to.
    const region = ` --region ${plan.settings.region ?? providerRegion}`;
    const backup = rds.identifier.apply((id) => ({
        repository: `RDS automated backups of ${id}`,
        retentionDays: plan.backupRetentionDays,
        listCommand: `aws rds describe-db-instance-automated-backups${region} --db-instance-identifier ${id}`,
        restoreCommand: `aws rds restore-db-instance-to-point-in-time${region} --source-db-instance-identifier ${id} --target-db-instance-identifier ${id}-restored --restore-time <time>`,
    }));
    return {
        host: rds.address,
        port: rds.port,
        primaryUrl: managedUrl(logins, rds.address, "readwrite"),
        transactionPoolUrl: rds.proxyEndpoint ? managedUrl(logins, rds.proxyEndpoint, "readwrite") : undefined,
        readOnlyUrl: rds.replicaAddresses.length > 0 ? managedUrl(logins, rds.replicaAddresses[0], "readonly") : undefined,
        secretReferences,
        backup: unavailable.backup ? undefined : backup,
        unavailable,
    };
}
