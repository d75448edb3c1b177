import { TYPES, isCloudSqlReplica, isRdsReplica } from "./resources";
import { resourceRule } from "./rule";

/** encrypted-and-protected's config. */
export interface EncryptedAndProtectedConfig {
    /** Fewest days of automated backups (and so of point-in-time recovery). Default: 7. */
    readonly minimumBackupRetentionDays: number;
}

/** The default of {@link EncryptedAndProtectedConfig.minimumBackupRetentionDays}. */
export const DEFAULT_MINIMUM_BACKUP_RETENTION_DAYS = 7;

/** Cloud SQL keeps this many automated backups when backupRetentionSettings is not given. */
const CLOUD_SQL_DEFAULT_RETAINED_BACKUPS = 7;

/**
 * encrypted-and-protected: managed primaries are encrypted, cannot be deleted by accident,
 * keep a week of point-in-time recovery and survive a zone failure. Read replicas are left
 * out: they inherit encryption from their source, hold no data of their own, and Cloud SQL
 * refuses backups on them.
 */
export const encryptedAndProtected = resourceRule<EncryptedAndProtectedConfig>(
    {
        name: "encrypted-and-protected",
        description:
            "RDS and Cloud SQL primaries: storage encrypted, deletion protection on, backups with point-in-time recovery kept long enough, Multi-AZ / regional.",
        severity: "high",
        enforcementLevel: "advisory",
        remediationSteps: [
            "Set pg-platform:production: true (deletion protection, 30-day backups, HA) or set the aws/gcp settings one by one:",
            "aws.multiAz, aws.deletionProtection, aws.backupRetentionDays; gcp.regional, gcp.deletionProtection, gcp.backupRetentionDays.",
            "Lower the bar per stack with encrypted-and-protected.minimumBackupRetentionDays in its policy config.",
        ].join(" "),
        configSchema: {
            properties: {
                minimumBackupRetentionDays: {
                    type: "integer",
                    minimum: 1,
                    default: DEFAULT_MINIMUM_BACKUP_RETENTION_DAYS,
                    description: "Fewest days of automated backups / point-in-time recovery.",
                },
            },
        },
    },
    {
        [TYPES.rdsInstance]: (instance, { config }) => {
            if (isRdsReplica(instance)) return [];
            const minimum = config.minimumBackupRetentionDays;
            const retention = instance.backupRetentionPeriod;
            return [
                ...(instance.storageEncrypted === true
                    ? []
                    : ["storageEncrypted is not true; encrypt the storage (it cannot be turned on later without a snapshot restore)"]),
                ...(instance.deletionProtection === true ? [] : ["deletionProtection is not true; turn it on"]),
                ...(retention !== undefined && retention >= minimum
                    ? []
                    : [`backupRetentionPeriod is ${retention ?? "not set"}; keep at least ${minimum} days of backups`]),
                ...(instance.multiAz === true ? [] : ["multiAz is not true; run a standby in a second availability zone"]),
            ];
        },
        [TYPES.cloudSqlInstance]: (instance, { config }) => {
            if (isCloudSqlReplica(instance)) return [];
            const minimum = config.minimumBackupRetentionDays;
            const settings = instance.settings;
            const backups = settings?.backupConfiguration;
            const retained = backups?.backupRetentionSettings?.retainedBackups ?? CLOUD_SQL_DEFAULT_RETAINED_BACKUPS;
            return [
                // deletionProtection (default true) guards against `pulumi destroy`; deletionProtectionEnabled guards the instance in GCP itself.
                ...(instance.deletionProtection !== false && settings?.deletionProtectionEnabled === true
                    ? []
                    : ["deletion protection is off; set settings.deletionProtectionEnabled: true and leave deletionProtection on"]),
                ...(backups?.enabled === true && backups.pointInTimeRecoveryEnabled === true
                    ? []
                    : ["backups with point-in-time recovery are off; set settings.backupConfiguration.enabled and pointInTimeRecoveryEnabled to true"]),
                ...(retained >= minimum ? [] : [`only ${retained} automated backups are retained; keep at least ${minimum}`]),
                ...(settings?.availabilityType === "REGIONAL"
                    ? []
                    : [`availabilityType is ${settings?.availabilityType ?? "ZONAL (the default)"}; set it to REGIONAL`]),
            ];
        },
    },
);
