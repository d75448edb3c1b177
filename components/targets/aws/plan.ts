/**
 * Every decision the aws target makes from a spec, before any resource exists. Pure: no
 * Pulumi import, so the choices are tested directly and explained in one place.
 */
import { ConfigError, hasPooler, type PlatformSpec } from "../../config";
import { PROJECT } from "../../platform/constants";
import type { AwsSettings } from "../../config/targets/aws";
import { managedSpecProblems, productionDefault } from "../../managed/spec";
import { rdsFamily, rdsParameters, type RdsParameter } from "./parameters";

/** CloudWatch log groups the instances export to. */
export const RDS_LOG_EXPORTS = ["postgresql", "upgrade"] as const;

/** Performance Insights retention in days: the free tier. */
export const PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7;

/** What the aws target builds for a spec. */
export interface RdsPlan {
    /** The target's settings, defaults applied. */
    readonly settings: AwsSettings;
    /** Major version given to RDS; it picks the newest minor and upgrades minors itself. */
    readonly engineVersion: string;
    /** Parameter group family, e.g. `postgres17`. */
    readonly family: string;
    /** Parameter group entries. */
    readonly parameters: readonly RdsParameter[];
    /** Deletion protection on every instance. */
    readonly deletionProtection: boolean;
    /** Final snapshot of the primary on delete. */
    readonly finalSnapshot: boolean;
    /** Automated backup retention in days; 0 when backups are off. */
    readonly backupRetentionDays: number;
    /** Read replicas. */
    readonly replicas: number;
    /** RDS Proxy, when the spec asks for a pool. */
    readonly proxy: boolean;
    /** Databases and roles through the postgresql provider. */
    readonly manageDatabases: boolean;
    /** The database RDS creates with the instance (the spec's first). */
    readonly initialDatabase: string;
}

/** The aws target's plan for a spec; throws a ConfigError naming every key it cannot honour. */
export function rdsPlan(spec: PlatformSpec): RdsPlan {
    const settings = spec.aws;
    if (!settings) throw new ConfigError([`${PROJECT}:aws: target "aws" needs its own settings under ${PROJECT}:aws`]);
    const proxy = hasPooler(spec);
    const problems = managedSpecProblems(spec, {
        target: "aws",
        pool: "RDS Proxy",
        metrics: "CloudWatch and Performance Insights",
        access: "aws.allowedCidrs / aws.allowedSecurityGroupIds",
        size: "aws.instanceClass",
        apiCreatesDatabases: "first",
        manageDatabases: settings.manageDatabases,
        manageDatabasesKey: "aws.manageDatabases",
    });
    if (problems.length > 0) throw new ConfigError(problems);

    const production = spec.production;
    return {
        settings,
        engineVersion: String(spec.postgres.version),
        family: rdsFamily(spec.postgres.version),
        parameters: rdsParameters(spec),
        deletionProtection: productionDefault(settings.deletionProtection, production, true, false),
        finalSnapshot: productionDefault(settings.finalSnapshot, production, true, false),
        backupRetentionDays: spec.backup.enabled ? productionDefault(settings.backupRetentionDays, production, 30, 7) : 0,
        replicas: spec.replicas,
        proxy,
        manageDatabases: settings.manageDatabases,
        initialDatabase: spec.postgres.databases[0].name,
    };
}
