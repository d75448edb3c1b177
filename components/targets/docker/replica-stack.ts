import * as pulumi from "@pulumi/pulumi";
import { ENTRYPOINT_PATH, REPLICA_BOOTSTRAP_PATH, REPLICA_BOOTSTRAP_ENV } from "../../image/runtime";
import { CONTAINER_LAYOUT, SERVICE_HOSTS, filePaths, type RuntimeLayout } from "../../render/layout";
import { replicationSslmode } from "../../render/postgresql-conf";
import { ConfigError, type PlatformSpec } from "../../config";
import { PLATFORM_ROLES, PROJECT } from "../../platform/constants";
import { secretFileUpload, serviceUploads } from "./uploads";
import { SECRET_FILES, postgresCommand } from "../../self-hosted/server";
import { POSTGRES_OWNER } from "../../self-hosted/files";
import { serverContainer } from "./server";
import type { StackCa } from "../../self-hosted/tls/resources";
import { serviceCertificateUploads } from "./tls";

/**
 * How a replica reaches its primary. Inputs, so they can come from a {@link PrimaryStack} in
 * the same program or from another stack's outputs through a `StackReference`.
 */
export interface ReplicaPrimary {
    /** The primary's host name on the shared Docker network (PrimaryStack.primaryHost). */
    readonly host: pulumi.Input<string>;
    /** The primary's port on that network (PrimaryStack.primaryPort). */
    readonly port: pulumi.Input<number>;
    /** The replication role's password. Must be a secret. */
    readonly replicationPassword: pulumi.Input<string>;
    /** The physical slot the primary keeps for this replica (PrimaryStack.slotNames[n - 1]). */
    readonly slotName: pulumi.Input<string>;
    /** The Docker network the primary is on (PrimaryStack.networkName); the replica joins it. */
    readonly networkName: pulumi.Input<string>;
    /**
     * The primary stack's CA (PrimaryStack.ca). Required when `postgres.tls.enabled`: it signs
     * the replica's certificate and the replica verifies the primary against it. Default: none.
     */
    readonly ca?: StackCa;
}

/** Arguments of {@link ReplicaStack}. */
export interface ReplicaStackArgs {
    /** The validated spec; `replicas` must be at least {@link replica}. */
    readonly spec: PlatformSpec;
    /** Which replica this is, from 1: names it `replica-<n>` and publishes it on `replicaBase + n - 1`. */
    readonly replica: number;
    /** The PostgreSQL image by digest; the same major as the primary (pg_basebackup requires it). */
    readonly image: pulumi.Input<string>;
    /** The primary it streams from. */
    readonly primary: ReplicaPrimary;
}

/**
 * A streaming replica: the image's bootstrap clones the primary through the replica's own
 * slot into an empty data volume (and never touches one holding a cluster), then starts a hot
 * standby with the rendered replica configuration.
 */
export class ReplicaStack extends pulumi.ComponentResource {
    /** The replica's host name on the shared network. */
    public readonly host: string;

    constructor(name: string, args: ReplicaStackArgs, opts?: pulumi.ComponentResourceOptions) {
        const { spec, replica, primary } = args;
        // Refused before the component registers, so a bad replica leaves nothing behind.
        if (!Number.isInteger(replica) || replica < 1 || replica > spec.replicas) {
            throw new ConfigError([`${PROJECT}:replicas: replica ${replica} needs replicas of at least ${replica} (got ${spec.replicas})`]);
        }
        if (spec.postgres.tls.enabled && !primary.ca) {
            throw new ConfigError([
                `${PROJECT}:postgres.tls.enabled: replica ${replica} needs the primary stack's CA (primary.ca, from PrimaryStack.ca) when TLS is on`,
            ]);
        }
        super(`${PROJECT}:docker:ReplicaStack`, name, {}, opts);
        const service = `replica-${replica}` as const;
        const password = pulumi.secret(primary.replicationPassword);
        const layout: pulumi.Output<RuntimeLayout> = pulumi
            .all([primary.host, primary.port])
            .apply(([host, port]) => ({ ...CONTAINER_LAYOUT, primary: { host, port } }));
        const env = REPLICA_BOOTSTRAP_ENV;
        this.host = SERVICE_HOSTS.replica(replica);
        const certificate = primary.ca
            ? serviceCertificateUploads(this, `${name}-server`, { spec, service, network: primary.networkName, owner: POSTGRES_OWNER, ca: primary.ca })
            : [];
        // pg_basebackup -R writes its own primary_conninfo (without sslrootcert) into
        // postgresql.auto.conf, which wins over the rendered file: libpq's PGSSLROOTCERT in the
        // container's environment makes the bootstrap and the WAL receiver verify the primary alike.
        const tlsEnv = spec.postgres.tls.enabled ? [`PGSSLROOTCERT=${filePaths(CONTAINER_LAYOUT).tlsCa}`] : [];
        serverContainer(this, `${name}-server`, {
            spec,
            service,
            network: primary.networkName,
            alias: this.host,
            image: args.image,
            healthRole: "replica",
            uploads: [
                ...serviceUploads({ spec, service, passwords: password.apply((pw) => ({ [PLATFORM_ROLES.replication]: pw })), layout, owner: POSTGRES_OWNER }),
                secretFileUpload(SECRET_FILES.replicationPassword, password, POSTGRES_OWNER),
                ...certificate,
            ],
            envs: [
                pulumi.interpolate`${env.primaryHost}=${primary.host}`,
                pulumi.interpolate`${env.primaryPort}=${primary.port}`,
                `${env.user}=${PLATFORM_ROLES.replication}`,
                `${env.passwordFile}=${SECRET_FILES.replicationPassword}`,
                pulumi.interpolate`${env.slot}=${primary.slotName}`,
                `${env.sslmode}=${replicationSslmode(spec)}`,
                ...tlsEnv,
            ],
            entrypoints: [REPLICA_BOOTSTRAP_PATH, ENTRYPOINT_PATH],
            command: postgresCommand(spec, "replica"),
        });
        this.registerOutputs({ host: this.host });
    }
}
