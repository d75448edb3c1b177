import { z } from "zod";

/** Settings of the `kubernetes` target (`pg-platform:kubernetes`). */
export const kubernetesSettings = z.strictObject({
    /** Namespace every object goes into. Required. */
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "must be a DNS-1123 label" }),
    /** StorageClass of the data volume claims. Default: the cluster's default class. */
    storageClass: z.string().min(1).optional(),
    /** Size of each data volume claim. Default: `5Gi` (seed 002). */
    storageSize: z.string().regex(/^\d+(Mi|Gi|Ti)$/, { message: 'must be a quantity such as "5Gi"' }).default("5Gi"),
});

/** Parsed `kubernetes` settings. */
export type KubernetesSettings = z.output<typeof kubernetesSettings>;
