/**
 * Every decision the aws target makes from a spec, before any resource exists. Pure: no
 * Pulumi import, so the choices are tested directly and explained in one place.
 */
import { hasPooler, type PlatformSpec } from "../../config";
import type { AwsSettings } from "../../config/targets/aws";
import { managedSettings } from "../../managed/spec";
import { productionDefault } from "../../config/production-defaults";
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
    const settings = managedSettings(spec, {
        target: "aws",
        pool: "RDS Proxy",
        metrics: "CloudWatch and Performance Insights",
        access: "aws.allowedCidrs / aws.allowedSecurityGroupIds",
        size: "aws.instanceClass",
        apiCreatesDatabases: "first",
    });

    const production = spec.production;
    return {
        settings,
        engineVersion: String(spec.postgres.version),
        family: rdsFamily(spec.postgres.version),
        parameters: rdsParameters(spec),
        deletionProtection: productionDefault("aws.deletionProtection", settings.deletionProtection, production),
        finalSnapshot: productionDefault("aws.finalSnapshot", settings.finalSnapshot, production),
        backupRetentionDays: spec.backup.enabled ? productionDefault("aws.backupRetentionDays", settings.backupRetentionDays, production) : 0,
        replicas: spec.replicas,
        proxy: hasPooler(spec),
        manageDatabases: settings.manageDatabases,
        initialDatabase: spec.postgres.databases[0].name,
    };
}
