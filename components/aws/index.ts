// The aws target: RDS for PostgreSQL behind the common outputs.
import * as pulumi from "@pulumi/pulumi";
import { postgresUrl, type OptionalEndpoint, type PlatformOutputs } from "../outputs";
import type { PlatformSpec } from "../spec";
import { PROJECT } from "../spec/constants";
import type { DeployContext } from "../targets";
import { databasePlan, databaseRole, type Access } from "../managed/roles";
import { rdsPlan } from "./plan";
import { RdsPostgres } from "./rds-postgres";

export { RdsPostgres } from "./rds-postgres";

/** libpq settings every URL carries: RDS and RDS Proxy require TLS. */
const TLS_QUERY = "sslmode=require";

/** Builds the RDS stack of a spec and returns the common outputs. */
export function deploy(spec: PlatformSpec, context: DeployContext): PlatformOutputs {
    const plan = rdsPlan(spec);
    const databases = databasePlan(spec);
    const rds = new RdsPostgres(`${PROJECT}-${context.stack}`, { plan, databases });
    const database = plan.initialDatabase;

    // With managed roles every URL logs in as the least-privileged role for its use; without,
    // the only role is the master, whose password stays in Secrets Manager (not in the URL).
    const url = (host: pulumi.Input<string>, access: Access) => {
        const role = databaseRole(database, access);
        const password = rds.rolePasswords[role];
        return postgresUrl({
            user: password ? role : rds.masterUsername,
            password,
            host,
            port: rds.port,
            database,
            query: TLS_QUERY,
        });
    };

    const unavailable: Partial<Record<OptionalEndpoint, string>> = {
        sessionPoolUrl:
            "RDS Proxy has no session pool (it multiplexes by transaction and pins sessions that keep state); migrations and tools needing session state use primaryUrl, the primary's own endpoint",
        metricsUrl: "RDS exposes no Prometheus endpoint; metrics are in CloudWatch (AWS/RDS) and Performance Insights, logs in CloudWatch Logs",
    };
    if (!plan.proxy) unavailable.transactionPoolUrl = "no RDS Proxy: it needs topology primary with pooler.enabled; connect to primaryUrl";
    if (plan.replicas === 0) unavailable.readOnlyUrl = "no read replica: set replicas to 1 or more (topology primary)";

    const secretReferences: Record<string, pulumi.Output<string>> = { masterPassword: rds.masterSecretArn, ...rds.roleSecretArns };
    return {
        host: rds.address,
        port: rds.port,
        primaryUrl: url(rds.address, "readwrite"),
        transactionPoolUrl: rds.proxyEndpoint ? url(rds.proxyEndpoint, "readwrite") : undefined,
        readOnlyUrl: rds.replicaAddresses.length > 0 ? url(rds.replicaAddresses[0], "readonly") : undefined,
        secretReferences,
        unavailable,
    };
}
