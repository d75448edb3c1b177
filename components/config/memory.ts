/** Units accepted in a memory size, as multiples of one MiB. */
const UNIT_MB: Readonly<Record<string, number>> = {
    mb: 1,
    mib: 1,
    m: 1,
    gb: 1024,
    gib: 1024,
    g: 1024,
    tb: 1024 * 1024,
    tib: 1024 * 1024,
    t: 1024 * 1024,
};

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/;

/**
 * Parses a human memory size ("512MB", "2GiB", "1.5G") into whole MiB, or returns undefined
 * when it cannot be parsed. Units are binary, as PostgreSQL and Docker read them.
 */
export function parseMemoryMb(text: string): number | undefined {
    const match = SIZE.exec(text);
    if (!match) return undefined;
    const factor = UNIT_MB[match[2].toLowerCase()];
    if (factor === undefined) return undefined;
    const mb = Math.floor(Number(match[1]) * factor);
    return Number.isFinite(mb) && mb > 0 ? mb : undefined;
}
