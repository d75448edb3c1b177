import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { exporterArgs, exporterEnvironment } from "../../render/exporter";
import { CONTAINER_LAYOUT, POOL_MODES, SERVICE_HOSTS, type PoolMode } from "../../render/layout";
import { replicaSlotName } from "../../render/postgresql-conf";
import { hasExporter, hasPooler } from "../../config";
import type { PlatformSpec } from "../../config";
import { CONTAINER_PORTS, PLATFORM_ROLES, PROJECT } from "../../platform/constants";
import { serviceUploads } from "./uploads";
import { poolerContainer } from "./pooler";
import type { PinnedImage } from "../../platform/images";
import { exporterImage, poolerImage } from "../../self-hosted/images";
import { COMPANION_START_PERIOD, WAIT_SECONDS, containerBase, containerOptions } from "./server";
import type { StackCaOutputs } from "../../self-hosted/tls/resources";
import { writableServer, type WriterStackArgs } from "./writable-server";

/** Arguments of {@link PrimaryStack}. */
export type PrimaryStackArgs = WriterStackArgs;

/**
 * A PostgreSQL primary with a PgBouncer transaction pool and session pool and a
 * postgres_exporter (each when enabled), on a private Docker network. Pools and exporter
 * start once the primary is healthy. Replicas attach through {@link ReplicaStack}, from the
 * connection details this component exposes.
 */
export class PrimaryStack extends pulumi.ComponentResource {
    /** Name of the private network replicas join. */
    public readonly networkName: pulumi.Output<string>;
    /**
     * The primary's host name on that network. Resolves once the primary is healthy, so a
     * replica given it is created after the primary.
     */
    public readonly primaryHost: pulumi.Output<string>;
    /** The primary's port on that network. */
    public readonly primaryPort: pulumi.Output<number>;
    /** Clear passwords of every login role, by role name. Secret. */
    public readonly passwords: pulumi.Output<Record<string, string>>;
    /** The replication role's password (secret); undefined when `replicas` is 0 (the role does not exist). */
    public readonly replicationPassword: pulumi.Output<string> | undefined;
    /** Physical slot of each replica the primary keeps, in replica order (`replica_1`, …). */
    public readonly slotNames: string[];
    /**
     * The stack's CA (its key secret), when `postgres.tls.enabled`: clients verify servers
     * and pools against its certificate, and a {@link ReplicaStack} needs it whole to get
     * its own certificate signed.
     */
    public readonly ca: StackCaOutputs | undefined;

    constructor(name: string, args: PrimaryStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:docker:PrimaryStack`, name, {}, opts);
        const { spec } = args;
        const { network, passwords, server, ca } = writableServer(this, name, { ...args, service: "primary" });
        const primary = server.container;
        const pulled = (image: PinnedImage, part: string) =>
            new docker.RemoteImage(`${name}-${part}-image`, { name: image.ref, keepLocally: true }, { parent: this }).repoDigest;

        if (hasPooler(spec)) {
            const image = pulled(poolerImage(spec), "pgbouncer");
            for (const mode of POOL_MODES) this.pooler(name, spec, mode, { network: network.name, image, passwords, primary, ca });
        }
        if (hasExporter(spec)) {
            const layout = CONTAINER_LAYOUT;
            const exporter = exporterImage(spec);
            new docker.Container(
                `${name}-exporter`,
                {
                    ...containerBase(
                        { spec, service: "exporter", network: network.name, alias: SERVICE_HOSTS.exporter },
                        // The exporter image is busybox based: its wget probes the landing page.
                        {
                            test: ["wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${CONTAINER_PORTS.exporter}/`],
                            startPeriod: COMPANION_START_PERIOD,
                            waitSeconds: WAIT_SECONDS.companion,
                        },
                    ),
                    image: pulled(exporter, "exporter"),
                    entrypoints: [exporter.binary],
                    command: exporterArgs(layout),
                    envs: Object.entries(exporterEnvironment(spec, layout)).map(([key, value]) => `${key}=${value}`),
                    uploads: serviceUploads({ spec, service: "exporter", passwords, owner: exporter }),
                },
                containerOptions(this, [primary]),
            );
        }

        this.networkName = network.name;
        // From the name (known in a preview, unlike the id), still waiting on the primary container.
        this.primaryHost = primary.name.apply(() => SERVICE_HOSTS.primary);
        this.primaryPort = pulumi.output(CONTAINER_PORTS.postgres);
        this.passwords = passwords;
        this.replicationPassword = spec.replicas > 0 ? pulumi.secret(passwords.apply((pw) => pw[PLATFORM_ROLES.replication])) : undefined;
        this.slotNames = Array.from({ length: spec.replicas }, (_, i) => replicaSlotName(i + 1));
        this.ca = ca;
        this.registerOutputs({
            ca: this.ca,
            networkName: this.networkName,
            primaryHost: this.primaryHost,
            primaryPort: this.primaryPort,
            passwords: this.passwords,
            replicationPassword: this.replicationPassword,
            slotNames: this.slotNames,
        });
    }

    /** One PgBouncer pool; both pools run the same image with their own rendered files (see pooler.ts). */
    private pooler(
        name: string,
        spec: PlatformSpec,
        mode: PoolMode,
        deps: {
            network: pulumi.Output<string>;
            image: pulumi.Output<string>;
            passwords: pulumi.Output<Record<string, string>>;
            primary: docker.Container;
            ca: StackCaOutputs | undefined;
        },
    ): docker.Container {
        return poolerContainer(this, name, { spec, mode, ...deps, pinned: poolerImage(spec) });
    }
}
