import * as path from "node:path";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { RENDERED_FILES } from "./rendered";
import {
    KUBERNETES_POD_OWNERS,
    TYPES,
    kubernetesContainers,
    kubernetesPodSpec,
    type InspectedResource,
    type KubernetesFiles,
    type KubernetesKeyItems,
    type KubernetesMetadata,
    type KubernetesVolume,
    type ResourceType,
} from "./resources";
import { UNKNOWN, known, knownItems, notKnownYet, type Maybe } from "./unknowns";

/**
 * known-at-preview: the two things the resource rules cannot read in a preview, judged from what
 * is known instead, failing closed where that is not enough.
 *
 * - An image reference still unknown (the digest of an image being built or pulled) must come
 *   from an image resource of the stack, a docker-build Image or a docker RemoteImage, whose
 *   own inputs pinned-images checks: its digest is then what the container runs.
 * - A Kubernetes Secret or ConfigMap whose data is still unknown (a Secret's data is wholly
 *   unknown while any value in it is, e.g. a random password) shows the gate no file names, so
 *   it must not deliver a postgresql.conf, pg_hba.conf or pgbouncer.ini to any pod of the stack:
 *   a mount of one of those names from it, or of all its keys at once, is a finding.
 *
 * A stack rule because both need more than one resource: a property's dependencies, or the pods
 * that mount a Secret. Nothing is unknown in an update, so there it never reports.
 */

const RULE = "known-at-preview";

/** File names the rules read from pods' configuration sources. */
const CONFIG_FILES: readonly string[] = Object.values(RENDERED_FILES);

const IMAGE_RESOURCES: readonly string[] = [TYPES.dockerBuildImage, TYPES.dockerRemoteImage];

/** The top-level property a resource's container images live under. */
function imageProperty(type: string): string | undefined {
    if (type === TYPES.dockerContainer) return "image";
    return (KUBERNETES_POD_OWNERS as readonly string[]).includes(type) ? "spec" : undefined;
}

/** The images of a resource that are unknown, each named for the finding. */
function unknownImages(resource: InspectedResource): string[] {
    if (resource.type === TYPES.dockerContainer) return known(() => resource.props.image) === UNKNOWN ? ["image"] : [];
    return kubernetesContainers(resource)
        .filter((container) => known(() => container.image) === UNKNOWN)
        .map((container) => `container ${container.name ?? "(unnamed)"} image`);
}

function imageFindings(resource: PolicyResource): string[] {
    const property = imageProperty(resource.type);
    if (property === undefined) return [];
    const images = unknownImages(resource);
    if (images.length === 0) return [];
    const sources = resource.propertyDependencies[property] ?? [];
    if (sources.some((source) => IMAGE_RESOURCES.includes(source.type))) return [];
    return images.map(
        (what) =>
            `${notKnownYet(what)}, and it does not come from an image the stack builds or pulls (a docker-build Image or docker RemoteImage, which pinned-images checks); reference a digest-pinned image`,
    );
}

/** A configuration source as pods refer to it: kind, namespace and name (either may be unknown). */
interface SourceRef {
    readonly kind: "Secret" | "ConfigMap";
    readonly namespace: Maybe<string | undefined>;
    readonly name: Maybe<string | undefined>;
}

/** Whether a Secret's or ConfigMap's data maps are unknown as a whole (its file names are then hidden). */
function hasUnknownData(resource: InspectedResource): boolean {
    const props = resource.props as KubernetesFiles;
    return [() => props.data, () => props.stringData, () => props.binaryData].some((read) => known(read) === UNKNOWN);
}

function metadataOf(resource: InspectedResource): { namespace: Maybe<string | undefined>; name: Maybe<string | undefined> } {
    const metadata = known(() => (resource.props as { metadata?: KubernetesMetadata }).metadata);
    if (metadata === UNKNOWN) return { namespace: UNKNOWN, name: UNKNOWN };
    return { namespace: known(() => metadata?.namespace), name: known(() => metadata?.name) };
}

/** Secrets and ConfigMaps of the stack whose data is unknown. */
function opaqueSources(resources: readonly InspectedResource[]): SourceRef[] {
    return resources
        .filter((resource) => (resource.type === TYPES.kubernetesSecret || resource.type === TYPES.kubernetesConfigMap) && hasUnknownData(resource))
        .map((resource) => ({ kind: resource.type === TYPES.kubernetesSecret ? "Secret" : "ConfigMap", ...metadataOf(resource) }));
}

const same = (a: Maybe<string | undefined>, b: Maybe<string | undefined>) => a === UNKNOWN || b === UNKNOWN || (a ?? "default") === (b ?? "default");

/** The opaque source a volume reference names, if any (an unknown name could be any of them). */
function opaqueMatch(ref: SourceRef, opaque: readonly SourceRef[]): SourceRef | undefined {
    return opaque.find(
        (source) =>
            source.kind === ref.kind && same(source.namespace, ref.namespace) && (ref.name === UNKNOWN || source.name === UNKNOWN || source.name === ref.name),
    );
}

/** The sources a volume projects, with the items each limits itself to. */
function volumeSources(volume: KubernetesVolume, namespace: Maybe<string | undefined>): { ref: SourceRef; items: Maybe<KubernetesKeyItems | undefined> }[] {
    const found: { ref: SourceRef; items: Maybe<KubernetesKeyItems | undefined> }[] = [];
    const secret = known(() => volume.secret);
    if (secret !== UNKNOWN && secret)
        found.push({ ref: { kind: "Secret", namespace, name: known(() => secret.secretName) }, items: known(() => secret.items) });
    const configMap = known(() => volume.configMap);
    if (configMap !== UNKNOWN && configMap)
        found.push({ ref: { kind: "ConfigMap", namespace, name: known(() => configMap.name) }, items: known(() => configMap.items) });
    const sources = knownItems(() => volume.projected?.sources);
    for (const source of sources === UNKNOWN ? [] : sources) {
        if (source === UNKNOWN) continue;
        for (const [kind, read] of [
            ["Secret", () => source.secret],
            ["ConfigMap", () => source.configMap],
        ] as const) {
            const part = known(read);
            if (part !== UNKNOWN && part) found.push({ ref: { kind, namespace, name: known(() => part.name) }, items: known(() => part.items) });
        }
    }
    return found;
}

/** The file names a mount puts in the container: one with subPath, else every item's, else unknown (all keys). */
function mountedNames(mount: { mountPath: string; subPath?: string }, items: Maybe<KubernetesKeyItems | undefined>): Maybe<string[]> {
    if (mount.subPath) return [path.posix.basename(mount.mountPath)];
    if (items === UNKNOWN || items === undefined) return UNKNOWN;
    return items.map((item) => path.posix.basename(item.path));
}

function podFindings(resource: PolicyResource, opaque: readonly SourceRef[]): string[] {
    if (!(KUBERNETES_POD_OWNERS as readonly string[]).includes(resource.type as ResourceType) || opaque.length === 0) return [];
    const spec = kubernetesPodSpec(resource);
    const volumes = knownItems(() => spec?.volumes);
    if (volumes === UNKNOWN) return [notKnownYet(`the volumes of ${resource.name}`)];
    const namespace = metadataOf(resource).namespace;
    const findings: string[] = [];
    for (const container of kubernetesContainers(resource)) {
        const mounts = knownItems(() => container.volumeMounts);
        const where = `container ${container.name ?? "(unnamed)"}`;
        if (mounts === UNKNOWN) {
            findings.push(notKnownYet(`the volume mounts of ${where}`));
            continue;
        }
        for (const entry of mounts) {
            const mount = entry === UNKNOWN ? UNKNOWN : known(() => ({ name: entry.name, mountPath: entry.mountPath, subPath: entry.subPath }));
            if (mount === UNKNOWN) {
                findings.push(notKnownYet(`a volume mount of ${where}`));
                continue;
            }
            const volume = volumes.find((v) => v !== UNKNOWN && known(() => v.name) === mount.name);
            if (volume === undefined || volume === UNKNOWN) continue;
            for (const { ref, items } of volumeSources(volume, namespace)) {
                const source = opaqueMatch(ref, opaque);
                if (!source) continue;
                const label = `${source.kind} ${typeof source.name === "string" ? source.name : "(name unknown)"}`;
                const names = mountedNames(mount, items);
                if (names === UNKNOWN) {
                    findings.push(
                        `${where} mounts every key of ${label} at ${mount.mountPath}, and ${notKnownYet(`that ${source.kind}'s data`)}: it could carry a ${CONFIG_FILES.join(", ")}; mount only the keys it needs (subPath or items), and ship rendered configuration in a ConfigMap`,
                    );
                    continue;
                }
                for (const name of names.filter((file) => CONFIG_FILES.includes(file))) {
                    findings.push(
                        `${where} mounts ${name} from ${label}, and ${notKnownYet(`that ${source.kind}'s data`)}; ship rendered configuration in a ConfigMap built from known values`,
                    );
                }
            }
        }
    }
    return findings;
}

/** known-at-preview: see the module comment. */
export const knownAtPreview: StackValidationPolicy = {
    name: RULE,
    description:
        "In a preview, an image reference not yet known comes from an image the stack builds or pulls, and no Secret or ConfigMap whose data is not yet known delivers postgresql.conf, pg_hba.conf or pgbouncer.ini to a pod; what cannot be decided fails.",
    severity: "high",
    enforcementLevel: "mandatory",
    remediationSteps: [
        "Reference images by the digest of an image resource of the stack (docker-build Image ref, RemoteImage repoDigest) or by a pinned literal.",
        "Ship postgresql.conf, pg_hba.conf and pgbouncer.ini in ConfigMaps rendered from the stack's configuration, and mount Secrets by key (subPath or items).",
    ].join(" "),
    validateStack: (args, reportViolation) => {
        const opaque = opaqueSources(args.resources);
        for (const resource of args.resources) {
            for (const message of [...imageFindings(resource), ...podFindings(resource, opaque)]) reportViolation(message, resource.urn);
        }
    },
};
