import type * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../platform/constants";
import { WriterComponent } from "../../self-hosted/writer-component";
import { writableServer, type WritableServer, type WriterStackArgs } from "./writable-server";

/** Arguments of {@link SingleStack}. */
export type SingleStackArgs = WriterStackArgs;

/**
 * One PostgreSQL container on a private network (the "single" topology: development, small apps):
 * data volume, WAL archive volume when `backup.enabled`, published on `network.bindAddress`.
 */
export class SingleStack extends WriterComponent<WritableServer> {
    /** Name of the private network. */
    public readonly networkName: pulumi.Output<string>;

    constructor(name: string, args: SingleStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:docker:SingleStack`, name, opts, (parent) => writableServer(parent, name, { ...args, service: "single" }));
        this.networkName = this.server.network.name;
        this.registerOutputs({ networkName: this.networkName, passwords: this.passwords, ca: this.ca });
    }
}
