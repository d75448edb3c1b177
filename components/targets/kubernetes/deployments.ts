// The pools and the exporter: Deployments beside the server (companions of it, not sidecars:
// each runs in its own pod).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PinnedImage } from "../../platform/images";
import { type StackCa } from "../../self-hosted/tls/resources";
import { COMPANION_RESOURCES, objectName, podLabels, selectorLabels, type EnvVar, type Probes } from "./plan";
import { type Placement, podTemplate } from "./pods";
import { serviceFiles } from "./files";
import { serviceTls } from "./tls-secrets";
import { clusterService } from "./services";

/** A pool or the exporter. */
export interface CompanionArgs extends Placement {
    /** The pinned image and its user. */
    readonly image: PinnedImage;
    /** The container's command. Default: the image's binary alone. */
    readonly command?: string[];
    /** Arguments after the command. */
    readonly args: string[];
    /** Plain environment (never a secret). Default: none. */
    readonly env?: readonly EnvVar[];
    /** Probes. */
    readonly probes: Probes;
    /** Clear passwords the service's files need, by role (secret). */
    readonly passwords: pulumi.Input<Record<string, string>>;
    /** The stack's CA, for a pool when `postgres.tls.enabled`: it signs the pool's certificate. Default: none (the exporter presents none). */
    readonly ca?: StackCa;
    /** Resources created first (the primary). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * A stateless service (PgBouncer pool, exporter) as a one-pod Deployment with its Service and
 * files, running its pinned image's binary (or `command`) as the image's own non-root user.
 */
export function companionDeployment(parent: pulumi.Resource, name: string, args: CompanionArgs): k8s.apps.v1.Deployment {
    const files = serviceFiles(parent, name, args, args.passwords);
    const { service } = args;
    const tls = args.ca && service !== "exporter" ? serviceTls(parent, name, { ...args, service }, args.ca) : undefined;
    clusterService(parent, name, args);
    return new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        {
            metadata: { name: objectName(args.service), namespace: args.namespace, labels: podLabels(args.service) },
            spec: {
                replicas: 1,
                selector: { matchLabels: selectorLabels(args.service) },
                template: podTemplate({
                    placement: args,
                    image: args.image.ref,
                    user: args.image,
                    command: args.command ?? [args.image.binary],
                    args: args.args,
                    env: args.env ?? [],
                    probes: args.probes,
                    resources: { requests: { ...COMPANION_RESOURCES.requests }, limits: { ...COMPANION_RESOURCES.limits } },
                    files,
                    tls,
                }),
            },
        },
        { parent, dependsOn: args.dependsOn },
    );
}
