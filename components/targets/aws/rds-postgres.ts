import * as aws from "@pulumi/aws";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CONTAINER_PORTS, RDS_PROXY_CLIENT_AUTH } from "../../platform/constants";
import { DatabaseRoles } from "../../managed/database-roles";
import type { DatabasePlan } from "../../managed/roles";
import { MANAGED_ADMIN_ROLE } from "../../managed/spec";
import { PERFORMANCE_INSIGHTS_RETENTION_DAYS, RDS_LOG_EXPORTS, type RdsPlan } from "./plan";

/** Arguments of {@link RdsPostgres}. */
export interface RdsPostgresArgs {
    /** The decisions of `rdsPlan(spec)`: sizes, safeguards, parameters, replicas, proxy. */
    readonly plan: RdsPlan;
    /** Databases, roles and grants (from `databasePlan(spec)`), created when `plan.manageDatabases`. */
    readonly databases: DatabasePlan;
}

/** Lower-case letters, digits and single hyphens: what every RDS name accepts. */
export function rdsName(name: string): string {
    return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

/**
 * PostgreSQL on Amazon RDS: a private, encrypted Multi-AZ primary with its parameter group,
 * subnet group and security group; read replicas; RDS Proxy as the transaction pool; and
 * optionally the spec's databases and least-privilege roles. The master password never
 * leaves Secrets Manager (`manageMasterUserPassword`).
 */
export class RdsPostgres extends pulumi.ComponentResource {
    /** Host name of the primary (writer). */
    public readonly address: pulumi.Output<string>;
    /** PostgreSQL port of every instance and the proxy (5432). */
    public readonly port: pulumi.Output<number>;
    /** Host names of the read replicas, in order. */
    public readonly replicaAddresses: pulumi.Output<string>[];
    /** RDS Proxy's read-write endpoint, when the plan has a proxy. */
    public readonly proxyEndpoint: pulumi.Output<string> | undefined;
    /** The master (admin) role's name. */
    public readonly masterUsername: string;
    /** ARN of the Secrets Manager secret RDS keeps the master password in. */
    public readonly masterSecretArn: pulumi.Output<string>;
    /** Managed role → its password (secret); empty unless the plan manages databases. */
    public readonly rolePasswords: Readonly<Record<string, pulumi.Output<string>>>;
    /** Managed role → ARN of the Secrets Manager secret RDS Proxy authenticates it with. */
    public readonly roleSecretArns: Readonly<Record<string, pulumi.Output<string>>>;
    /** The security group clients are admitted through. */
    public readonly securityGroupId: pulumi.Output<string>;
    /** Name of the parameter group of the current family. */
    public readonly parameterGroupName: pulumi.Output<string>;

    constructor(name: string, args: RdsPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-platform:aws:RdsPostgres", name, {}, opts);
        const plan = args.plan;
        const settings = plan.settings;
        const region = settings.region;
        const prefix = rdsName(name);
        const port = CONTAINER_PORTS.postgres;

        // The family is part of the group's name prefix, and a family change replaces the
        // group: the new group exists (under a new generated name) before the instance moves
        // to it, and the old one is deleted only after, so a major upgrade never edits a
        // group in use.
        const parameterGroup = new aws.rds.ParameterGroup(`${name}-params`, {
            namePrefix: `${prefix}-${plan.family}-`,
            family: plan.family,
            description: `pg-platform ${plan.family} settings (SCRAM only, TLS, logging, preloads)`,
            parameters: plan.parameters.map((p) => ({ ...p })),
            region,
        }, { parent: this, deleteBeforeReplace: false });

        const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, {
            namePrefix: `${prefix}-`,
            description: "pg-platform private subnets",
            subnetIds: [...settings.subnetIds],
            region,
        }, { parent: this });

        const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
            namePrefix: `${prefix}-`,
            description: "pg-platform PostgreSQL: the listed clients, and the proxy to the instances",
            vpcId: settings.vpcId,
            region,
        }, { parent: this });
        const ingress = (suffix: string, source: Pick<aws.vpc.SecurityGroupIngressRuleArgs, "cidrIpv4" | "cidrIpv6" | "referencedSecurityGroupId">, description: string) =>
            new aws.vpc.SecurityGroupIngressRule(`${name}-in-${suffix}`, {
                securityGroupId: securityGroup.id,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                description,
                region,
                ...source,
            }, { parent: this });
        for (const cidr of settings.allowedCidrs) {
            ingress(rdsName(cidr), cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }, `PostgreSQL from ${cidr}`);
        }
        for (const group of settings.allowedSecurityGroupIds) ingress(group, { referencedSecurityGroupId: group }, `PostgreSQL from ${group}`);
        if (plan.proxy) {
            // The proxy shares this group; it must reach the instances and nothing else.
            ingress("self", { referencedSecurityGroupId: securityGroup.id }, "PostgreSQL from RDS Proxy");
            new aws.vpc.SecurityGroupEgressRule(`${name}-out-self`, {
                securityGroupId: securityGroup.id,
                ipProtocol: "tcp",
                fromPort: port,
                toPort: port,
                referencedSecurityGroupId: securityGroup.id,
                description: "RDS Proxy to the instances",
                region,
            }, { parent: this });
        }

        // Settings the primary and its replicas share.
        const common = {
            instanceClass: settings.instanceClass,
            port,
            publiclyAccessible: false,
            storageEncrypted: true,
            kmsKeyId: settings.kmsKeyId,
            vpcSecurityGroupIds: [securityGroup.id],
            parameterGroupName: parameterGroup.name,
            deletionProtection: plan.deletionProtection,
            iamDatabaseAuthenticationEnabled: settings.iamAuthentication,
            enabledCloudwatchLogsExports: [...RDS_LOG_EXPORTS],
            performanceInsightsEnabled: settings.performanceInsights,
            performanceInsightsRetentionPeriod: settings.performanceInsights ? PERFORMANCE_INSIGHTS_RETENTION_DAYS : undefined,
            performanceInsightsKmsKeyId: settings.performanceInsights ? settings.kmsKeyId : undefined,
            autoMinorVersionUpgrade: true,
            // A major upgrade must move the engine and the parameter group family in one
            // modification; deferring it to the maintenance window would attach the new
            // family's group to the old engine, which RDS refuses.
            applyImmediately: true,
            copyTagsToSnapshot: true,
            region,
        };

        // A suffix made once per stack life: destroying and re-creating the stack must not
        // collide with the final snapshot the previous primary left behind.
        const snapshotSuffix = plan.finalSnapshot ? new random.RandomId(`${name}-final-snapshot-id`, { byteLength: 4 }, { parent: this }) : undefined;

        const primary = new aws.rds.Instance(`${name}-primary`, {
            ...common,
            engine: "postgres",
            engineVersion: plan.engineVersion,
            allowMajorVersionUpgrade: true,
            dbName: plan.initialDatabase,
            username: MANAGED_ADMIN_ROLE,
            manageMasterUserPassword: true,
            allocatedStorage: settings.allocatedStorageGb,
            maxAllocatedStorage: settings.maxAllocatedStorageGb,
            storageType: "gp3",
            multiAz: settings.multiAz,
            dbSubnetGroupName: subnetGroup.name,
            backupRetentionPeriod: plan.backupRetentionDays,
            deleteAutomatedBackups: !plan.finalSnapshot,
            skipFinalSnapshot: !plan.finalSnapshot,
            finalSnapshotIdentifier: snapshotSuffix ? pulumi.interpolate`${prefix}-primary-final-${snapshotSuffix.hex}` : undefined,
        }, { parent: this });

        const replicas = Array.from({ length: plan.replicas }, (_, i) =>
            new aws.rds.Instance(`${name}-replica-${i + 1}`, {
                ...common,
                replicateSourceDb: primary.identifier,
                multiAz: false,
                skipFinalSnapshot: true,
            }, { parent: this }),
        );

        const masterSecretArn = primary.masterUserSecrets.apply((secrets) => secrets[0]?.secretArn ?? "");

        const rolePasswords: Record<string, pulumi.Output<string>> = {};
        const roleSecretArns: Record<string, pulumi.Output<string>> = {};
        if (plan.manageDatabases) {
            const master = aws.secretsmanager.getSecretVersionOutput({ secretId: masterSecretArn, region }, { parent: this });
            const provider = new postgresql.Provider(`${name}-postgresql`, {
                host: primary.address,
                port,
                username: MANAGED_ADMIN_ROLE,
                password: pulumi.secret(master.secretString.apply((text) => (JSON.parse(text) as { password: string }).password)),
                database: plan.initialDatabase,
                sslmode: "require",
                superuser: false,
            }, { parent: this });
            const roles = new DatabaseRoles(`${name}-roles`, {
                plan: args.databases,
                provider,
                createDatabases: args.databases.databases.slice(1).map((db) => db.name),
            }, { parent: this });
            for (const [role, password] of Object.entries(roles.passwords)) {
                rolePasswords[role] = password;
                // RDS Proxy looks up each login's password in Secrets Manager.
                const secret = new aws.secretsmanager.Secret(`${name}-secret-${role}`, {
                    namePrefix: `${prefix}/${role}-`,
                    description: `pg-platform: PostgreSQL role ${role}, read by RDS Proxy`,
                    region,
                }, { parent: this });
                new aws.secretsmanager.SecretVersion(`${name}-secret-${role}`, {
                    secretId: secret.id,
                    secretString: pulumi.secret(pulumi.jsonStringify({ username: role, password })),
                    region,
                }, { parent: this });
                roleSecretArns[role] = secret.arn;
            }
        }

        this.proxyEndpoint = plan.proxy
            ? this.proxy(name, args.plan, primary, securityGroup, [masterSecretArn, ...Object.values(roleSecretArns)])
            : undefined;
        this.address = primary.address;
        this.port = primary.port;
        this.replicaAddresses = replicas.map((replica) => replica.address);
        this.masterUsername = MANAGED_ADMIN_ROLE;
        this.masterSecretArn = masterSecretArn;
        this.rolePasswords = rolePasswords;
        this.roleSecretArns = roleSecretArns;
        this.securityGroupId = securityGroup.id;
        this.parameterGroupName = parameterGroup.name;
        this.registerOutputs({
            address: this.address,
            port: this.port,
            replicaAddresses: this.replicaAddresses,
            proxyEndpoint: this.proxyEndpoint,
            masterSecretArn: this.masterSecretArn,
            securityGroupId: this.securityGroupId,
            parameterGroupName: this.parameterGroupName,
        });
    }

    /**
     * RDS Proxy in front of the primary: TLS required, SCRAM client authentication, one
     * Secrets Manager secret per login it accepts, read through a role that can read only those.
     */
    private proxy(
        name: string,
        plan: RdsPlan,
        primary: aws.rds.Instance,
        securityGroup: aws.ec2.SecurityGroup,
        secretArns: pulumi.Output<string>[],
    ): pulumi.Output<string> {
        const region = plan.settings.region;
        const role = new aws.iam.Role(`${name}-proxy-role`, {
            description: "pg-platform RDS Proxy: reads the database secrets",
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
        }, { parent: this });
        const access = new aws.iam.RolePolicy(`${name}-proxy-secrets`, {
            role: role.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secretArns }],
            }),
        }, { parent: this });
        const proxy = new aws.rds.Proxy(`${name}-proxy`, {
            engineFamily: "POSTGRESQL",
            requireTls: true,
            idleClientTimeout: plan.settings.proxy.idleClientTimeoutSeconds,
            roleArn: role.arn,
            vpcSubnetIds: [...plan.settings.subnetIds],
            vpcSecurityGroupIds: [securityGroup.id],
            auths: secretArns.map((secretArn) => ({
                authScheme: "SECRETS",
                clientPasswordAuthType: RDS_PROXY_CLIENT_AUTH,
                iamAuth: "DISABLED",
                secretArn,
            })),
            debugLogging: false,
            region,
        }, { parent: this, dependsOn: [access] });
        const pool = new aws.rds.ProxyDefaultTargetGroup(`${name}-proxy-pool`, {
            dbProxyName: proxy.name,
            connectionPoolConfig: {
                maxConnectionsPercent: plan.settings.proxy.maxConnectionsPercent,
                maxIdleConnectionsPercent: plan.settings.proxy.maxIdleConnectionsPercent,
                connectionBorrowTimeout: 120,
            },
            region,
        }, { parent: this });
        new aws.rds.ProxyTarget(`${name}-proxy-target`, {
            dbProxyName: proxy.name,
            targetGroupName: pool.name,
            dbInstanceIdentifier: primary.identifier,
            region,
        }, { parent: this });
        return proxy.endpoint;
    }
}
