import { z } from "zod";
import { cidr, refuseWholePublicSpace } from "../primitives";

/** vCPU counts a Cloud SQL custom tier may have: 1, or an even number up to 96. */
const CUSTOM_VCPUS = (cpus: number) => cpus === 1 || (cpus % 2 === 0 && cpus >= 2 && cpus <= 96);

/** vCPU counts of the Enterprise Plus performance-optimized tiers. */
export const PERF_OPTIMIZED_VCPUS = [2, 4, 8, 16, 32, 48, 64, 80, 96, 128] as const;

const TIER = /^db-(?:custom-(\d+)-(\d+)|f1-micro|g1-small|perf-optimized-N-(\d+))$/;

const TIER_HELP =
    'must be a Cloud SQL tier: "db-custom-<vCPUs>-<memory MB>" (e.g. "db-custom-2-7680"), ' +
    '"db-perf-optimized-N-<vCPUs>" (Enterprise Plus, e.g. "db-perf-optimized-N-4"), "db-f1-micro" or "db-g1-small"';

/** Why a tier name is unusable, or undefined when Cloud SQL accepts its shape. */
export function cloudSqlTierProblem(tier: string): string | undefined {
    const match = TIER.exec(tier);
    if (!match) return TIER_HELP;
    if (match[1] !== undefined) {
        const cpus = Number(match[1]);
        const memoryMb = Number(match[2]);
        if (!CUSTOM_VCPUS(cpus)) return `has ${cpus} vCPUs: a custom tier has 1 or an even number up to 96`;
        if (memoryMb % 256 !== 0) return `has ${memoryMb} MB: custom tier memory is a multiple of 256 MB`;
        const low = Math.max(3840, Math.ceil((cpus * 0.9 * 1024) / 256) * 256);
        const high = Math.floor((cpus * 6.5 * 1024) / 256) * 256;
        if (memoryMb < low || memoryMb > high) {
            return `has ${memoryMb} MB for ${cpus} vCPUs: allowed ${low}..${high} MB (0.9 to 6.5 GB per vCPU, at least 3840 MB)`;
        }
    }
    if (match[3] !== undefined && !(PERF_OPTIMIZED_VCPUS as readonly number[]).includes(Number(match[3]))) {
        return `has ${match[3]} vCPUs: performance-optimized tiers have ${PERF_OPTIMIZED_VCPUS.join(", ")}`;
    }
    return undefined;
}

const NETWORK = /^(https:\/\/www\.googleapis\.com\/compute\/v1\/)?projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/global\/networks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Settings of the `gcp` target (`pg-platform:gcp`): Cloud SQL for PostgreSQL. */
export const gcpSettings = z
    .strictObject({
        /** GCP project. Default: the gcp provider's configured project. */
        project: z
            .string()
            .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, { message: 'must be a GCP project id such as "acme-prod-db"' })
            .optional(),
        /** Region. Required. */
        region: z
            .string({ error: (issue) => (issue.input === undefined ? 'is required: the Cloud SQL region, e.g. "europe-west1"' : undefined) })
            .regex(/^[a-z]+-[a-z]+\d+$/, { message: 'must be a GCP region such as "europe-west1"' }),
        /**
         * VPC network the private IP is allocated in, as `projects/<project>/global/networks/<name>`
         * (or its self link). It needs private services access (a peered `servicenetworking`
         * range) before the first deploy. Required.
         */
        network: z
            .string({
                error: (issue) => (issue.input === undefined ? 'is required: the VPC network, e.g. "projects/acme-prod/global/networks/main"' : undefined),
            })
            .regex(NETWORK, { message: 'must be a VPC network id such as "projects/acme-prod/global/networks/main"' }),
        /** Name of the private services access range to allocate from. Default: any range of the network. */
        allocatedIpRange: z
            .string()
            .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: "must be the name of an allocated IP range" })
            .optional(),
        /** Machine tier of the primary and its replicas; it also picks the edition. Default: `db-custom-2-7680`. */
        tier: z
            .string()
            .superRefine((tier, ctx) => {
                const problem = cloudSqlTierProblem(tier);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .default("db-custom-2-7680"),
        /** Data disk (SSD) in GB; grows automatically. Default: 20. */
        diskSizeGb: z.number().int().min(10).max(65536).default(20),
        /** Regional (HA) availability of the primary. Default: on in production, zonal elsewhere. */
        regional: z.boolean().optional(),
        /** Deletion protection (Pulumi's and Cloud SQL's). Default: on in production, off elsewhere. */
        deletionProtection: z.boolean().optional(),
        /** Retained daily backups; point-in-time logs are kept min(this, 7) days. Default: 30 in production, 7 elsewhere. */
        backupRetentionDays: z.number().int().min(1, { message: "must be 1..365; turn backups off with backup.enabled: false" }).max(365).optional(),
        /**
         * Public IPv4 address. Default: false. The policy pack (localhost-binding) refuses it only
         * with an authorized network open to everyone (`/0`), unless the instance is an exception.
         */
        publicIp: z.boolean().default(false),
        /** Networks admitted on the public IPv4 address (only with publicIp). Default: none. */
        authorizedNetworks: z.array(cidr).superRefine(refuseWholePublicSpace("authorize the clients' own networks, or keep publicIp off")).default([]),
        /** Query Insights. Default: true. */
        queryInsights: z.boolean().default(true),
        /**
         * Create the spec's least-privilege roles (and grants) through the `postgresql` provider;
         * the databases themselves are always created through the Cloud SQL API. The machine
         * running `pulumi up` must reach the private IP. Default: false.
         */
        manageDatabases: z.boolean().default(false),
    })
    .superRefine((settings, ctx) => {
        if (!settings.publicIp && settings.authorizedNetworks.length > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["authorizedNetworks"],
                message: "only applies to a public IP, and publicIp is false: remove it, or admit the clients in the VPC firewall",
            });
        }
    });

/** Parsed `gcp` settings. */
export type GcpSettings = z.output<typeof gcpSettings>;
