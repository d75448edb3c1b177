import * as aws from "@pulumi/aws";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CONTAINER_PORTS, RDS_PROXY_CLIENT_AUTH } from "../../platform/constants";
import { DatabaseRoles, managedPassword } from "../../managed/database-roles";
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
    return name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, "");
}

/** What every step of the constructor reads. */
interface Context {
    /** The component's name; children are `<name>-<part>`. */
    readonly name: string;
    /** {@link rdsName} of it, for the names RDS and Secrets Manager see. */
    readonly prefix: string;
    /** The decisions of `rdsPlan(spec)`. */
    readonly plan: RdsPlan;
    /** Region of every regional resource; undefined: the aws provider's (`aws:region`). */
    readonly region: string | undefined;
    /** PostgreSQL's port on every instance and the proxy. */
    readonly port: number;
}

/** Settings the primary and its replicas share. */
type InstanceSettings = Omit<aws.rds.InstanceArgs, "engine" | "replicateSourceDb">;

/** A login RDS Proxy accepts: the ARN of its secret, and the secret's value in place. */
interface ProxyLogin {
    readonly secretArn: pulumi.Output<string>;
    readonly version: aws.secretsmanager.SecretVersion;
}

/**
 * PostgreSQL on Amazon RDS: a private, encrypted Multi-AZ primary with its parameter group,
 * subnet group and security group; read replicas; RDS Proxy as the transaction pool; and
 * optionally the spec's databases and least-privilege roles.
 *
 * The master password is a random one the program sets, not one RDS manages in Secrets Manager
 * (`manageMasterUserPassword`): RDS creates no read replica of a source whose password it manages.
 * The program writes it to a Secrets Manager secret of its own (encrypted with `aws.kmsKeyId`),
 * which RDS Proxy, the outputs and operators use; in Pulumi's state it exists only as a secret,
 * encrypted by the stack's secrets provider. `aws.masterPasswordVersion` rotates it.
 */
export class RdsPostgres extends pulumi.ComponentResource {
    /** Host name of the primary (writer). */
    public readonly address: pulumi.Output<string>;
    /** The primary's DB instance identifier (what the aws CLI's rds commands name it by). */
    public readonly identifier: pulumi.Output<string>;
    /** PostgreSQL port of every instance and the proxy (5432). */
    public readonly port: pulumi.Output<number>;
    /** Host names of the read replicas, in order. */
    public readonly replicaAddresses: pulumi.Output<string>[];
    /** RDS Proxy's read-write endpoint, when the plan has a proxy. */
    public readonly proxyEndpoint: pulumi.Output<string> | undefined;
    /** The master (admin) role's name. */
    public readonly masterUsername: string;
    /** ARN of the Secrets Manager secret holding the master login (username, password, host, port, dbname). */
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
        const ctx: Context = { name, prefix: rdsName(name), plan, region: plan.settings.region, port: CONTAINER_PORTS.postgres };

        const parameterGroup = this.parameterGroup(ctx);
        const subnetGroup = this.subnetGroup(ctx);
        const securityGroup = this.securityGroup(ctx);
        const masterPassword = managedPassword(`${name}-master-password`, this, { version: String(plan.settings.masterPasswordVersion) });
        const shared = this.instanceSettings(ctx, parameterGroup, securityGroup);
        const primary = this.primary(ctx, shared, subnetGroup, masterPassword);
        const replicas = this.replicas(ctx, shared, primary);
        const master = this.masterSecret(ctx, primary, masterPassword);
        const roles = plan.manageDatabases
            ? this.databaseRoles(ctx, args.databases, primary, masterPassword)
            : { passwords: {}, logins: {} as Record<string, ProxyLogin> };

        this.proxyEndpoint = plan.proxy ? this.proxy(ctx, primary, securityGroup, [master, ...Object.values(roles.logins)]) : undefined;
        this.address = primary.address;
        this.identifier = primary.identifier;
        this.port = primary.port;
        this.replicaAddresses = replicas.map((replica) => replica.address);
        this.masterUsername = MANAGED_ADMIN_ROLE;
        this.masterSecretArn = master.secretArn;
        this.rolePasswords = roles.passwords;
        this.roleSecretArns = Object.fromEntries(Object.entries(roles.logins).map(([role, login]) => [role, login.secretArn]));
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
     * The parameter group of the plan's family. The family is part of the group's name prefix,
     * and a family change replaces the group: the new group exists (under a new generated name)
     * before the instance moves to it, and the old one is deleted only after, so a major upgrade
     * never edits a group in use.
     */
    private parameterGroup({ name, prefix, plan, region }: Context): aws.rds.ParameterGroup {
        return new aws.rds.ParameterGroup(
            `${name}-params`,
            {
                namePrefix: `${prefix}-${plan.family}-`,
                family: plan.family,
                description: `pg-platform ${plan.family} settings (SCRAM only, TLS, logging, preloads)`,
                parameters: plan.parameters.map((p) => ({ ...p })),
                region,
            },
            { parent: this, deleteBeforeReplace: false },
        );
    }

    /** The DB subnet group over the plan's private subnets. */
    private subnetGroup({ name, prefix, plan, region }: Context): aws.rds.SubnetGroup {
        return new aws.rds.SubnetGroup(
            `${name}-subnets`,
            {
                namePrefix: `${prefix}-`,
                description: "pg-platform private subnets",
                subnetIds: [...plan.settings.subnetIds],
                region,
            },
            { parent: this },
        );
    }

    /**
     * The security group of the instances (and the proxy): PostgreSQL's port from the listed
     * CIDRs and security groups, and with a proxy, from and to the group itself.
     */
    private securityGroup({ name, prefix, plan, region, port }: Context): aws.ec2.SecurityGroup {
        const settings = plan.settings;
        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                namePrefix: `${prefix}-`,
                description: "pg-platform PostgreSQL: the listed clients, and the proxy to the instances",
                vpcId: settings.vpcId,
                region,
            },
            { parent: this },
        );
        const ingress = (
            suffix: string,
            source: Pick<aws.vpc.SecurityGroupIngressRuleArgs, "cidrIpv4" | "cidrIpv6" | "referencedSecurityGroupId">,
            description: string,
        ) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-in-${suffix}`,
                {
                    securityGroupId: securityGroup.id,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    description,
                    region,
                    ...source,
                },
                { parent: this },
            );
        for (const cidr of settings.allowedCidrs) {
            ingress(rdsName(cidr), cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }, `PostgreSQL from ${cidr}`);
        }
        for (const group of settings.allowedSecurityGroupIds) ingress(group, { referencedSecurityGroupId: group }, `PostgreSQL from ${group}`);
        if (plan.proxy) {
            // The proxy shares this group; it must reach the instances and nothing else.
            ingress("self", { referencedSecurityGroupId: securityGroup.id }, "PostgreSQL from RDS Proxy");
            new aws.vpc.SecurityGroupEgressRule(
                `${name}-out-self`,
                {
                    securityGroupId: securityGroup.id,
                    ipProtocol: "tcp",
                    fromPort: port,
                    toPort: port,
                    referencedSecurityGroupId: securityGroup.id,
                    description: "RDS Proxy to the instances",
                    region,
                },
                { parent: this },
            );
        }
        return securityGroup;
    }

    /** Settings the primary and its replicas share: private, encrypted, logged, the platform's parameters. */
    private instanceSettings({ port, plan, region }: Context, parameterGroup: aws.rds.ParameterGroup, securityGroup: aws.ec2.SecurityGroup): InstanceSettings {
        const settings = plan.settings;
        return {
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
            // family's group to the old engine, which RDS refuses. A rotated master password
            // takes effect at once for the same reason.
            applyImmediately: true,
            copyTagsToSnapshot: true,
            region,
        };
    }

    /** The primary: Multi-AZ when asked, backups kept, a final snapshot in production, the program's master password. */
    private primary(ctx: Context, shared: InstanceSettings, subnetGroup: aws.rds.SubnetGroup, password: random.RandomPassword): aws.rds.Instance {
        const { name, prefix, plan } = ctx;
        const settings = plan.settings;
        // A suffix made once per stack life: destroying and re-creating the stack must not
        // collide with the final snapshot the previous primary left behind.
        const snapshotSuffix = plan.finalSnapshot ? new random.RandomId(`${name}-final-snapshot-id`, { byteLength: 4 }, { parent: this }) : undefined;
        return new aws.rds.Instance(
            `${name}-primary`,
            {
                ...shared,
                engine: "postgres",
                engineVersion: plan.engineVersion,
                allowMajorVersionUpgrade: true,
                dbName: plan.initialDatabase,
                username: MANAGED_ADMIN_ROLE,
                password: pulumi.secret(password.result),
                allocatedStorage: settings.allocatedStorageGb,
                maxAllocatedStorage: settings.maxAllocatedStorageGb,
                storageType: "gp3",
                multiAz: settings.multiAz,
                dbSubnetGroupName: subnetGroup.name,
                backupRetentionPeriod: plan.backupRetentionDays,
                deleteAutomatedBackups: !plan.finalSnapshot,
                skipFinalSnapshot: !plan.finalSnapshot,
                finalSnapshotIdentifier: snapshotSuffix ? pulumi.interpolate`${prefix}-primary-final-${snapshotSuffix.hex}` : undefined,
            },
            { parent: this },
        );
    }

    /** Read replicas of the primary, single-AZ, with its settings; they share its master login through replication. */
    private replicas({ name, plan }: Context, shared: InstanceSettings, primary: aws.rds.Instance): aws.rds.Instance[] {
        return Array.from(
            { length: plan.replicas },
            (_, i) =>
                new aws.rds.Instance(
                    `${name}-replica-${i + 1}`,
                    {
                        ...shared,
                        replicateSourceDb: primary.identifier,
                        multiAz: false,
                        skipFinalSnapshot: true,
                    },
                    { parent: this },
                ),
        );
    }

    /**
     * The master login in a Secrets Manager secret of the stack's own, in the shape AWS's
     * tools and rotation functions read (engine, host, port, username, password, dbname).
     */
    private masterSecret({ name, prefix, plan, region, port }: Context, primary: aws.rds.Instance, password: random.RandomPassword): ProxyLogin {
        const secret = new aws.secretsmanager.Secret(
            `${name}-master-secret`,
            {
                namePrefix: `${prefix}/${MANAGED_ADMIN_ROLE}-`,
                description: `pg-platform: the RDS master login (${MANAGED_ADMIN_ROLE}), read by RDS Proxy and operators`,
                kmsKeyId: plan.settings.kmsKeyId,
                region,
            },
            { parent: this },
        );
        const version = new aws.secretsmanager.SecretVersion(
            `${name}-master-secret`,
            {
                secretId: secret.id,
                secretString: pulumi.secret(
                    pulumi.jsonStringify({
                        engine: "postgres",
                        host: primary.address,
                        port,
                        username: MANAGED_ADMIN_ROLE,
                        password: password.result,
                        dbname: plan.initialDatabase,
                        dbInstanceIdentifier: primary.identifier,
                    }),
                ),
                region,
            },
            { parent: this },
        );
        return { secretArn: secret.arn, version };
    }

    /**
     * The spec's databases, least-privilege roles and grants through the postgresql provider,
     * connected to the primary as the master over TLS; each role's password also in a secret
     * of its own, which RDS Proxy looks logins up in.
     */
    private databaseRoles(
        { name, prefix, plan, region, port }: Context,
        databases: DatabasePlan,
        primary: aws.rds.Instance,
        masterPassword: random.RandomPassword,
    ): { passwords: Record<string, pulumi.Output<string>>; logins: Record<string, ProxyLogin> } {
        const provider = new postgresql.Provider(
            `${name}-postgresql`,
            {
                host: primary.address,
                port,
                username: MANAGED_ADMIN_ROLE,
                password: pulumi.secret(masterPassword.result),
                database: plan.initialDatabase,
                sslmode: "require",
                superuser: false,
            },
            { parent: this },
        );
        const roles = new DatabaseRoles(
            `${name}-roles`,
            {
                plan: databases,
                provider,
                createDatabases: databases.databases.slice(1).map((db) => db.name),
            },
            { parent: this },
        );
        const passwords: Record<string, pulumi.Output<string>> = {};
        const logins: Record<string, ProxyLogin> = {};
        for (const [role, password] of Object.entries(roles.passwords)) {
            passwords[role] = password;
            const secret = new aws.secretsmanager.Secret(
                `${name}-secret-${role}`,
                {
                    namePrefix: `${prefix}/${role}-`,
                    description: `pg-platform: PostgreSQL role ${role}, read by RDS Proxy`,
                    kmsKeyId: plan.settings.kmsKeyId,
                    region,
                },
                { parent: this },
            );
            const version = new aws.secretsmanager.SecretVersion(
                `${name}-secret-${role}`,
                {
                    secretId: secret.id,
                    secretString: pulumi.secret(pulumi.jsonStringify({ username: role, password })),
                    region,
                },
                { parent: this },
            );
            logins[role] = { secretArn: secret.arn, version };
        }
        return { passwords, logins };
    }

    /** The IAM role RDS Proxy assumes, allowed to read exactly the login secrets (and decrypt them through Secrets Manager). */
    private proxyRole({ name, plan, region }: Context, secretArns: readonly pulumi.Input<string>[]): { role: aws.iam.Role; access: aws.iam.RolePolicy } {
        const role = new aws.iam.Role(
            `${name}-proxy-role`,
            {
                description: "pg-platform RDS Proxy: reads the database secrets",
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
            },
            { parent: this },
        );
        const access = new aws.iam.RolePolicy(
            `${name}-proxy-secrets`,
            {
                role: role.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secretArns },
                        // A customer key on the secrets: the proxy must decrypt them, through Secrets Manager only.
                        ...(plan.settings.kmsKeyId
                            ? [
                                  {
                                      Effect: "Allow",
                                      Action: ["kms:Decrypt"],
                                      Resource: "*",
                                      Condition: { StringLike: { "kms:ViaService": `secretsmanager.${region ?? "*"}.amazonaws.com` } },
                                  },
                              ]
                            : []),
                    ],
                }),
            },
            { parent: this },
        );
        return { role, access };
    }

    /**
     * RDS Proxy in front of the primary: TLS required, SCRAM client authentication, one
     * Secrets Manager secret per login it accepts, read through a role that can read only those.
     */
    private proxy(context: Context, primary: aws.rds.Instance, securityGroup: aws.ec2.SecurityGroup, logins: readonly ProxyLogin[]): pulumi.Output<string> {
        const { name, plan, region } = context;
        const secretArns = logins.map((login) => login.secretArn);
        const { role, access } = this.proxyRole(context, secretArns);
        const proxy = new aws.rds.Proxy(
            `${name}-proxy`,
            {
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
            },
            { parent: this, dependsOn: [access, ...logins.map((login) => login.version)] },
        );
        const pool = new aws.rds.ProxyDefaultTargetGroup(
            `${name}-proxy-pool`,
            {
                dbProxyName: proxy.name,
                connectionPoolConfig: {
                    maxConnectionsPercent: plan.settings.proxy.maxConnectionsPercent,
                    maxIdleConnectionsPercent: plan.settings.proxy.maxIdleConnectionsPercent,
                    connectionBorrowTimeout: 120,
                },
                region,
            },
            { parent: this },
        );
        new aws.rds.ProxyTarget(
            `${name}-proxy-target`,
            {
                dbProxyName: proxy.name,
                targetGroupName: pool.name,
                dbInstanceIdentifier: primary.identifier,
                region,
            },
            { parent: this },
        );
        return proxy.endpoint;
    }
}
