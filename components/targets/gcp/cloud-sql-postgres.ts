import * as gcp from "@pulumi/gcp";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import type * as random from "@pulumi/random";
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

/** Instance settings the primary and its replicas share. */
type SharedSettings = gcp.types.input.sql.DatabaseInstanceSettings;

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
        const shared = this.instanceSettings(plan);
        const primary = this.primary(name, plan, shared);
        const replicas = this.replicas(name, plan, shared, primary);
        const databases = args.databases.databases.map(
            (db) => new gcp.sql.Database(`${name}-db-${db.name}`, { name: db.name, instance: primary.name, project: plan.settings.project }, { parent: this }),
        );
        const adminPassword = managedPassword(`${name}-admin-password`, this);
        const admin = this.adminUser(name, plan, primary, adminPassword);
        const rolePasswords = plan.manageDatabases ? this.databaseRoles(name, args.databases, primary, adminPassword, [admin, ...databases]) : {};

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

    /** Instance settings the primary and its replicas share: private IP, TLS only, the platform's flags, Query Insights. */
    private instanceSettings(plan: CloudSqlPlan): SharedSettings {
        const settings = plan.settings;
        return {
            tier: settings.tier,
            edition: plan.edition,
            ipConfiguration: {
                ipv4Enabled: settings.publicIp,
                privateNetwork: settings.network,
                allocatedIpRange: settings.allocatedIpRange,
                sslMode: "ENCRYPTED_ONLY",
                authorizedNetworks: settings.authorizedNetworks.map((cidr) => ({ name: cidr, value: cidr })),
            },
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
    }

    /** The primary: regional in production, backups with point-in-time recovery, a password policy. */
    private primary(name: string, plan: CloudSqlPlan, shared: SharedSettings): gcp.sql.DatabaseInstance {
        const { project, region, diskSizeGb } = plan.settings;
        return new gcp.sql.DatabaseInstance(
            `${name}-primary`,
            {
                databaseVersion: plan.databaseVersion,
                project,
                region,
                deletionProtection: plan.deletionProtection,
                settings: {
                    ...shared,
                    diskSize: diskSizeGb,
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
            },
            { parent: this },
        );
    }

    /**
     * Zonal read replicas of the primary with its settings. No `replicaConfiguration`: its
     * `failoverTarget` is MySQL's (the provider marks it unsupported for PostgreSQL), and HA
     * here is the primary's regional availability.
     */
    private replicas(name: string, plan: CloudSqlPlan, shared: SharedSettings, primary: gcp.sql.DatabaseInstance): gcp.sql.DatabaseInstance[] {
        const { project, region } = plan.settings;
        return Array.from(
            { length: plan.replicas },
            (_, i) =>
                new gcp.sql.DatabaseInstance(
                    `${name}-replica-${i + 1}`,
                    {
                        databaseVersion: plan.databaseVersion,
                        project,
                        region,
                        masterInstanceName: primary.name,
                        instanceType: "READ_REPLICA_INSTANCE",
                        deletionProtection: plan.deletionProtection,
                        settings: { ...shared, availabilityType: "ZONAL", backupConfiguration: { enabled: false } },
                    },
                    { parent: this },
                ),
        );
    }

    /**
     * The admin user with a random password. Cloud SQL makes API-created users members of
     * cloudsqlsuperuser, so only the admin is one; application roles are created in SQL.
     */
    private adminUser(name: string, plan: CloudSqlPlan, primary: gcp.sql.DatabaseInstance, password: random.RandomPassword): gcp.sql.User {
        return new gcp.sql.User(
            `${name}-admin`,
            {
                name: MANAGED_ADMIN_ROLE,
                instance: primary.name,
                password: password.result,
                project: plan.settings.project,
            },
            { parent: this },
        );
    }

    /** The least-privilege roles and grants through the postgresql provider, connected as the admin over TLS. */
    private databaseRoles(
        name: string,
        databases: DatabasePlan,
        primary: gcp.sql.DatabaseInstance,
        adminPassword: random.RandomPassword,
        dependsOn: pulumi.Resource[],
    ): Readonly<Record<string, pulumi.Output<string>>> {
        const provider = new postgresql.Provider(
            `${name}-postgresql`,
            {
                host: primary.privateIpAddress,
                port: CONTAINER_PORTS.postgres,
                username: MANAGED_ADMIN_ROLE,
                password: pulumi.secret(adminPassword.result),
                database: databases.databases[0].name,
                sslmode: "require",
                superuser: false,
            },
            { parent: this },
        );
        return new DatabaseRoles(`${name}-roles`, { plan: databases, provider, dependsOn }, { parent: this }).passwords;
    }
}
