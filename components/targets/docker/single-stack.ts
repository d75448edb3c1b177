import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../platform/constants";
import type { StackCaOutputs } from "../../self-hosted/tls/resources";
import { writableServer, type WriterStackArgs } from "./writable-server";

/** Arguments of {@link SingleStack}. */
export type SingleStackArgs = WriterStackArgs;

/**
 * One PostgreSQL container on a private network (the "single" topology: development, small apps):
 * data volume, WAL archive volume when `backup.enabled`, published on `network.bindAddress`.
 */
export class SingleStack extends pulumi.ComponentResource {
    /** Name of the private network. */
    public readonly networkName: pulumi.Output<string>;
    /** Clear passwords of every login role, by role name. Secret. */
    public readonly passwords: pulumi.Output<Record<string, string>>;
    /** The stack's CA (its key secret), when `postgres.tls.enabled`; clients verify the server against its certificate. */
    public readonly ca: StackCaOutputs | undefined;

    constructor(name: string, args: SingleStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:docker:SingleStack`, name, {}, opts);
        const { network, passwords, ca } = writableServer(this, name, { ...args, service: "single" });
        this.networkName = network.name;
        this.passwords = passwords;
        this.ca = ca;
        this.registerOutputs({ networkName: this.networkName, passwords: this.passwords, ca: this.ca });
    }
}
