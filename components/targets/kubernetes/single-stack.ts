import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../platform/constants";
import type { StackCaOutputs } from "../../self-hosted/tls/resources";
import { writableServer, type WriterStackArgs } from "./writable-server";

/** Arguments of {@link SingleStack}. */
export type SingleStackArgs = WriterStackArgs;

/**
 * One PostgreSQL server on Kubernetes (the "single" topology): a StatefulSet with its data claim
 * (and WAL archive claim when `backup.enabled`), reached in the namespace as `primary`.
 */
export class SingleStack extends pulumi.ComponentResource {
    /** The namespace the objects are in. */
    public readonly namespace: pulumi.Output<string>;
    /** Clear passwords of every login role, by role name. Secret. */
    public readonly passwords: pulumi.Output<Record<string, string>>;
    /** The stack's CA (its key secret), when `postgres.tls.enabled`; clients verify the server against its certificate. */
    public readonly ca: StackCaOutputs | undefined;

    constructor(name: string, args: SingleStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:kubernetes:SingleStack`, name, {}, opts);
        const { namespace, passwords, ca } = writableServer(this, name, args, "single");
        this.namespace = namespace;
        this.passwords = passwords;
        this.ca = ca;
        this.registerOutputs({ namespace: this.namespace, passwords: this.passwords, ca: this.ca });
    }
}
