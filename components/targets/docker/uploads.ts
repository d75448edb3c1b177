// Files as Docker container uploads: the self-hosted renders, owned by the container's user.
import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import { serviceFiles, type FileOwner, type ServiceFilesSource } from "../../self-hosted/files";

/** An upload of a secret value into a file of mode 0600 owned by `owner`. */
export function secretFileUpload(file: string, value: pulumi.Input<string>, owner: FileOwner): docker.types.input.ContainerUpload {
    return { file, content: pulumi.secret(value), permissions: "0600", owner: String(owner.uid), group: String(owner.gid) };
}

/**
 * The container uploads of one service's rendered files, owned by `owner` (mode as rendered).
 * Files the service re-reads while running (`live`) are left out: an upload is fixed for the
 * container's life, so they reach it through a volume instead (see pooler.ts).
 */
export function serviceUploads(source: ServiceFilesSource & { readonly owner: FileOwner }): docker.types.input.ContainerUpload[] {
    return serviceFiles(source)
        .filter((file) => !file.live)
        .map((file) => ({
            file: file.path,
            content: file.content,
            permissions: `0${file.mode.toString(8)}`,
            owner: String(source.owner.uid),
            group: String(source.owner.gid),
        }));
}
