import * as pulumi from "@pulumi/pulumi";
import type { PlatformSpec } from "../spec";
import { PROJECT } from "../spec/constants";
import { writer } from "./writer";

/** Arguments of {@link SingleStack}. */
export interface SingleStackArgs {
    /** The validated spec (plain, not an Input: every container and file is decided from it up front). */
    readonly spec: PlatformSpec;
    /** The stack name; the network and every Docker name derive from it unless `docker.networkName` is set. */
    readonly stack: string;
    /** The PostgreSQL image by digest (`PostgresImage.imageRef`). */
    readonly image: pulumi.Input<string>;
}

/**
 * One PostgreSQL container on a private network (seed 001 "single": development, small apps):
 * data volume, WAL archive volume when `backup.enabled`, published on `network.bindAddress`.
 */
export class SingleStack extends pulumi.ComponentResource {
    /** Name of the private network. */
    public readonly networkName: pulumi.Output<string>;
    /** Clear passwords of every login role, by role name. Secret. */
    public readonly passwords: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: SingleStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:docker:SingleStack`, name, {}, opts);
        const { network, passwords } = writer(this, name, { ...args, service: "single" });
        this.networkName = network.name;
        this.passwords = passwords;
        this.registerOutputs({ networkName: this.networkName, passwords: this.passwords });
    }
}
