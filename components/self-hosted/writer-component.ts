import * as pulumi from "@pulumi/pulumi";
import type { StackCaOutputs } from "./tls/resources";

/** What a self-hosted target's writable server hands its component, whatever else it returns. */
export interface WriterParts {
    readonly passwords: pulumi.Output<Record<string, string>>;
    readonly ca: StackCaOutputs | undefined;
}

/**
 * The component around a self-hosted target's single writable server: the target builds the
 * server inside it (`build`, given the component as parent), and it exposes what the outputs
 * and the migration job need from any writer.
 */
export abstract class WriterComponent<W extends WriterParts> extends pulumi.ComponentResource {
    /** Clear passwords of every login role, by role name. Secret. */
    public readonly passwords: pulumi.Output<Record<string, string>>;
    /** The stack's CA (its key secret), when `postgres.tls.enabled`; clients verify the server against its certificate. */
    public readonly ca: StackCaOutputs | undefined;
    /** All the target's builder returned, for the subclass's own outputs. */
    protected readonly server: W;

    protected constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions | undefined, build: (parent: pulumi.ComponentResource) => W) {
        super(type, name, {}, opts);
        this.server = build(this);
        this.passwords = this.server.passwords;
        this.ca = this.server.ca;
    }
}
