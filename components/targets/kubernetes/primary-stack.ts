import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { exporterImage, poolerImage } from "../../self-hosted/images";
import { exporterArgs, exporterEnvironment } from "../../render/exporter";
import { CONTAINER_LAYOUT, POOL_MODES, filePaths } from "../../render/layout";
import { pgbouncerRunCommand } from "../../render/pgbouncer-run";
import { hasExporter, hasPooler } from "../../config";
import { PLATFORM_ROLES, PROJECT } from "../../platform/constants";
import type { StackCaOutputs } from "../../self-hosted/tls/resources";
import { exporterProbes, poolerProbes } from "./plan";
import { companionDeployment } from "./deployments";
import { writableServer, type WriterStackArgs } from "./writable-server";

/** Arguments of {@link PrimaryStack}. */
export type PrimaryStackArgs = WriterStackArgs;

/**
 * A PostgreSQL primary with a PgBouncer transaction pool and session pool and a
 * postgres_exporter (each when enabled), every one behind a ClusterIP Service named as the
 * rendered files name it. Replicas attach through {@link ReplicaStack}.
 */
export class PrimaryStack extends pulumi.ComponentResource {
    /** The namespace replicas join. */
    public readonly namespace: pulumi.Output<string>;
    /** The primary's StatefulSet: replicas depend on it, so they start once it is ready. */
    public readonly statefulSet: k8s.apps.v1.StatefulSet;
    /** Clear passwords of every login role, by role name. Secret. */
    public readonly passwords: pulumi.Output<Record<string, string>>;
    /** The replication role's password (secret); undefined when `replicas` is 0 (the role does not exist). */
    public readonly replicationPassword: pulumi.Output<string> | undefined;
    /**
     * The stack's CA (its key secret), when `postgres.tls.enabled`: clients verify servers and
     * pools against its certificate, and replicas need it for theirs.
     */
    public readonly ca: StackCaOutputs | undefined;

    constructor(name: string, args: PrimaryStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:kubernetes:PrimaryStack`, name, {}, opts);
        const { spec } = args;
        const { namespace, passwords, server, ca } = writableServer(this, name, args, "primary");
        const primary = server.statefulSet;
        const layout = CONTAINER_LAYOUT;

        if (hasPooler(spec)) {
            const paths = filePaths(layout);
            const image = poolerImage(spec);
            // PgBouncer under the rendered supervisor, which reloads it when kubelet swaps in a new
            // auth file (a rotated password); the image's own wrapper would write its own config.
            const [shell, ...supervisorArgs] = pgbouncerRunCommand(paths.pgbouncerRunScript, image.binary, paths.pgbouncerIni, paths.pgbouncerUserlist);
            for (const mode of POOL_MODES) {
                companionDeployment(this, `${name}-pooler-${mode}`, {
                    spec,
                    service: `pooler-${mode}`,
                    namespace,
                    image,
                    command: [shell],
                    args: supervisorArgs,
                    probes: poolerProbes(),
                    passwords,
                    ca,
                    dependsOn: [primary],
                });
            }
        }
        if (hasExporter(spec)) {
            companionDeployment(this, `${name}-exporter`, {
                spec,
                service: "exporter",
                namespace,
                image: exporterImage(spec),
                args: exporterArgs(layout),
                env: Object.entries(exporterEnvironment(spec, layout)).map(([key, value]) => ({ name: key, value })),
                probes: exporterProbes(),
                passwords,
                dependsOn: [primary],
            });
        }

        this.namespace = namespace;
        this.statefulSet = primary;
        this.passwords = passwords;
        this.ca = ca;
        this.replicationPassword = spec.replicas > 0 ? pulumi.secret(passwords.apply((pw) => pw[PLATFORM_ROLES.replication])) : undefined;
        this.registerOutputs({
            namespace: this.namespace,
            statefulSet: this.statefulSet,
            passwords: this.passwords,
            replicationPassword: this.replicationPassword,
            ca: this.ca,
        });
    }
}
