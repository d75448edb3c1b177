import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import { renderServices, type RenderedService } from "../../render";
import { CONTAINER_LAYOUT, type RuntimeLayout } from "../../render/layout";
import type { PlatformSpec } from "../../config";
import { holdsPlaceholder, secretBearingPaths, serviceOf, type ServiceName } from "./plan";

/** The numeric owner of uploaded files: the uid/gid the container's process runs as. */
export interface FileOwner {
    /** User id. */
    readonly uid: number;
    /** Group id. */
    readonly gid: number;
}

/** What {@link serviceUploads} renders a service's files from. */
export interface UploadSource {
    /** The stack's spec. */
    readonly spec: PlatformSpec;
    /** The service whose files are uploaded. */
    readonly service: ServiceName;
    /** Clear passwords by login role (secret). Only the roles the service's files need must be present. */
    readonly passwords: pulumi.Input<Record<string, string>>;
    /** Where the primary is and files live. Default: the renderer's container layout. */
    readonly layout?: pulumi.Input<RuntimeLayout>;
    /** Who owns the files in the container (files of mode 0600 must be readable by the server). */
    readonly owner: FileOwner;
}

function contentOf(service: RenderedService, path: string): string {
    const found = service.files.find((file) => file.path === path);
    if (!found) throw new Error(`the renderer produced no ${path} for service ${service.name}`);
    return found.content;
}

/** An upload of a secret value into a file of mode 0600 owned by `owner`. */
export function secretFileUpload(file: string, value: pulumi.Input<string>, owner: FileOwner): docker.types.input.ContainerUpload {
    return { file, content: pulumi.secret(value), permissions: "0600", owner: String(owner.uid), group: String(owner.gid) };
}

/**
 * The container uploads of one service's rendered files. Files whose content depends on a
 * password are uploaded from the render with passwords, as Pulumi secrets, and must differ
 * from their placeholder form (else a password was missing). Every other file is uploaded in
 * clear, so a preview shows configuration changes line by line.
 */
export function serviceUploads(source: UploadSource): docker.types.input.ContainerUpload[] {
    const layout = pulumi.output(source.layout ?? CONTAINER_LAYOUT);
    const shape = serviceOf(renderServices(source.spec), source.service);
    const secretPaths = secretBearingPaths(source.spec, source.service);
    const clear = layout.apply((l) => serviceOf(renderServices(source.spec, undefined, l), source.service));
    const withSecrets = pulumi
        .all([layout, source.passwords])
        .apply(([l, passwords]) => serviceOf(renderServices(source.spec, { passwords }, l), source.service));
    return shape.files.map((file) => {
        const content = secretPaths.has(file.path)
            ? pulumi.secret(
                  pulumi.all([withSecrets, clear]).apply(([secret, plain]) => {
                      const text = contentOf(secret, file.path);
                      if (holdsPlaceholder(text) || text === contentOf(plain, file.path)) {
                          throw new Error(`${file.path} of ${source.service} still holds a secret placeholder: a login role has no password`);
                      }
                      return text;
                  }),
              )
            : clear.apply((service) => contentOf(service, file.path));
        return { file: file.path, content, permissions: `0${file.mode.toString(8)}`, owner: String(source.owner.uid), group: String(source.owner.gid) };
    });
}
