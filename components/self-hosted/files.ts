// A service's rendered files with their passwords resolved, as both self-hosted targets
// deliver them (Docker uploads them into the container, Kubernetes mounts ConfigMaps and Secrets).
import * as pulumi from "@pulumi/pulumi";
import { renderServices, type RenderedService } from "../render";
import { CONTAINER_LAYOUT, type RuntimeLayout } from "../render/layout";
import type { PlatformSpec } from "../config";
import { holdsPlaceholder, secretBearingPaths, serviceOf, type ServiceName } from "./services";

/** The numeric owner of delivered files: the uid/gid the container's process runs as. */
export interface FileOwner {
    /** User id. */
    readonly uid: number;
    /** Group id. */
    readonly gid: number;
}

/** The official PostgreSQL image's `postgres` user (Debian): uid/gid 999, owner of the data and secret files. */
export const POSTGRES_OWNER: FileOwner = { uid: 999, gid: 999 };

/** One rendered file ready to deliver. */
export interface ServiceFile {
    /** Absolute path in the container. */
    readonly path: string;
    /** The content; a Pulumi secret when {@link secret}. */
    readonly content: pulumi.Output<string>;
    /** File mode (e.g. 0o600). */
    readonly mode: number;
    /** Whether the content holds or derives from a password (delivered as a secret, never in clear). */
    readonly secret: boolean;
    /**
     * Whether the running service re-reads it (a pool's auth file): delivered so that a new
     * version reaches the running container without replacing it (see `RenderedFile.live`).
     */
    readonly live: boolean;
}

/** What {@link serviceFiles} renders a service's files from. */
export interface ServiceFilesSource {
    /** The stack's spec. */
    readonly spec: PlatformSpec;
    /** The service whose files are uploaded. */
    readonly service: ServiceName;
    /** Clear passwords by login role (secret). Only the roles the service's files need must be present. */
    readonly passwords: pulumi.Input<Record<string, string>>;
    /** Where the primary is and files live. Default: the renderer's container layout. */
    readonly layout?: pulumi.Input<RuntimeLayout>;
}

function contentOf(service: RenderedService, path: string): string {
    const found = service.files.find((file) => file.path === path);
    if (!found) throw new Error(`the renderer produced no ${path} for service ${service.name}`);
    return found.content;
}

/**
 * One service's rendered files. Files whose content depends on a password come from the render
 * with passwords, as Pulumi secrets, and must differ from their placeholder form (else a
 * password was missing). Every other file stays in clear, so a preview shows configuration
 * changes line by line.
 */
export function serviceFiles(source: ServiceFilesSource): ServiceFile[] {
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
        return { path: file.path, content, mode: file.mode, secret: secretPaths.has(file.path), live: file.live === true };
    });
}
