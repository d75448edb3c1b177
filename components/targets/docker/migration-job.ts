import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../platform/constants";
import { MIGRATION_CA_PATH, MIGRATION_URL_ENV, migrationFailure, migrationUrl, type MigrationJobPlan } from "../../self-hosted/migrations";

/** Arguments of {@link MigrationJob}. */
export interface MigrationJobArgs {
    /** What to run (from `migrationJobPlan`). */
    readonly plan: MigrationJobPlan;
    /** The stack's private network; the job reaches the session pool (or primary) there. */
    readonly networkName: pulumi.Input<string>;
    /** The migrate role's password. Secret. */
    readonly password: pulumi.Input<string>;
    /** The stack's CA certificate, when TLS is on: put at the URL's sslrootcert. Default: none. */
    readonly caCertificate?: pulumi.Input<string>;
    /** What must be healthy first: the component holding the primary and pools (its children are waited for). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * The migration job on Docker: a one-shot container on the stack's network, started once the
 * primary and pools are healthy, that the provider attaches to until it exits (`attach`,
 * `mustRun: false`); a new image, command or environment replaces it, which runs it again.
 * `done` resolves when it exited 0 and fails otherwise, so outputs gated on it fail the
 * `pulumi up` instead of handing out URLs to an unmigrated database.
 */
export class MigrationJob extends pulumi.ComponentResource {
    /** The container's exit code (unknown in a preview). */
    public readonly exitCode: pulumi.Output<number>;
    /** Resolves to true once the run succeeded; fails the deployment when it did not. */
    public readonly done: pulumi.Output<true>;

    constructor(name: string, args: MigrationJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:docker:MigrationJob`, name, {}, opts);
        const { plan } = args;
        const image = new docker.RemoteImage(`${name}-image`, { name: plan.image, keepLocally: true }, { parent: this }).repoDigest;
        const containerName = pulumi.interpolate`${args.networkName}-migrations`;
        const url = pulumi.secret(pulumi.output(args.password).apply((password) => migrationUrl(plan, password)));
        const container = new docker.Container(
            name,
            {
                name: containerName,
                image,
                command: plan.command ? [...plan.command] : undefined,
                envs: [pulumi.interpolate`${MIGRATION_URL_ENV}=${url}`, ...Object.entries(plan.env).map(([key, value]) => `${key}=${value}`)],
                networksAdvanced: [{ name: args.networkName }],
                // Run to the end and keep the exit code (and the container, for `docker logs`).
                attach: true,
                logs: true,
                mustRun: false,
                rm: false,
                restart: "no",
                uploads: args.caCertificate ? [{ file: MIGRATION_CA_PATH, content: args.caCertificate }] : [],
            },
            {
                parent: this,
                dependsOn: args.dependsOn,
                deleteBeforeReplace: true,
                customTimeouts: { create: `${plan.timeoutSeconds}s`, update: `${plan.timeoutSeconds}s` },
            },
        );
        this.exitCode = container.exitCode;
        this.done = pulumi.all([container.exitCode, containerName]).apply(([code, cname]) => {
            const failure = migrationFailure(code, `docker logs ${cname}`);
            if (failure) throw new Error(failure);
            return true as const;
        });
        this.registerOutputs({ exitCode: this.exitCode });
    }
}
