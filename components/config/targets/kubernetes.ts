import { z } from "zod";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^\d+(Mi|Gi|Ti)$/;

/**
 * Settings of the `kubernetes` target (`pg-platform:kubernetes`). Services are always
 * ClusterIP: exposing the database beyond the cluster is not a setting (the policy gate
 * refuses NodePort and LoadBalancer).
 */
export const kubernetesSettings = z.strictObject({
    /** Namespace every object goes into. Required. One stack per namespace: Service names are fixed. */
    namespace: z.string().regex(DNS_LABEL, { message: "must be a DNS-1123 label" }),
    /** Create the namespace (and delete it with the stack). Default: true; false for one that already exists. */
    createNamespace: z.boolean().default(true),
    /** StorageClass of the data volume claims. Default: the cluster's default class. */
    storageClass: z.string().min(1).optional(),
    /** Size of each data volume claim. Default: `5Gi` (room for a small service's data and a day of WAL). */
    storageSize: z.string().regex(QUANTITY, { message: 'must be a quantity such as "5Gi"' }).default("5Gi"),
    /** Size of the writer's WAL archive claim when `backup.enabled`. Default: `storageSize`. */
    walArchiveSize: z.string().regex(QUANTITY, { message: 'must be a quantity such as "5Gi"' }).optional(),
    /** Existing Secrets (type `kubernetes.io/dockerconfigjson`) used to pull the PostgreSQL image. Default: none. */
    imagePullSecrets: z.array(z.string().regex(DNS_LABEL, { message: "must name a Secret (DNS-1123 label)" })).default([]),
});

/** Parsed `kubernetes` settings. */
export type KubernetesSettings = z.output<typeof kubernetesSettings>;
