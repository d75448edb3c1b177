import * as pulumi from "@pulumi/pulumi";
import { SECRET_FILES } from "../../self-hosted/server";
import type { PlatformSpec } from "../../config";
import { ConfigError } from "../../config";
import { PLATFORM_ROLES, PROJECT } from "../../platform/constants";
import type { StackCa } from "../../self-hosted/tls/resources";
import { serverStatefulSet } from "./stateful-sets";

/** Arguments of {@link ReplicaStack}. */
export interface ReplicaStackArgs {
    /** The validated spec; `replicas` must be at least {@link replica}. */
    readonly spec: PlatformSpec;
    /** Which replica this is, from 1: names it `replica-<n>` and its slot `replica_<n>`. */
    readonly replica: number;
    /** The PostgreSQL image by digest; the same major as the primary (pg_basebackup requires it). */
    readonly image: pulumi.Input<string>;
    /** The primary's namespace (PrimaryStack.namespace): the replica reaches it there as `primary`. */
    readonly namespace: pulumi.Input<string>;
    /** The replication role's password (PrimaryStack.replicationPassword). Must be a secret. */
    readonly replicationPassword: pulumi.Input<string>;
    /**
     * The primary stack's CA (PrimaryStack.ca). Required when `postgres.tls.enabled`: it signs
     * the replica's certificate and the replica verifies the primary against it. Default: none.
     */
    readonly ca?: StackCa;
    /** The primary's StatefulSet (PrimaryStack.statefulSet), created first. Default: none. */
    readonly primary?: pulumi.Input<pulumi.Resource>;
}

/**
 * A streaming replica as its own StatefulSet: the image's bootstrap clones the primary
 * through the replica's slot into an empty data claim (and never touches one holding a
 * cluster), then starts a hot standby with the rendered replica configuration.
 */
export class ReplicaStack extends pulumi.ComponentResource {
    /** The replica's Service name in the namespace (`replica-<n>`). */
    public readonly host: string;

    constructor(name: string, args: ReplicaStackArgs, opts?: pulumi.ComponentResourceOptions) {
        const { spec, replica } = args;
        // Refused before the component registers, so a bad replica leaves nothing behind.
        if (!Number.isInteger(replica) || replica < 1 || replica > spec.replicas) {
            throw new ConfigError([`${PROJECT}:replicas: replica ${replica} needs replicas of at least ${replica} (got ${spec.replicas})`]);
        }
        if (spec.postgres.tls.enabled && !args.ca) {
            throw new ConfigError([
                `${PROJECT}:postgres.tls.enabled: replica ${replica} needs the primary stack's CA (ca, from PrimaryStack.ca) when TLS is on`,
            ]);
        }
        super(`${PROJECT}:kubernetes:ReplicaStack`, name, {}, opts);
        const service = `replica-${replica}` as const;
        const password = pulumi.secret(args.replicationPassword);
        serverStatefulSet(this, `${name}-server`, {
            spec,
            service,
            namespace: args.namespace,
            image: args.image,
            healthRole: "replica",
            passwords: password.apply((pw) => ({ [PLATFORM_ROLES.replication]: pw })),
            secretFiles: [{ path: SECRET_FILES.replicationPassword, value: password }],
            ca: args.ca,
            dependsOn: args.primary ? [args.primary] : [],
        });
        this.host = service;
        this.registerOutputs({ host: this.host });
    }
}
