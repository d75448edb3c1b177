// A PgBouncer pool on Docker, and how a rotated password reaches it without a restart.
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformSpec } from "../../config";
import type { PinnedImage } from "../../platform/images";
import { CONTAINER_LAYOUT, SERVICE_HOSTS, filePaths, type PoolMode } from "../../render/layout";
import { pgbouncerRunCommand } from "../../render/pgbouncer-run";
import { renderServices } from "../../render";
import { serviceFiles } from "../../self-hosted/files";
import { serviceOf } from "../../self-hosted/services";
import type { StackCaOutputs } from "../../self-hosted/tls/resources";
import { authWriterName, volumeName } from "./plan";
import { COMPANION_START_PERIOD, WAIT_SECONDS, containerBase, containerOptions } from "./server";
import { POOLER_READY_COMMAND } from "../../self-hosted/health";
import { serviceCertificateUploads } from "./tls";
import { serviceUploads } from "./uploads";

/** Where the auth writer receives the new auth file before moving it into the pool's volume. */
export const AUTH_STAGING_DIR = "/run/pg-platform/auth";

/** Label on a pool carrying the hash of its auth file rendered without passwords (which roles it lists). */
export const AUTH_SHAPE_LABEL = "pg-platform.io/auth-file-roles";

/**
 * The auth writer's script: each live file copied from the staging folder next to its target,
 * handed to the pool's user with mode 0600, then renamed over the old one, so the pool never
 * reads half a file and its supervisor sees one change.
 */
export function authWriterScript(files: readonly string[], owner: Pick<PinnedImage, "uid" | "gid">): string {
    const steps = files.map((file) => {
        const staged = `${AUTH_STAGING_DIR}/${path.posix.basename(file)}`;
        const next = `${path.posix.dirname(file)}/.${path.posix.basename(file)}.new`;
        return `cp ${staged} ${next} && chown ${owner.uid}:${owner.gid} ${next} && chmod 0600 ${next} && mv -f ${next} ${file}`;
    });
    return ["set -eu", ...steps].join("\n");
}

/** What a pool is built from. */
export interface PoolerArgs {
    readonly spec: PlatformSpec;
    readonly mode: PoolMode;
    /** The private network's name. */
    readonly network: pulumi.Output<string>;
    /** The PgBouncer image (by digest) and its user. */
    readonly image: pulumi.Output<string>;
    readonly pinned: PinnedImage;
    /** Clear passwords by role (secret). */
    readonly passwords: pulumi.Output<Record<string, string>>;
    /** The primary: the pool starts once it is healthy. */
    readonly primary: docker.Container;
    /** The stack's CA when TLS is on. */
    readonly ca: StackCaOutputs | undefined;
}

/**
 * One pool: PgBouncer under the rendered run-pgbouncer.sh, its configuration uploaded, its auth
 * file (the one file it re-reads) in a named volume `<network>-pooler-<mode>-auth` it mounts
 * read-only. A one-shot auth writer container (the same image, no network) holds the auth file
 * as its own upload and copies it into the volume; a new password changes only the writer's
 * upload, so Pulumi replaces the writer, the new file lands in the volume, and the supervisor
 * reloads PgBouncer (SIGHUP) within seconds: the pool keeps running and keeps its clients. A
 * change of which roles the file lists (not of their passwords) replaces the pool instead,
 * through {@link AUTH_SHAPE_LABEL}, as a changed configuration hash rolls the pool on
 * Kubernetes: PgBouncer 1.18 (measured here) exits with "put_in_order: found existing elem" on
 * the next login of a role it first served through auth_query once a reload has put that role in
 * the auth file (pgbouncer/pgbouncer#90); 1.26 (measured) takes it. A mirrored older image
 * (image.pgbouncer) is safe this way.
 */
export function poolerContainer(parent: pulumi.Resource, name: string, args: PoolerArgs): docker.Container {
    const { spec, mode, pinned } = args;
    const service = `pooler-${mode}` as const;
    const paths = filePaths(CONTAINER_LAYOUT);
    const live = serviceFiles({ spec, service, passwords: args.passwords }).filter((file) => file.live);
    const liveDir = paths.pgbouncerAuthDir;
    for (const file of live) {
        if (path.posix.dirname(file.path) !== liveDir) throw new Error(`${file.path}: a pool's live files must sit in ${liveDir}`);
    }
    const volume = new docker.Volume(`${name}-${service}-auth`, { name: args.network.apply((network) => volumeName(network, service, "auth")) }, { parent });
    const writer = new docker.Container(
        `${name}-${service}-auth-writer`,
        {
            name: args.network.apply((network) => authWriterName(network, service)),
            image: args.image,
            // Root for the copy alone: a new volume's folder belongs to root; the file goes to the pool's user.
            user: "0:0",
            entrypoints: ["/bin/sh", "-c"],
            command: [
                authWriterScript(
                    live.map((file) => file.path),
                    pinned,
                ),
            ],
            uploads: live.map((file) => ({
                file: `${AUTH_STAGING_DIR}/${path.posix.basename(file.path)}`,
                content: file.content,
                permissions: "0600",
                owner: "0",
                group: "0",
            })),
            volumes: [{ volumeName: volume.name, containerPath: liveDir }],
            networkMode: "none",
            // Run once to completion: `pulumi up` waits for it, and a stopped writer is its normal state.
            attach: true,
            mustRun: false,
            restart: "no",
        },
        { parent, deleteBeforeReplace: true },
    );
    const certificate = args.ca
        ? serviceCertificateUploads(parent, `${name}-${service}`, { spec, service, network: args.network, owner: pinned, ca: args.ca })
        : [];
    // Which roles the auth file lists, without any secret: the placeholders' render.
    const shape = createHash("sha256")
        .update(
            serviceOf(renderServices(spec), service)
                .files.filter((file) => file.live)
                .map((file) => file.content)
                .join("\0"),
        )
        .digest("hex")
        .slice(0, 16);
    return new docker.Container(
        `${name}-${service}`,
        {
            ...containerBase(
                { spec, service, network: args.network, alias: SERVICE_HOSTS.pooler(mode) },
                {
                    test: POOLER_READY_COMMAND,
                    startPeriod: COMPANION_START_PERIOD,
                    waitSeconds: WAIT_SECONDS.companion,
                },
            ),
            image: args.image,
            // The supervisor runs the image's PgBouncer binary: the image's own wrapper would write its own config when it finds none.
            entrypoints: [pgbouncerRunCommand(paths.pgbouncerRunScript, pinned.binary, paths.pgbouncerIni, paths.pgbouncerUserlist)[0]],
            command: pgbouncerRunCommand(paths.pgbouncerRunScript, pinned.binary, paths.pgbouncerIni, paths.pgbouncerUserlist).slice(1),
            uploads: [...serviceUploads({ spec, service, passwords: args.passwords, owner: pinned }), ...certificate],
            volumes: [{ volumeName: volume.name, containerPath: liveDir, readOnly: true }],
            labels: [{ label: AUTH_SHAPE_LABEL, value: shape }],
        },
        { ...containerOptions(parent, [args.primary, writer]), replaceOnChanges: ["labels"] },
    );
}
