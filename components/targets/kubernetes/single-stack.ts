import type * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../platform/constants";
import { WriterComponent } from "../../self-hosted/writer-component";
import { writableServer, type WritableServer, type WriterStackArgs } from "./writable-server";

/** Arguments of {@link SingleStack}. */
export type SingleStackArgs = WriterStackArgs;

/**
 * One PostgreSQL server on Kubernetes (the "single" topology): a StatefulSet with its data claim
 * (and WAL archive claim when `backup.enabled`), reached in the namespace as `primary`.
 */
export class SingleStack extends WriterComponent<WritableServer> {
    /** The namespace the objects are in. */
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: SingleStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:kubernetes:SingleStack`, name, opts, (parent) => writableServer(parent, name, args, "single"));
        this.namespace = this.server.namespace;
        this.registerOutputs({ namespace: this.namespace, passwords: this.passwords, ca: this.ca });
    }
}
