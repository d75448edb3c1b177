/**
 * The third-party images the self-hosted targets run beside PostgreSQL, pinned by digest
 * (tag kept for readers; the digest is what Docker resolves). Policies and tests import
 * these instead of repeating the strings, so a bump happens here once.
 */

/** A pinned image and the facts about it a container definition depends on. */
export interface PinnedImage {
    /** `repository:tag@sha256:<digest>`. */
    readonly ref: string;
    /** Numeric uid the image's process runs as: uploaded secret files are owned by it (mode 0600). */
    readonly uid: number;
    /** Numeric gid of that user. */
    readonly gid: number;
    /** The program the container runs; set as the entrypoint so the image's own wrapper is bypassed. */
    readonly binary: string;
    /** The program's own version where rendered files depend on it (PgBouncer's settings). */
    readonly version?: string;
}

/**
 * PgBouncer (Alpine based; its `postgres` user is uid/gid 70). The image's entrypoint script
 * writes a `pgbouncer.ini` from environment variables when none exists; the platform always
 * supplies its rendered file, so it runs the binary directly.
 */
export const PGBOUNCER_IMAGE: PinnedImage = {
    ref: "edoburu/pgbouncer:v1.25.1-p0@sha256:c7bfcaa24de830e29588bb9ad1eb39cebaf07c27149e1974445899b695634bb4",
    uid: 70,
    gid: 70,
    binary: "/usr/bin/pgbouncer",
    version: "1.25.1",
};

/** postgres_exporter (busybox based, runs as `nobody`). */
export const POSTGRES_EXPORTER_IMAGE: PinnedImage = {
    ref: "prometheuscommunity/postgres-exporter:v0.19.1@sha256:e96064f876226d94bb6ce48a4c4b3dd76edba91168ec1ab024e5c4b959310b0f",
    uid: 65534,
    gid: 65534,
    binary: "/bin/postgres_exporter",
};

/** Every image pinned here, for rules and tests that check a deployment uses only these. */
export const PINNED_IMAGES: readonly PinnedImage[] = [PGBOUNCER_IMAGE, POSTGRES_EXPORTER_IMAGE];

// What a digest pin is, as the policy pack (published alone) checks it: one copy, read from there.
export { IMAGE_DIGEST, isDigestPinned } from "../../policies/shared/vocabulary";
