/**
 * What goes into the platform's PostgreSQL image: the digest-pinned base and the extensions
 * compiled from exact upstream commits. Pure: no Pulumi import. The Dockerfile's ARG defaults
 * repeat these pins so a hand build matches; a unit test keeps the two equal.
 */
import type { PlatformSpec } from "../config";

/** The official image every build starts FROM, pinned by digest (verified against the registry's manifest when pinned). */
export const POSTGRES_BASE_IMAGE = "postgres:18.4-trixie@sha256:8ff36f3c66371cba71d20ceedccfc3de9669a68737607888c4ef0af93abe8e39";

/** The PostgreSQL release of {@link POSTGRES_BASE_IMAGE}. */
export const POSTGRES_IMAGE_VERSION = "18.4";

/** The major the image runs; pgAudit's pinned branch and the server headers are this major's. */
export const POSTGRES_IMAGE_MAJOR = 18;

/** An extension compiled into the image from source. */
export interface ExtensionPin {
    /** Platform name (as in `postgres.extensions`). */
    readonly name: "pg_cron" | "pgaudit" | "pgvector";
    /** Upstream release tag the commit carries, without a leading `v`. */
    readonly version: string;
    /** The full commit checked out: tags can be moved, commits cannot. */
    readonly commit: string;
    /** Upstream repository. */
    readonly repository: string;
    /** Prefix of the Dockerfile build arguments: `<prefix>_VERSION`, `<prefix>_COMMIT`. */
    readonly argPrefix: string;
    /** Built only when listed in `image.extensions` (otherwise always). */
    readonly optional: boolean;
}

/** Every extension the Dockerfile can build, in build order (stable first). */
export const EXTENSION_PINS: readonly ExtensionPin[] = [
    {
        name: "pg_cron",
        version: "1.6.7",
        commit: "465b38c737f584d520229f5a1d69d1d44649e4e5",
        repository: "https://github.com/citusdata/pg_cron",
        argPrefix: "PG_CRON",
        optional: false,
    },
    {
        name: "pgaudit",
        version: "18.0",
        commit: "f39f8dbb15dc5bd4cbe5f1e5abe0d930ed7593a8",
        repository: "https://github.com/pgaudit/pgaudit",
        argPrefix: "PGAUDIT",
        optional: false,
    },
    {
        name: "pgvector",
        version: "0.8.2",
        commit: "cab9da72c04353f143bb06b42ab70a403daac64a",
        repository: "https://github.com/pgvector/pgvector",
        argPrefix: "PGVECTOR",
        optional: true,
    },
];

/** One line of the extension manifest a built image reports. */
export interface ManifestEntry {
    /** Platform name. */
    readonly name: string;
    /** Upstream version. */
    readonly version: string;
    /** Exact commit compiled. */
    readonly commit: string;
    /** Upstream repository. */
    readonly repository: string;
}

/** The extensions a build for this spec compiles in: pg_cron and pgAudit always, optional ones when asked. */
export function builtExtensions(spec: PlatformSpec): ExtensionPin[] {
    const wanted: readonly string[] = spec.image.extensions;
    return EXTENSION_PINS.filter((pin) => !pin.optional || wanted.includes(pin.name));
}

/** The manifest of a build for this spec: name, version and commit of every compiled extension. */
export function extensionManifest(spec: PlatformSpec): ManifestEntry[] {
    return builtExtensions(spec).map(({ name, version, commit, repository }) => ({ name, version, commit, repository }));
}

/**
 * Build arguments for this spec: every pin (so the preview shows exactly which commits are
 * compiled), `BUILD_<NAME>=true|false` for each optional extension, and `UPGRADE_FROM=<major>`
 * when `postgres.upgradeFrom` is set (the image then carries that major's server too).
 */
export function buildArgs(spec: PlatformSpec): Record<string, string> {
    const built = new Set(builtExtensions(spec));
    const args: Record<string, string> = {};
    for (const pin of EXTENSION_PINS) {
        args[`${pin.argPrefix}_VERSION`] = pin.version;
        args[`${pin.argPrefix}_COMMIT`] = pin.commit;
        if (pin.optional) args[`BUILD_${pin.argPrefix}`] = String(built.has(pin));
    }
    // The old major's server and extensions beside the new ones, for pg_upgrade at start.
    if (spec.postgres.upgradeFrom !== undefined) args.UPGRADE_FROM = String(spec.postgres.upgradeFrom);
    return args;
}
