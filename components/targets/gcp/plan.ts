/**
 * Every decision the gcp target makes from a spec, before any resource exists. Pure: no
 * Pulumi import.
 */
import type { PlatformSpec } from "../../config";
import { parseMemoryMb } from "../../config/memory";
import type { GcpSettings } from "../../config/targets/gcp";
import { sharedParameters } from "../../render/parameters";
import { managedSettings } from "../../managed/spec";
import { productionDefault } from "../../config/production-defaults";

/** Cloud SQL's edition, which decides the tiers and limits available. */
export type CloudSqlEdition = "ENTERPRISE" | "ENTERPRISE_PLUS";

/** The edition a tier belongs to: performance-optimized tiers are Enterprise Plus only. */
export function cloudSqlEdition(tier: string): CloudSqlEdition {
    return tier.startsWith("db-perf-optimized-") ? "ENTERPRISE_PLUS" : "ENTERPRISE";
}

/** Longest point-in-time log retention per edition, in days. */
const MAX_LOG_RETENTION_DAYS: Readonly<Record<CloudSqlEdition, number>> = { ENTERPRISE: 7, ENTERPRISE_PLUS: 35 };

/**
 * Cloud SQL loads extensions through its own flags instead of `shared_preload_libraries`
 * (which it does not accept); pg_stat_statements is always loaded.
 */
const PRELOAD_FLAGS: Readonly<Record<string, string | undefined>> = {
    pg_cron: "cloudsql.enable_pg_cron",
    pgaudit: "cloudsql.enable_pgaudit",
    auto_explain: "cloudsql.enable_auto_explain",
    pg_stat_statements: undefined,
};

/** Shortest password the instance's validation policy accepts. */
export const MIN_PASSWORD_LENGTH = 16;

/** One database flag. */
export interface CloudSqlFlag {
    /** Flag name. */
    readonly name: string;
    /** Value. */
    readonly value: string;
}

/**
 * The instance's database flags: the shared parameters (preloads turned into Cloud SQL's
 * enable flags), logical decoding with a bounded slot WAL for CDC, then the stack's own
 * parameters, sorted by name.
 */
export function cloudSqlFlags(spec: PlatformSpec): CloudSqlFlag[] {
    const { shared_preload_libraries: preloads, ...shared } = sharedParameters(spec);
    const flags: Record<string, string> = { ...shared };
    for (const library of preloads?.split(",") ?? []) {
        const flag = PRELOAD_FLAGS[library];
        if (flag) flags[flag] = "on";
    }
    if (spec.postgres.cdc.enabled) {
        flags["cloudsql.logical_decoding"] = "on";
        flags.max_slot_wal_keep_size = String(parseMemoryMb(spec.postgres.maxSlotWalKeepSize));
    }
    for (const [name, value] of Object.entries(spec.postgres.parameters)) flags[name] = String(value);
    return Object.entries(flags)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value }));
}

/** What the gcp target builds for a spec. */
export interface CloudSqlPlan {
    /** The target's settings, defaults applied. */
    readonly settings: GcpSettings;
    /** `POSTGRES_<major>`. */
    readonly databaseVersion: string;
    /** Edition matching the tier. */
    readonly edition: CloudSqlEdition;
    /** Database flags. */
    readonly flags: readonly CloudSqlFlag[];
    /** `REGIONAL` (HA) or `ZONAL`. */
    readonly availabilityType: "REGIONAL" | "ZONAL";
    /** Deletion protection, in Pulumi and in Cloud SQL. */
    readonly deletionProtection: boolean;
    /** Automated backups with point-in-time recovery. */
    readonly backups: boolean;
    /** Daily backups retained. */
    readonly retainedBackups: number;
    /** Days of write-ahead log kept for point-in-time recovery. */
    readonly logRetentionDays: number;
    /** Read replicas. */
    readonly replicas: number;
    /** Roles and grants through the postgresql provider. */
    readonly manageDatabases: boolean;
}

/** The gcp target's plan for a spec; throws a ConfigError naming every key it cannot honour. */
export function cloudSqlPlan(spec: PlatformSpec): CloudSqlPlan {
    const settings = managedSettings(spec, {
        target: "gcp",
        metrics: "Cloud Monitoring and Query Insights",
        access: "VPC firewall rules (private IP) or gcp.authorizedNetworks (public IP)",
        size: "gcp.tier",
        apiCreatesDatabases: "all",
    });

    const production = spec.production;
    const edition = cloudSqlEdition(settings.tier);
    const retainedBackups = productionDefault("gcp.backupRetentionDays", settings.backupRetentionDays, production);
    return {
        settings,
        databaseVersion: `POSTGRES_${spec.postgres.version}`,
        edition,
        flags: cloudSqlFlags(spec),
        availabilityType: productionDefault("gcp.regional", settings.regional, production) ? "REGIONAL" : "ZONAL",
        deletionProtection: productionDefault("gcp.deletionProtection", settings.deletionProtection, production),
        backups: spec.backup.enabled,
        retainedBackups,
        logRetentionDays: Math.min(retainedBackups, MAX_LOG_RETENTION_DAYS[edition]),
        replicas: spec.replicas,
        manageDatabases: settings.manageDatabases,
    };
}
