import { z } from "zod";
import { DNS_LABEL, DNS_LABEL_MAX, DNS_SUBDOMAIN, DNS_SUBDOMAIN_MAX, MAX_VOLUME_BYTES, QUANTITY_BYTES } from "../../platform/limits";

const QUANTITY = /^(\d+)(Mi|Gi|Ti)$/;

/** A DNS-1123 label of at most 63 characters, as Kubernetes validates names of `what`. */
const dnsLabel = (what: string) =>
    z
        .string()
        .max(DNS_LABEL_MAX, { message: `must be at most ${DNS_LABEL_MAX} characters (a DNS-1123 label, as Kubernetes validates ${what})` })
        .regex(DNS_LABEL, { message: `must be a DNS-1123 label (lower-case letters, digits and -), as Kubernetes validates ${what}` });

/** A volume size: a binary quantity above zero and within the int64 bytes Kubernetes and CSI carry. */
const volumeSize = z
    .string()
    .regex(QUANTITY, { message: 'must be a quantity such as "5Gi" (Mi, Gi or Ti)' })
    .superRefine((text, ctx) => {
        const [, digits, suffix] = QUANTITY.exec(text) ?? [];
        if (digits === undefined) return;
        const bytes = BigInt(digits) * QUANTITY_BYTES[suffix];
        if (bytes === 0n) ctx.addIssue({ code: "custom", message: "is zero: a volume needs a size above zero" });
        else if (bytes > MAX_VOLUME_BYTES) ctx.addIssue({ code: "custom", message: "is larger than Kubernetes can carry (an int64 count of bytes, 8 EiB)" });
    });

/**
 * Settings of the `kubernetes` target (`pg-platform:kubernetes`). Services are always
 * ClusterIP: exposing the database beyond the cluster is not a setting (the policy gate
 * refuses NodePort and LoadBalancer).
 */
export const kubernetesSettings = z.strictObject({
    /** Namespace every object goes into. Required. One stack per namespace: Service names are fixed. */
    namespace: dnsLabel("namespace names"),
    /** Create the namespace (and delete it with the stack). Default: true; false for one that already exists. */
    createNamespace: z.boolean().default(true),
    /** StorageClass of the data volume claims. Default: the cluster's default class. */
    storageClass: z
        .string()
        .max(DNS_SUBDOMAIN_MAX, {
            message: `must be at most ${DNS_SUBDOMAIN_MAX} characters (a DNS-1123 subdomain, as Kubernetes validates StorageClass names)`,
        })
        .regex(DNS_SUBDOMAIN, { message: "must be a StorageClass name (a DNS-1123 subdomain: lower-case letters, digits, - and .)" })
        .optional(),
    /** Size of each data volume claim. Default: `5Gi` (room for a small service's data and a day of WAL). */
    storageSize: volumeSize.default("5Gi"),
    /** Size of the writer's WAL archive claim when `backup.enabled`. Default: `storageSize`. */
    walArchiveSize: volumeSize.optional(),
    /** Existing Secrets (type `kubernetes.io/dockerconfigjson`) used to pull the PostgreSQL image. Default: none. */
    imagePullSecrets: z.array(dnsLabel("the Secrets it names")).default([]),
});

/** Parsed `kubernetes` settings. */
export type KubernetesSettings = z.output<typeof kubernetesSettings>;
