// The images the self-hosted targets run beside PostgreSQL: the platform's pins, or the same
// images mirrored into the user's registry (\`image.pgbouncer\`, \`image.exporter\`).
import type { PlatformSpec } from "../config";
import { PGBOUNCER_IMAGE, POSTGRES_EXPORTER_IMAGE, type PinnedImage } from "../platform/images";

function mirrored(pin: PinnedImage, ref: string | undefined): PinnedImage {
    // A mirror is the same image under another name: its user, group and binary stay the pin's.
    return ref === undefined ? pin : { ...pin, ref };
}

/** The PgBouncer image the pools run: \`image.pgbouncer\` when set, else the pin. */
export function poolerImage(spec: PlatformSpec): PinnedImage {
    return mirrored(PGBOUNCER_IMAGE, spec.image.pgbouncer);
}

/** The postgres_exporter image: \`image.exporter\` when set, else the pin. */
export function exporterImage(spec: PlatformSpec): PinnedImage {
    return mirrored(POSTGRES_EXPORTER_IMAGE, spec.image.exporter);
}
