import { z } from "zod";
import { cidr, refuseWholePublicSpace } from "../primitives";

/**
 * RDS instance classes: `db.<family><generation><options>.<size>`, e.g. `db.r6g.large`,
 * `db.m7i.2xlarge`, `db.t4g.medium`. Checked by shape so a new family needs no release.
 */
export const RDS_INSTANCE_CLASS = /^db\.[a-z]+\d+[a-z-]*\.(micro|small|medium|large|xlarge|[1-9]\d*xlarge|metal(-\d+xl)?)$/;

/** Message for a setting a stack must provide, naming what it is for. */
const required = (what: string) => (issue: { input: unknown }) => (issue.input === undefined ? `is required: ${what}` : undefined);

/** A KMS key as RDS takes it: key id (UUID or multi-Region mrk-), key ARN, alias name or alias ARN. */
const KMS_KEY =
    /^(?:(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|alias\/[a-zA-Z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|alias\/[a-zA-Z0-9/_-]{1,250}))$/;

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'must be a subnet id such as "subnet-0abc1234"' });

/** Settings of the `aws` target (`pg-platform:aws`): RDS for PostgreSQL. */
export const awsSettings = z
    .strictObject({
        /**
         * AWS region of every regional resource. Default: the aws provider's region, `aws:region`,
         * which the stack file must set in any case (the provider needs one to start; the program
         * refuses a stack without it, so a preview needs no AWS_REGION in the shell).
         */
        region: z
            .string()
            .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'must be an AWS region such as "eu-west-1"' })
            .optional(),
        /** VPC the instances and the proxy live in. Required. */
        vpcId: z
            .string({ error: required('the VPC id, e.g. "vpc-0abc1234"') })
            .regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'must be a VPC id such as "vpc-0abc1234"' }),
        /** Private subnets of the DB subnet group and the proxy, in at least two availability zones. Required. */
        subnetIds: z
            .array(subnetId, { error: required("private subnet ids in at least two availability zones, e.g. [subnet-0abc1234, subnet-0def5678]") })
            .min(2, { message: "needs at least two subnets, in different availability zones (RDS and RDS Proxy refuse fewer)" })
            .refine((ids) => new Set(ids).size === ids.length, { message: "lists a subnet twice" }),
        /** CIDR blocks admitted on the PostgreSQL port. Default: none (then allowedSecurityGroupIds must admit someone). */
        allowedCidrs: z
            .array(
                cidr.refine((block) => !/\/0$/.test(block), {
                    message: "admits every address (/0); list the client ranges that need the database, e.g. your VPC's private CIDR",
                }),
            )
            .superRefine(refuseWholePublicSpace("list the client ranges that need the database, e.g. your VPC's private CIDR", true))
            .default([]),
        /** Security groups admitted on the PostgreSQL port. Default: none. */
        allowedSecurityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, { message: 'must be a security group id such as "sg-0abc1234"' })).default([]),
        /** Instance class of the primary and its replicas. Default: `db.t4g.medium`. */
        instanceClass: z
            .string()
            .regex(RDS_INSTANCE_CLASS, {
                message: 'must be an RDS instance class "db.<family>.<size>" such as "db.t4g.medium", "db.r6g.large" or "db.m7g.2xlarge"',
            })
            .default("db.t4g.medium"),
        /** Initial storage (gp3) in GiB. Default: 20. */
        allocatedStorageGb: z.number().int().min(20).max(65536).default(20),
        /** Storage autoscaling ceiling in GiB; must be at least allocatedStorageGb. Default: 100. */
        maxAllocatedStorageGb: z.number().int().min(20).max(65536).default(100),
        /** Multi-AZ standby for the primary (replicas stay single-AZ). Default: true. */
        multiAz: z.boolean().default(true),
        /** Deletion protection on every instance. Default: on in production, off elsewhere. */
        deletionProtection: z.boolean().optional(),
        /** Final snapshot when the primary is deleted. Default: on in production, off elsewhere. */
        finalSnapshot: z.boolean().optional(),
        /**
         * Automated backup retention in days, which is also the point-in-time-recovery window.
         * Turn backups off with `backup.enabled: false`, not with 0. Default: 30 in production, 7 elsewhere.
         */
        backupRetentionDays: z.number().int().min(1, { message: "must be 1..35; turn backups off with backup.enabled: false" }).max(35).optional(),
        /**
         * The master password's generation: raise it (2, 3, …) and `pulumi up` rotates the password,
         * a new random one set on the primary (the replicas follow through replication) and written
         * as a new version of the master secret RDS Proxy and operators read. Default: 1.
         */
        masterPasswordVersion: z.number().int().min(1).default(1),
        /** KMS key (id or ARN) for storage, Performance Insights and the master secret. Default: the AWS-managed keys. */
        kmsKeyId: z.string().regex(KMS_KEY, { message: 'must be a KMS key id, key ARN, alias ("alias/name") or alias ARN' }).optional(),
        /** Performance Insights (7 days retention, the free tier). Default: true. */
        performanceInsights: z.boolean().default(true),
        /** IAM database authentication beside passwords. Default: true. */
        iamAuthentication: z.boolean().default(true),
        /**
         * RDS Proxy tuning. Whether a proxy exists follows `pooler.enabled` (topology `primary`):
         * on this target the transaction pool is RDS Proxy.
         */
        proxy: z
            .strictObject({
                /** Largest share of the primary's max_connections the proxy may open, in percent. Default: 90. */
                maxConnectionsPercent: z.number().int().min(1).max(100).default(90),
                /** Share of max_connections the proxy keeps open while idle, in percent. Default: 50. */
                maxIdleConnectionsPercent: z.number().int().min(0).max(100).default(50),
                /** Seconds an idle client connection is kept. Default: 1800. */
                idleClientTimeoutSeconds: z.number().int().min(1).max(28800).default(1800),
            })
            .prefault({}),
        /**
         * Create the spec's databases and least-privilege roles through the `postgresql` provider.
         * The machine running `pulumi up` must reach the primary (VPN, bastion or a runner in the
         * VPC) and be allowed by allowedCidrs / allowedSecurityGroupIds. Default: false.
         */
        manageDatabases: z.boolean().default(false),
    })
    .superRefine((settings, ctx) => {
        if (settings.maxAllocatedStorageGb < settings.allocatedStorageGb) {
            ctx.addIssue({
                code: "custom",
                path: ["maxAllocatedStorageGb"],
                message: `must be at least allocatedStorageGb (${settings.allocatedStorageGb})`,
            });
        }
        if (settings.proxy.maxIdleConnectionsPercent > settings.proxy.maxConnectionsPercent) {
            ctx.addIssue({
                code: "custom",
                path: ["proxy", "maxIdleConnectionsPercent"],
                message: `must not exceed proxy.maxConnectionsPercent (${settings.proxy.maxConnectionsPercent})`,
            });
        }
        if (settings.allowedCidrs.length === 0 && settings.allowedSecurityGroupIds.length === 0) {
            ctx.addIssue({
                code: "custom",
                path: ["allowedCidrs"],
                message: "admits nobody: list client CIDR blocks here or security groups in allowedSecurityGroupIds",
            });
        }
    });

/** Parsed `aws` settings. */
export type AwsSettings = z.output<typeof awsSettings>;
