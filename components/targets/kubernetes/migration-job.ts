import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../platform/constants";
import { MIGRATION_CA_PATH, MIGRATION_URL_ENV, migrationUrl, type MigrationJobPlan } from "../../self-hosted/migrations";
import { LABELS } from "./plan";

/** The Secret holding the job's DATABASE_URL (and the CA certificate with TLS on). */
export const MIGRATION_SECRET = "migrations-connection";

/** Arguments of {@link MigrationJob}. */
export interface MigrationJobArgs {
    /** What to run (from `migrationJobPlan`). */
    readonly plan: MigrationJobPlan;
    /** The stack's namespace. */
    readonly namespace: pulumi.Input<string>;
    /** The migrate role's password. Secret. */
    readonly password: pulumi.Input<string>;
    /** The stack's CA certificate, when TLS is on: mounted at the URL's sslrootcert. Default: none. */
    readonly caCertificate?: pulumi.Input<string>;
    /** Existing Secrets with registry credentials for the job's image. Default: none. */
    readonly imagePullSecrets?: readonly string[];
    /** What must be ready first: the component holding the primary and pools. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The migration job on Kubernetes: a `Job` (one pod, no retry, `activeDeadlineSeconds` from
 * `migrations.timeoutSeconds`) created once the primary and pools are ready. The provider waits
 * for it to complete and fails the update when it fails; a changed image, command or
 * environment replaces it (a Job's pod template is immutable), which runs it again, and so does
 * the next update after a failure (`pulumi.com/replaceUnready`). The connection URL arrives
 * from a Secret as `DATABASE_URL`; the pod carries the platform's client label, so the
 * database's NetworkPolicy admits it even without pools.
 */
export class MigrationJob extends pulumi.ComponentResource {
    /** Resolves to true once the Job completed. */
    public readonly done: pulumi.Output<true>;

    constructor(name: string, args: MigrationJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:kubernetes:MigrationJob`, name, {}, opts);
        const { plan } = args;
        const labels = { [LABELS.partOf]: PROJECT, [LABELS.component]: "migrations", [LABELS.client]: "true" };
        const secret = new k8s.core.v1.Secret(
            `${name}-connection`,
            {
                // Named, so the pod template refers to it by a name known before it exists.
                metadata: { name: MIGRATION_SECRET, namespace: args.namespace, labels },
                stringData: {
                    [MIGRATION_URL_ENV]: pulumi.secret(pulumi.output(args.password).apply((password) => migrationUrl(plan, password))),
                    ...(args.caCertificate ? { "ca.crt": args.caCertificate } : {}),
                },
            },
            { parent: this },
        );
        const caDir = MIGRATION_CA_PATH.slice(0, MIGRATION_CA_PATH.lastIndexOf("/"));
        const job = new k8s.batch.v1.Job(
            name,
            {
                metadata: { namespace: args.namespace, labels, annotations: { "pulumi.com/replaceUnready": "true" } },
                spec: {
                    backoffLimit: 0,
                    activeDeadlineSeconds: plan.timeoutSeconds,
                    template: {
                        metadata: { labels },
                        spec: {
                            restartPolicy: "Never",
                            automountServiceAccountToken: false,
                            imagePullSecrets: (args.imagePullSecrets ?? []).map((secretName) => ({ name: secretName })),
                            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
                            containers: [
                                {
                                    name: "migrate",
                                    image: plan.image,
                                    // As on Docker: the command replaces the image's CMD, its ENTRYPOINT stays.
                                    args: plan.command ? [...plan.command] : undefined,
                                    env: [
                                        { name: MIGRATION_URL_ENV, valueFrom: { secretKeyRef: { name: MIGRATION_SECRET, key: MIGRATION_URL_ENV } } },
                                        ...Object.entries(plan.env).map(([key, value]) => ({ name: key, value })),
                                    ],
                                    volumeMounts: args.caCertificate ? [{ name: "ca", mountPath: caDir, readOnly: true }] : [],
                                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                                },
                            ],
                            volumes: args.caCertificate
                                ? [{ name: "ca", secret: { secretName: MIGRATION_SECRET, items: [{ key: "ca.crt", path: "ca.crt" }] } }]
                                : [],
                        },
                    },
                },
            },
            {
                parent: this,
                dependsOn: [...args.dependsOn, secret],
                customTimeouts: { create: `${plan.timeoutSeconds + 120}s`, update: `${plan.timeoutSeconds + 120}s` },
            },
        );
        this.done = job.metadata.name.apply(() => true as const);
        this.registerOutputs({ job: job.metadata.name });
    }
}
