import * as fs from "node:fs";
import * as path from "node:path";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformSpec } from "../config";
import { PROJECT } from "../platform/constants";
import type { ManifestEntry } from "./extensions";
import { digestReference, resolveImage, type ImageBuildPlan } from "./plan";

/** The build context: Dockerfile and the scripts the image installs (absolute, for reading). */
export const IMAGE_CONTEXT_DIR = path.join(__dirname, "context");

/**
 * The build context as the image resource records it: relative to the project folder (Pulumi
 * runs programs and providers there), so a checkout at another path has the same inputs and
 * does not rebuild the image.
 */
export const IMAGE_CONTEXT_LOCATION = path.posix.join("components", "image", "context");

/** Arguments of {@link PostgresImage}. */
export interface PostgresImageArgs {
    /** The validated stack spec; `image.*` and `postgres.version` decide the image. */
    readonly spec: PlatformSpec;
    /** Recorded as the OCI `source` label (the platform's repository URL). Default: empty. */
    readonly sourceUrl?: pulumi.Input<string>;
    /**
     * Recorded as the OCI `revision` label. Default: empty. Passing the current commit rebuilds
     * the image (and so replaces its containers) on every commit, so CI passes it on purpose.
     */
    readonly revision?: pulumi.Input<string>;
}

/**
 * The PostgreSQL image self-hosted targets run, by digest: either `image.prebuilt` as given,
 * or built from `context/` with docker-build (multi-platform, optional registry cache, pushed
 * to `image.repository` or loaded into the local engine).
 */
export class PostgresImage extends pulumi.ComponentResource {
    /** `<repository>@sha256:<digest>` of the built image, or `image.prebuilt` unchanged. */
    public readonly imageRef: pulumi.Output<string>;
    /** Extensions compiled into a built image (name, version, commit, repository); empty for a prebuilt one. */
    public readonly extensions: pulumi.Output<ManifestEntry[]>;

    constructor(name: string, args: PostgresImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:image:PostgresImage`, name, {}, opts);
        const source = resolveImage(args.spec);
        if (source.kind === "prebuilt") {
            if (!source.pinned) {
                pulumi.log.warn(
                    `${PROJECT}:image.prebuilt ${source.ref} is not pinned by digest (the pinned-images policy reports it); use <repository>@sha256:<digest>`,
                    this,
                );
            }
            this.imageRef = pulumi.output(source.ref);
            this.extensions = pulumi.output([]);
        } else {
            const image = new dockerBuild.Image(`${name}-build`, imageArgs(source.plan, args), { parent: this });
            this.imageRef = image.digest.apply((digest) => digestReference(source.plan.repository, digest));
            this.extensions = pulumi.output(source.plan.manifest.map((entry) => ({ ...entry })));
        }
        this.registerOutputs({ imageRef: this.imageRef, extensions: this.extensions });
    }
}

function imageArgs(plan: ImageBuildPlan, args: PostgresImageArgs): dockerBuild.ImageArgs {
    const cache = plan.cacheRef;
    return {
        context: { location: IMAGE_CONTEXT_LOCATION },
        // Inline, so the policy gate (which never sees the deploying machine's files) can check
        // every FROM line is pinned.
        dockerfile: { inline: fs.readFileSync(path.join(IMAGE_CONTEXT_DIR, "Dockerfile"), "utf8") },
        platforms: [...plan.platforms],
        buildArgs: { ...plan.buildArgs, SOURCE_URL: args.sourceUrl ?? "", SOURCE_REVISION: args.revision ?? "" },
        tags: [plan.tag],
        push: plan.push,
        // Unpushed builds go into the local engine, where the Docker target's containers find them.
        load: !plan.push,
        // A multi-platform build takes minutes; previews (PR checks) validate without building.
        buildOnPreview: false,
        cacheFrom: cache ? [{ registry: { ref: cache } }] : undefined,
        // A cache that cannot be written must not fail the deployment.
        cacheTo: cache
            ? [{ registry: { ref: cache, mode: dockerBuild.CacheMode.Max, imageManifest: true, ociMediaTypes: true, ignoreError: true } }]
            : undefined,
    };
}
