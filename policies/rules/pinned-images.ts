import { isDigestPinned } from "../shared/vocabulary";
import { KUBERNETES_POD_OWNERS, TYPES, kubernetesContainers } from "./resources";
import { forTypes, resourceRule } from "./rule";
import { UNKNOWN, known, type Maybe } from "./unknowns";

/**
 * Whether an image reference cannot change under us: digest-pinned as the image component
 * decides it (`<repository>[:tag]@sha256:<64 hex>`), or a bare image ID `sha256:<64 hex>`
 * (what a Docker container gets from a pulled image's imageId).
 */
export function isPinned(reference: string): boolean {
    return isDigestPinned(reference.trim()) || /^sha256:[0-9a-f]{64}$/.test(reference.trim());
}

const HOW = "reference it as <repository>@sha256:<digest>";

/**
 * The finding for a reference, if it is not pinned. A reference unknown in a preview (the digest
 * of an image being built or pulled) is judged by known-at-preview, from where it comes.
 */
function imageFinding(what: string, reference: Maybe<string | undefined>): string[] {
    if (reference === undefined || reference === UNKNOWN) return [];
    return isPinned(reference) ? [] : [`${what} ${reference} is not pinned by digest; ${HOW}`];
}

/** Docker's `$VAR` / `${VAR}` substitution in a FROM line, from ARG defaults and build args. */
function substitute(text: string, args: ReadonlyMap<string, string>): string {
    return text.replace(/\$\{(\w+)(?::?([-+])([^}]*))?\}|\$(\w+)/g, (whole, braced?: string, modifier?: string, word?: string, bare?: string) => {
        const value = args.get((braced ?? bare) as string);
        if (modifier === "-") return value ?? (word as string);
        if (modifier === "+") return value === undefined ? "" : (word as string);
        return value ?? whole;
    });
}

/**
 * The base images of an inline Dockerfile, in order, with global ARG defaults and build args
 * substituted; earlier stages (`FROM builder`) and `scratch` are not images and are left out.
 */
export function dockerfileBaseImages(dockerfile: string, buildArgs: Readonly<Record<string, string>> = {}): string[] {
    const instructions = dockerfile
        .replace(/\\\r?\n/g, " ")
        .split(/\r?\n/)
        .map((line) => line.trim());
    const args = new Map<string, string>();
    const stages = new Set<string>();
    const images: string[] = [];
    let seenFrom = false;
    for (const instruction of instructions) {
        const arg = /^ARG\s+(\w+)(?:=(.*))?$/i.exec(instruction);
        // Only ARGs before the first FROM are visible to FROM lines.
        if (arg && !seenFrom) {
            const value = buildArgs[arg[1]] ?? arg[2]?.replace(/^["']|["']$/g, "");
            if (value !== undefined) args.set(arg[1], value);
            continue;
        }
        const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(instruction);
        if (!from) continue;
        seenFrom = true;
        const image = substitute(from[1], args);
        if (image !== "scratch" && !stages.has(image.toLowerCase())) images.push(image);
        if (from[2]) stages.add(from[2].toLowerCase());
    }
    return images;
}

/** pinned-images: every image the platform builds from or runs is referenced by digest, so a re-pushed tag cannot change it. */
export const pinnedImages = resourceRule(
    {
        name: "pinned-images",
        description: "Every container image (run, pulled, or built FROM) is referenced by digest (@sha256:...), never by a tag alone.",
        severity: "high",
        // Mandatory unless a stack's policy config relaxes it: nothing the platform ships needs a floating tag.
        enforcementLevel: "mandatory",
        remediationSteps: [
            "Use the digest-pinned references the platform ships (components/platform/images.ts) or pin your own: docker buildx imagetools inspect <image:tag> prints the digest.",
            "For image.prebuilt give <repository>@sha256:<digest>; keep the tag in front of the digest for readability if you like.",
        ].join(" "),
    },
    {
        [TYPES.dockerContainer]: (container) =>
            imageFinding(
                "image",
                known(() => container.image),
            ),
        [TYPES.dockerRemoteImage]: (image) =>
            imageFinding(
                "image",
                known(() => image.name),
            ),
        [TYPES.dockerBuildImage]: (image) => [
            // A Dockerfile given by location is read by BuildKit on the deploying machine, out of the gate's sight.
            ...dockerfileBaseImages(image.dockerfile?.inline ?? "", image.buildArgs ?? {}).flatMap((base) => imageFinding("Dockerfile base image", base)),
            ...Object.entries(image.context?.named ?? {})
                .filter(([, context]) => context.location.startsWith("docker-image://"))
                .flatMap(([name, context]) => imageFinding(`named context ${name} image`, context.location.slice("docker-image://".length))),
        ],
        ...forTypes(KUBERNETES_POD_OWNERS, ({ resource }) =>
            kubernetesContainers(resource).flatMap((container) =>
                imageFinding(
                    `container ${container.name ?? "(unnamed)"} image`,
                    known(() => container.image),
                ),
            ),
        ),
    },
);
