/**
 * Which PostgreSQL image a self-hosted stack runs: a prebuilt one the stack names, or one the
 * platform builds from `context/`. Pure: no Pulumi import; the component only maps the plan
 * onto a docker-build Image.
 */
import { IMAGE_DIGEST, isDigestPinned } from "../platform/images";
import { ConfigError, type PlatformSpec } from "../config";
import { PROJECT } from "../platform/constants";
import {
    POSTGRES_BASE_IMAGE,
    POSTGRES_IMAGE_MAJOR,
    POSTGRES_IMAGE_VERSION,
    buildArgs,
    builtExtensions,
    extensionManifest,
    type ManifestEntry,
} from "./extensions";

/** Repository a build is named under when `image.repository` is not set (a local, unpushed build). */
export const LOCAL_REPOSITORY = "pg-platform/postgres";

/** A CPU architecture the image is built for. */
export type ImagePlatform = PlatformSpec["image"]["platforms"][number];

/** Everything a build needs, decided from the spec. */
export interface ImageBuildPlan {
    /** Repository the image is tagged (and pushed) under: `image.repository`, else {@link LOCAL_REPOSITORY}. */
    readonly repository: string;
    /** The one tag: `<repository>:18.4`, with `-<extension>` per optional extension built in. */
    readonly tag: string;
    /** Platforms, from `image.platforms`. Default: linux/amd64 and linux/arm64. */
    readonly platforms: readonly ImagePlatform[];
    /** Push to `repository`; otherwise the image is loaded into the local Docker engine. */
    readonly push: boolean;
    /** Dockerfile build arguments: the pins and the optional-extension switches. */
    readonly buildArgs: Readonly<Record<string, string>>;
    /** Registry cache reference read and written by the build. Default: none. */
    readonly cacheRef: string | undefined;
    /** Compiled extensions: name, version, commit, repository. */
    readonly manifest: readonly ManifestEntry[];
    /** The digest-pinned base image. */
    readonly baseImage: string;
}

/** Where the stack's PostgreSQL image comes from. */
export type ImageSource =
    /** `image.prebuilt`, passed through unchanged; `pinned` says whether it names a digest. */
    | { readonly kind: "prebuilt"; readonly ref: string; readonly pinned: boolean }
    /** Built by the platform from its Dockerfile. */
    | { readonly kind: "build"; readonly plan: ImageBuildPlan };

/**
 * Decides the image for a spec. A prebuilt reference is passed through even when it is only a
 * tag: rejecting it here would turn a supply-chain finding into a configuration error (exit 2
 * of `check`), while the `pinned-images` policy reports it as the violation it is (exit 1).
 * Throws a ConfigError for build settings that cannot work.
 */
export function resolveImage(spec: PlatformSpec): ImageSource {
    const image = spec.image;
    if (image.prebuilt !== undefined) {
        const ignored = [
            image.repository !== undefined ? "image.repository" : undefined,
            image.push ? "image.push" : undefined,
            image.cacheRef !== undefined ? "image.cacheRef" : undefined,
        ].filter((key): key is string => key !== undefined);
        if (ignored.length > 0) {
            throw new ConfigError([
                `${PROJECT}:image.prebuilt: a prebuilt image is run as is, so ${ignored.join(", ")} would be ignored; remove ${ignored.length > 1 ? "them" : "it"} or remove image.prebuilt`,
            ]);
        }
        return { kind: "prebuilt", ref: image.prebuilt, pinned: isDigestPinned(image.prebuilt) };
    }

    const problems: string[] = [];
    if (spec.postgres.version !== POSTGRES_IMAGE_MAJOR) {
        problems.push(
            `${PROJECT}:postgres.version: the platform image is PostgreSQL ${POSTGRES_IMAGE_MAJOR} (${POSTGRES_BASE_IMAGE.split("@")[0]}); to run ${spec.postgres.version}, set image.prebuilt to a digest-pinned image of that major (got ${spec.postgres.version})`,
        );
    }
    if (image.push && image.repository === undefined) {
        problems.push(`${PROJECT}:image.repository: required when image.push is true: the registry repository to push to, such as ghcr.io/acme/postgres`);
    }
    if (problems.length > 0) throw new ConfigError(problems);

    const repository = image.repository ?? LOCAL_REPOSITORY;
    const optional = builtExtensions(spec)
        .filter((pin) => pin.optional)
        .map((pin) => `-${pin.name}`);
    return {
        kind: "build",
        plan: {
            repository,
            tag: `${repository}:${POSTGRES_IMAGE_VERSION}${optional.join("")}${spec.postgres.upgradeFrom === undefined ? "" : `-from${spec.postgres.upgradeFrom}`}`,
            platforms: image.platforms,
            push: image.push,
            buildArgs: buildArgs(spec),
            cacheRef: image.cacheRef,
            manifest: extensionManifest(spec),
            baseImage: POSTGRES_BASE_IMAGE,
        },
    };
}

/**
 * `<repository>@<digest>`: how containers reference a built image, so a re-pushed tag can
 * never change what runs. Throws when the build reported no digest (nothing was exported).
 */
export function digestReference(repository: string, digest: string): string {
    if (!IMAGE_DIGEST.test(digest)) {
        throw new Error(`the image build for ${repository} reported no sha256 digest (got "${digest}"); it must be pushed or loaded`);
    }
    return `${repository}@${digest}`;
}
