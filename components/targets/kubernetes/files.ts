// A service's rendered files as Kubernetes objects: a ConfigMap for configuration, a Secret for
// anything holding or derived from a password.
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serviceFiles as renderedFiles } from "../../self-hosted/files";
import { serviceOf } from "../../self-hosted/services";
import { renderServices } from "../../render";
import { CONTAINER_LAYOUT } from "../../render/layout";
import { configHash, fileKey, fileStore, objectName, podLabels } from "./plan";
import { type Placement } from "./pods";

type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** A file that is not rendered but holds one secret value (a `_FILE` password). */
export interface SecretFile {
    /** Absolute path in the container. */
    readonly path: string;
    /** The value (secret). */
    readonly value: pulumi.Input<string>;
}

/** What a pod gets from its service's ConfigMap and Secret. */
export interface MountedFiles {
    /** Volumes to add to the pod. */
    readonly volumes: Volume[];
    /** Mounts of every file at its rendered path (subPath, read-only), live files by their folder. */
    readonly mounts: VolumeMount[];
    /** Hash of the rendered files (without passwords), for the pod annotation. */
    readonly configHash: pulumi.Output<string>;
    /**
     * Hash of the secret files mounted by subPath (a secret Output), when there are any: those
     * never change inside a running pod, so a new password (the writer's init SQL verifiers, a
     * replica's replication password) must roll it. Live files (a pool's auth file) are left
     * out: they reach the running pod.
     */
    readonly secretHash?: pulumi.Output<string>;
}

/**
 * The service's rendered files as a ConfigMap `<service>-config` (configuration, in clear) and
 * a Secret `<service>-files` (anything holding or derived from a password, plus `secretFiles`),
 * each file keyed by its basename and mounted at its rendered path.
 */
export function serviceFiles(
    parent: pulumi.Resource,
    name: string,
    placement: Placement,
    passwords: pulumi.Input<Record<string, string>>,
    secretFiles: readonly SecretFile[] = [],
): MountedFiles {
    const { spec, service, namespace } = placement;
    const rendered = serviceOf(renderServices(spec), service).files;
    const config: { path: string; content: pulumi.Input<string> }[] = [];
    const secret: { path: string; content: pulumi.Input<string>; live?: boolean }[] = secretFiles.map((file) => ({ path: file.path, content: file.value }));
    const files = renderedFiles({ spec, service, passwords, layout: CONTAINER_LAYOUT });
    const dependent = new Set(files.filter((file) => file.secret).map((file) => file.path));
    for (const file of files) {
        const store = fileStore(file, dependent);
        if (store === "configMap") config.push({ path: file.path, content: file.content });
        else if (store === "secret") secret.push({ path: file.path, content: file.content, live: file.live });
        else if (file.live) throw new Error(`${file.path}: a live file must be a secret or configuration file`);
    }
    const liveDirs = new Set(secret.filter((file) => file.live).map((file) => path.posix.dirname(file.path)));
    if (liveDirs.size > 1) throw new Error(`${service}: live files must share one folder, not ${[...liveDirs].join(", ")}`);

    const base = objectName(service);
    const metadata = (suffix: string) => ({ name: `${base}-${suffix}`, namespace, labels: podLabels(service) });
    const volumes: Volume[] = [];
    const mounts: VolumeMount[] = [];
    const mount = (volume: string, files: readonly { path: string }[]) =>
        files.forEach((file) => mounts.push({ name: volume, mountPath: file.path, subPath: fileKey(file.path), readOnly: true }));
    if (config.length > 0) {
        const map = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: metadata("config"), data: Object.fromEntries(config.map((file) => [fileKey(file.path), file.content])) },
            { parent },
        );
        volumes.push({ name: "config", configMap: { name: map.metadata.name } });
        mount("config", config);
    }
    if (secret.length > 0) {
        const files = new k8s.core.v1.Secret(
            `${name}-files`,
            {
                metadata: metadata("files"),
                type: "Opaque",
                stringData: pulumi.secret(pulumi.all(Object.fromEntries(secret.map((file) => [fileKey(file.path), file.content])))),
            },
            { parent },
        );
        // Owner read only; kubelet adds group read for the pod's fsGroup, which is the service's own user.
        volumes.push({ name: "secrets", secret: { secretName: files.metadata.name, defaultMode: 0o400 } });
        mount(
            "secrets",
            secret.filter((file) => !file.live),
        );
        // Files the service re-reads (a pool's auth file) are mounted as their folder, without
        // subPath: kubelet then swaps in a changed Secret's new content (a subPath mount never
        // changes), and the pool's supervisor reloads PgBouncer.
        const live = secret.filter((file) => file.live);
        if (live.length > 0) {
            volumes.push({
                name: "live-secrets",
                secret: {
                    secretName: files.metadata.name,
                    defaultMode: 0o400,
                    items: live.map((file) => ({ key: fileKey(file.path), path: fileKey(file.path) })),
                },
            });
            mounts.push({ name: "live-secrets", mountPath: path.posix.dirname(live[0].path), readOnly: true });
        }
    }
    // Over every rendered file as rendered without passwords (placeholders, no secret in the
    // hash): a database, role or slot added to the config changes only the init SQL, which sits
    // in the Secret, and the writer must still restart to apply it. A new password alone leaves
    // the hash (and the pods) as they are; a pool's auth file then reaches it through its folder mount.
    const fixedSecrets = secret.filter((file) => !file.live);
    const secretHash =
        fixedSecrets.length > 0 ? pulumi.secret(pulumi.all(fixedSecrets.map((file) => file.content)).apply((contents) => configHash(contents))) : undefined;
    return { volumes, mounts, configHash: pulumi.output(configHash(rendered.map((file) => file.content))), secretHash };
}
