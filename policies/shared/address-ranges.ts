/**
 * Address ranges judged as ranges: "is this open to the internet" is answered by the union of
 * every range given, IPv4 and IPv6, against the public address space, never by how a CIDR is
 * spelt. `0.0.0.0/1` + `128.0.0.0/1` is the whole IPv4 space; `127.0.0.2` and
 * `::ffff:127.0.0.1` are loopback; `10.0.0.0/8` is not public, `11.0.0.0/8` is.
 *
 * Addresses are parsed by ipaddr.js (strict forms only: four-part decimal IPv4, any valid IPv6
 * without a zone); the interval arithmetic is here. It lives in the policy pack, which is
 * published alone; the config layer reads it through components/platform/.
 */
import ipaddr from "ipaddr.js";

/** An IP version. */
export type Family = 4 | 6;

/** A contiguous range of addresses of one family, both ends included. */
export interface AddressRange {
    readonly family: Family;
    readonly start: bigint;
    readonly end: bigint;
}

const BITS: Readonly<Record<Family, number>> = { 4: 32, 6: 128 };

function toBigInt(bytes: readonly number[]): bigint {
    return bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

function block(family: Family, base: bigint, prefix: number): AddressRange {
    const host = BigInt(BITS[family] - prefix);
    const start = (base >> host) << host;
    return { family, start, end: start + (1n << host) - 1n };
}

/**
 * A CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or a single address, as a range; host bits
 * are masked off as pg_hba.conf and the providers do. An IPv4-mapped IPv6 block
 * (`::ffff:10.0.0.0/104`) is the IPv4 range it maps. Undefined when it is neither.
 */
export function parseAddressRange(text: string): AddressRange | undefined {
    const [address, prefixText, extra] = text.trim().split("/");
    if (extra !== undefined || address === undefined) return undefined;
    if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
    let family: Family;
    let bytes: number[];
    if (ipaddr.IPv4.isValidFourPartDecimal(address)) {
        family = 4;
        bytes = ipaddr.IPv4.parse(address).toByteArray();
    } else if (!address.includes("%") && ipaddr.IPv6.isValid(address)) {
        family = 6;
        bytes = ipaddr.IPv6.parse(address).toByteArray();
    } else {
        return undefined;
    }
    const prefix = prefixText === undefined ? BITS[family] : Number(prefixText);
    if (prefix > BITS[family]) return undefined;
    const range = block(family, toBigInt(bytes), prefix);
    // ::ffff:0:0/96 is IPv4 spoken over IPv6 sockets: judge it as the IPv4 it carries.
    const mapped = block(6, 0xffff00000000n, 96);
    if (family === 6 && prefix >= 96 && range.start >= mapped.start && range.end <= mapped.end) {
        return { family: 4, start: range.start - mapped.start, end: range.end - mapped.start };
    }
    return range;
}

/** Ranges of texts that parse; `invalid` lists the texts that do not. */
export function parseAddressRanges(texts: readonly string[]): { ranges: AddressRange[]; invalid: string[] } {
    const ranges: AddressRange[] = [];
    const invalid: string[] = [];
    for (const text of texts) {
        const range = parseAddressRange(text);
        if (range) ranges.push(range);
        else invalid.push(text);
    }
    return { ranges, invalid };
}

/** The union of ranges: sorted, adjacent and overlapping ranges merged, per family. */
export function unionOf(ranges: readonly AddressRange[]): AddressRange[] {
    const sorted = [...ranges].sort((a, b) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const merged: AddressRange[] = [];
    for (const range of sorted) {
        const last = merged[merged.length - 1];
        if (last && last.family === range.family && range.start <= last.end + 1n) {
            if (range.end > last.end) merged[merged.length - 1] = { ...last, end: range.end };
        } else {
            merged.push(range);
        }
    }
    return merged;
}

/** What of `from` is not in `minus`. */
export function subtractRanges(from: readonly AddressRange[], minus: readonly AddressRange[]): AddressRange[] {
    let rest = unionOf(from);
    for (const cut of unionOf(minus)) {
        rest = rest.flatMap((range) => {
            if (range.family !== cut.family || cut.end < range.start || cut.start > range.end) return [range];
            const pieces: AddressRange[] = [];
            if (cut.start > range.start) pieces.push({ ...range, end: cut.start - 1n });
            if (cut.end < range.end) pieces.push({ ...range, start: cut.end + 1n });
            return pieces;
        });
    }
    return rest;
}

/** Whether every address of `inner` is in `outer`. */
export function isWithin(inner: readonly AddressRange[], outer: readonly AddressRange[]): boolean {
    return subtractRanges(inner, outer).length === 0;
}

const parsed = (cidrs: readonly string[]) => cidrs.map((cidr) => parseAddressRange(cidr) as AddressRange);

/** The whole space of each family. */
export const WHOLE_SPACE: Readonly<Record<Family, AddressRange>> = { 4: block(4, 0n, 0), 6: block(6, 0n, 0) };

/** Loopback: 127.0.0.0/8 and ::1 (IPv4-mapped loopback reads as 127.0.0.0/8). */
export const LOOPBACK_RANGES: readonly AddressRange[] = parsed(["127.0.0.0/8", "::1/128"]);

/**
 * Addresses that are not globally reachable (IANA's special-purpose registries, "Globally
 * Reachable: False"), plus multicast, which is never a client's source: private networks,
 * shared (CGNAT), loopback, link-local, documentation, benchmarking, reserved; IPv6 unique-local,
 * link-local, documentation, discard. Everything else, allocated or not, counts as public.
 */
export const NON_PUBLIC_RANGES: readonly AddressRange[] = parsed([
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:2::/48",
    "2001:db8::/32",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
]);

/** The public part of the union of `ranges`. */
export function publicPart(ranges: readonly AddressRange[]): AddressRange[] {
    return subtractRanges(ranges, NON_PUBLIC_RANGES);
}

/** Families whose whole public space the union of `ranges` covers (by one block or by pieces). */
export function wholePublicFamilies(ranges: readonly AddressRange[]): Family[] {
    return ([4, 6] as const).filter((family) => isWithin(publicPart([WHOLE_SPACE[family]]), ranges));
}

/** Whether every address of the union is loopback. */
export function isLoopbackOnly(ranges: readonly AddressRange[]): boolean {
    return ranges.length > 0 && isWithin(ranges, LOOPBACK_RANGES);
}

function formatAddress(family: Family, value: bigint): string {
    const bytes: number[] = [];
    for (let i = BITS[family] / 8 - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(8 * i)) & 0xffn));
    return ipaddr.fromByteArray(bytes).toString();
}

/** A range written as the fewest CIDR blocks. */
export function rangeToCidrs(range: AddressRange): string[] {
    const cidrs: string[] = [];
    let start = range.start;
    while (start <= range.end) {
        let size = BigInt(BITS[range.family]);
        while (size > 0n && (start & ((1n << size) - 1n)) !== 0n) size--;
        while (start + (1n << size) - 1n > range.end) size--;
        cidrs.push(`${formatAddress(range.family, start)}/${BITS[range.family] - Number(size)}`);
        start += 1n << size;
    }
    return cidrs;
}

/** Ranges as CIDR text for a message, at most `limit` blocks (then "and N more"). */
export function describeRanges(ranges: readonly AddressRange[], limit = 4): string {
    const cidrs = ranges.flatMap(rangeToCidrs);
    return cidrs.length <= limit ? cidrs.join(", ") : `${cidrs.slice(0, limit).join(", ")} and ${cidrs.length - limit} more blocks`;
}

/** How far a set of ranges reaches beyond the private networks. */
export interface Exposure {
    /** Texts that are not an address or CIDR block. */
    readonly invalid: readonly string[];
    /** Public addresses admitted beyond `allowed`. */
    readonly publicBeyondAllowed: readonly AddressRange[];
    /** Families whose whole public space is covered. */
    readonly wholeFamilies: readonly Family[];
}

/**
 * The exposure of `cidrs` (their union): the public space they cover beyond the explicitly
 * `allowed` ranges, and whether they cover a family's whole public space by any pieces.
 */
export function exposure(cidrs: readonly string[], allowed: readonly string[] = []): Exposure {
    const { ranges, invalid } = parseAddressRanges(cidrs);
    const permitted = parseAddressRanges(allowed).ranges;
    return {
        invalid,
        publicBeyondAllowed: subtractRanges(publicPart(ranges), permitted),
        wholeFamilies: wholePublicFamilies(ranges),
    };
}
