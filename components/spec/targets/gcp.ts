import { z } from "zod";
import { cidr } from "../primitives";

/** Settings of the `gcp` target (`pg-platform:gcp`): Cloud SQL for PostgreSQL. */
export const gcpSettings = z.strictObject({
    /** GCP project. Default: the provider's configured project. */
    project: z.string().min(1).optional(),
    /** Region. Required. */
    region: z.string().regex(/^[a-z]+-[a-z]+\d$/, { message: 'must be a GCP region such as "europe-west1"' }),
    /** VPC network (self link or id) the private IP is allocated in. Required. */
    network: z.string().min(1),
    /** Machine tier. Default: `db-custom-2-7680`. */
    tier: z.string().regex(/^db-(custom-\d+-\d+|f1-micro|g1-small|perf-optimized-N-\d+)$/, {
        message: 'must be a Cloud SQL tier such as "db-custom-2-7680"',
    }).default("db-custom-2-7680"),
    /** Data disk in GB. Default: 20. */
    diskSizeGb: z.number().int().min(10).max(65536).default(20),
    /** Regional (HA) availability. Default: on in production, zonal elsewhere. */
    regional: z.boolean().optional(),
    /** Deletion protection. Default: on in production, off elsewhere. */
    deletionProtection: z.boolean().optional(),
    /** Retained automated backups (days of PITR logs follow from it). Default: 30 in production, 7 elsewhere. */
    backupRetentionDays: z.number().int().min(1).max(365).optional(),
    /** Public IPv4 address. Default: false; the policy pack rejects true without an exception. */
    publicIp: z.boolean().default(false),
    /** Authorized networks for public IPv4. Default: none. */
    authorizedNetworks: z.array(cidr).default([]),
});

/** Parsed `gcp` settings. */
export type GcpSettings = z.output<typeof gcpSettings>;
