import * as gcp from "@pulumi/gcp";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS } from "../../platform/constants";
import { DatabaseRoles, managedPassword } from "../../managed/database-roles";
import type { DatabasePlan } from "../../managed/roles";
import { MANAGED_ADMIN_ROLE } from "../../managed/spec";
import { MIN_PASSWORD_LENGTH, type CloudSqlPlan } from "./plan";

/** Arguments of {@link CloudSqlPostgres}. */
export interface CloudSqlPostgresArgs {
    /** The decisions of `cloudSqlPlan(spec)`: tier, flags, availability, backups, replicas. */
    readonly plan: CloudSqlPlan;
    /** Databases (always created) and roles (created when `plan.manageDatabases`), from `databasePlan(spec)`. */
    readonly databases: DatabasePlan;
}

/**
 * PostgreSQL on Cloud SQL: a private-IP instance that accepts only TLS, with the platform's
 * flags, backups with point-in-time recovery, Query Insights and a password policy; read
 * replicas; the spec's databases; an admin user with a random password; and optionally the
 * least-privilege roles through the postgresql provider.
 */
export class CloudSqlPostgres extends pulumi.ComponentResource {
    /** Private IP address of the primary. */
    public readonly address: pulumi.Output<string>;
    /** PostgreSQL port (5432). */
    public readonly port: pulumi.Output<number>;
    /** Private IP addresses of the read replicas, in order. */
    public readonly replicaAddresses: pulumi.Output<string>[];
    /** `project:region:instance`, for the Cloud SQL Auth Proxy and connectors. */
    public readonly connectionName: pulumi.Output<string>;
    /** The admin user's name. */
    public readonly adminUsername: string;
    /** The admin user's password (secret). */
    public readonly adminPassword: pulumi.Output<string>;
    /** Managed role → its password (secret); empty unless the plan manages databases. */
    public readonly rolePasswords: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: CloudSqlPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-platform:gcp:CloudSqlPostgres", name, {}, opts);
        const plan = args.plan;
        const settings = plan.settings;
        const { project, region } = settings;

        // Instance settings the primary and its replicas share.
        const ipConfiguration: gcp.types.input.sql.DatabaseInstanceSettingsIpConfiguration = {
            ipv4Enabled: settings.publicIp,
            privateNetwork: settings.network,
            allocatedIpRange: settings.allocatedIpRange,
            sslMode: "ENCRYPTED_ONLY",
            authorizedNetworks: settings.authorizedNetworks.map((cidr) => ({ name: cidr, value: cidr })),
        };
        const shared = {
            tier: settings.tier,
            edition: plan.edition,
            ipConfiguration,
            databaseFlags: plan.flags.map((flag) => ({ ...flag })),
            diskType: "PD_SSD",
            diskAutoresize: true,
            deletionProtectionEnabled: plan.deletionProtection,
            insightsConfig: {
                queryInsightsEnabled: settings.queryInsights,
                recordApplicationTags: settings.queryInsights,
                recordClientAddress: settings.queryInsights,
            },
        };

        const primary = new gcp.sql.DatabaseInstance(`${name}-primary`, {
            databaseVersion: plan.databaseVersion,
            project,
            region,
            deletionProtection: plan.deletionProtection,
            settings: {
                ...shared,
                diskSize: settings.diskSizeGb,
                availabilityType: plan.availabilityType,
                backupConfiguration: {
                    enabled: plan.backups,
                    pointInTimeRecoveryEnabled: plan.backups,
                    transactionLogRetentionDays: plan.backups ? plan.logRetentionDays : undefined,
                    backupRetentionSettings: plan.backups ? { retainedBackups: plan.retainedBackups, retentionUnit: "COUNT" } : undefined,
                },
                passwordValidationPolicy: {
                    enablePasswordPolicy: true,
                    minLength: MIN_PASSWORD_LENGTH,
                    complexity: "COMPLEXITY_DEFAULT",
                    disallowUsernameSubstring: true,
                },
            },
        }, { parent: this });

        const replicas = Array.from({ length: plan.replicas }, (_, i) =>
            new gcp.sql.DatabaseInstance(`${name}-replica-${i + 1}`, {
                databaseVersion: plan.databaseVersion,
                project,
                region,
                masterInstanceName: primary.name,
                instanceType: "READ_REPLICA_INSTANCE",
                replicaConfiguration: { failoverTarget: false },
                deletionProtection: plan.deletionProtection,
                settings: { ...shared, availabilityType: "ZONAL", backupConfiguration: { enabled: false } },
            }, { parent: this }),
        );

        const databases = args.databases.databases.map((db) =>
            new gcp.sql.Database(`${name}-db-${db.name}`, { name: db.name, instance: primary.name, project }, { parent: this }),
        );

        // Cloud SQL makes API-created users members of cloudsqlsuperuser, so only the admin is
        // one; application roles are created in SQL without that membership.
        const adminPassword = managedPassword(`${name}-admin-password`, this);
        const admin = new gcp.sql.User(`${name}-admin`, {
            name: MANAGED_ADMIN_ROLE,
            instance: primary.name,
            password: adminPassword.result,
            project,
        }, { parent: this });

        const rolePasswords: Record<string, pulumi.Output<string>> = {};
        if (plan.manageDatabases) {
            const provider = new postgresql.Provider(`${name}-postgresql`, {
                host: primary.privateIpAddress,
                port: CONTAINER_PORTS.postgres,
                username: MANAGED_ADMIN_ROLE,
                password: pulumi.secret(adminPassword.result),
                database: args.databases.databases[0].name,
                sslmode: "require",
                superuser: false,
            }, { parent: this });
            const roles = new DatabaseRoles(`${name}-roles`, { plan: args.databases, provider, dependsOn: [admin, ...databases] }, { parent: this });
            Object.assign(rolePasswords, roles.passwords);
        }

        this.address = primary.privateIpAddress;
        this.port = pulumi.output(CONTAINER_PORTS.postgres);
        this.replicaAddresses = replicas.map((replica) => replica.privateIpAddress);
        this.connectionName = primary.connectionName;
        this.adminUsername = MANAGED_ADMIN_ROLE;
        this.adminPassword = pulumi.secret(adminPassword.result);
        this.rolePasswords = rolePasswords;
        this.registerOutputs({
            address: this.address,
            port: this.port,
            replicaAddresses: this.replicaAddresses,
            connectionName: this.connectionName,
        });
    }
}
