import { z } from "zod";
import { cidr } from "../primitives";

/** Settings of the `aws` target (`pg-platform:aws`): RDS for PostgreSQL. */
export const awsSettings = z.strictObject({
    /** AWS region. Default: the provider's configured region. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'must be an AWS region such as "eu-west-1"' }).optional(),
    /** VPC the instance lives in. Required. */
    vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, { message: 'must be a VPC id such as "vpc-0abc123"' }),
    /** Private subnets for the DB subnet group, in at least two availability zones. Required. */
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { message: 'must be a subnet id such as "subnet-0abc123"' })).min(2),
    /** CIDR blocks admitted on the PostgreSQL port. Default: none. */
    allowedCidrs: z.array(cidr).default([]),
    /** Security groups admitted on the PostgreSQL port. Default: none. */
    allowedSecurityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/, { message: 'must be a security group id such as "sg-0abc123"' })).default([]),
    /** Instance class of the primary and replicas. Default: `db.t4g.medium`. */
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must be an RDS instance class such as "db.r6g.large"' }).default("db.t4g.medium"),
    /** Initial storage in GiB. Default: 20. */
    allocatedStorageGb: z.number().int().min(20).max(65536).default(20),
    /** Storage autoscaling ceiling in GiB. Default: 100. */
    maxAllocatedStorageGb: z.number().int().min(20).max(65536).default(100),
    /** Multi-AZ standby. Default: true. */
    multiAz: z.boolean().default(true),
    /** Deletion protection. Default: on in production, off elsewhere. */
    deletionProtection: z.boolean().optional(),
    /** Automated backup retention in days (PITR window). Default: 30 in production, 7 elsewhere. */
    backupRetentionDays: z.number().int().min(0).max(35).optional(),
    /** KMS key for storage encryption. Default: the AWS-managed RDS key. */
    kmsKeyId: z.string().min(1).optional(),
    /** Performance Insights. Default: true. */
    performanceInsights: z.boolean().default(true),
    /** IAM database authentication. Default: true. */
    iamAuthentication: z.boolean().default(true),
    /** RDS Proxy in front of the primary. Default: true. */
    proxy: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
    /** Create databases and roles through the postgresql provider (needs network reach). Default: false. */
    manageDatabases: z.boolean().default(false),
});

/** Parsed `aws` settings. */
export type AwsSettings = z.output<typeof awsSettings>;
