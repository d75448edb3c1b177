/**
 * PostgreSQL's own reading of a setting's value (src/backend/utils/misc/guc.c: parse_bool,
 * parse_int, parse_real, convert_to_base_unit, the enum lookup), so a value is judged the
 * way the server will judge it, not by how it is spelt: `-1kB` of an MB setting is 0, `010`
 * is eight, `1.5GB` of a kB setting is 1572864, `30.1GB` rounds to whole MB first, `1 TB` is
 * out of int32 range, units are case-sensitive (`mb` is refused), `o` is no boolean.
 *
 * Pure and dependency-free. It lives in the policy pack, which is published alone; the config
 * layer reads it through components/platform/, so the gate and the config judge alike.
 */

/** A setting's type, as pg_settings.vartype names it. */
export type SettingType = "bool" | "integer" | "real" | "enum" | "string";

/** What the server knows of a setting (from pg_settings). */
export interface SettingDescriptor {
    /** pg_settings.vartype. */
    readonly type: SettingType;
    /** pg_settings.unit: the base unit (`B`, `kB`, `8kB`, `MB`, `ms`, `s`, `min`), absent when unitless. */
    readonly unit?: string | null;
    /** pg_settings.min_val (integer and real). */
    readonly min?: number | null;
    /** pg_settings.max_val (integer and real). */
    readonly max?: number | null;
    /** pg_settings.enumvals (enum): the visible values, matched case-insensitively. */
    readonly values?: readonly string[] | null;
}

/** A value the server accepts, in its base unit, or why it refuses it. */
export type ParsedSetting = { readonly ok: true; readonly value: boolean | number | string } | { readonly ok: false; readonly reason: string };

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** C's rint(): round to nearest, ties to even (the server's rounding of units and integers). */
export function rint(x: number): number {
    if (!Number.isFinite(x)) return x;
    const floor = Math.floor(x);
    const diff = x - floor;
    if (diff < 0.5) return floor;
    if (diff > 0.5) return floor + 1;
    return floor % 2 === 0 ? floor : floor + 1;
}

/** parse_bool_with_len: true/false/yes/no/on/off/1/0 and their unique prefixes, any case. */
export function parseBool(text: string): boolean | undefined {
    const lower = text.toLowerCase();
    const len = lower.length;
    if (len === 0) return undefined;
    const prefixOf = (word: string, least = 1) => len >= least && len <= word.length && word.startsWith(lower);
    switch (lower[0]) {
        case "t":
            return prefixOf("true") ? true : undefined;
        case "f":
            return prefixOf("false") ? false : undefined;
        case "y":
            return prefixOf("yes") ? true : undefined;
        case "n":
            return prefixOf("no") ? false : undefined;
        case "o":
            // "o" alone is not unique enough.
            if (prefixOf("on", 2)) return true;
            if (prefixOf("off", 2)) return false;
            return undefined;
        case "1":
            return len === 1 ? true : undefined;
        case "0":
            return len === 1 ? false : undefined;
        default:
            return undefined;
    }
}

const isSpace = (c: string | undefined) => c !== undefined && /[ \t\n\v\f\r]/.test(c);

/** strtol(value, &end, 0): whitespace, sign, 0x hex / 0 octal / decimal. Returns the value and where it stopped. */
function strtol(text: string): { value: number; end: number; overflow: boolean } {
    let i = 0;
    while (isSpace(text[i])) i++;
    let sign = 1;
    if (text[i] === "+" || text[i] === "-") {
        if (text[i] === "-") sign = -1;
        i++;
    }
    let base = 10;
    if (text[i] === "0" && (text[i + 1] === "x" || text[i + 1] === "X") && /[0-9a-fA-F]/.test(text[i + 2] ?? "")) {
        base = 16;
        i += 2;
    } else if (text[i] === "0") {
        base = 8;
    }
    const digit = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
    const start = i;
    let value = 0n;
    while (i < text.length && digit.test(text[i])) {
        value = value * BigInt(base) + BigInt(parseInt(text[i], 16));
        i++;
    }
    if (i === start) return { value: 0, end: 0, overflow: false };
    const signed = BigInt(sign) * value;
    const overflow = signed > 9223372036854775807n || signed < -9223372036854775808n;
    return { value: Number(signed), end: i, overflow };
}

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX_FLOAT = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?/;
const SPECIAL_FLOAT = /^[+-]?(?:inf(?:inity)?|nan(?:\([0-9a-zA-Z_]*\))?)/i;

function hexFloat(text: string): number {
    const match = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?$/.exec(text);
    if (!match) return NaN;
    const [, sign, whole, fraction, exponent] = match;
    const mantissa = parseInt(`${whole}${fraction}` || "0", 16);
    const value = mantissa * 2 ** (Number(exponent ?? 0) - 4 * fraction.length);
    return sign === "-" ? -value : value;
}

/** strtod(value, &end): whitespace, decimal or hex floats, inf and nan; `range` is glibc's ERANGE. */
function strtod(text: string): { value: number; end: number; range: boolean } {
    let i = 0;
    while (isSpace(text[i])) i++;
    const rest = text.slice(i);
    const special = SPECIAL_FLOAT.exec(rest);
    if (special) {
        const negative = special[0].startsWith("-");
        const value = /nan/i.test(special[0]) ? NaN : negative ? -Infinity : Infinity;
        return { value, end: i + special[0].length, range: false };
    }
    const hex = HEX_FLOAT.exec(rest);
    const match = hex ?? DECIMAL_FLOAT.exec(rest);
    if (!match) return { value: 0, end: 0, range: false };
    const value = hex ? hexFloat(match[0]) : Number(match[0]);
    const digits = match[0].replace(/^[+-]?(0[xX])?/, "").replace(/[eEpP].*$/, "");
    const underflow = /[1-9a-fA-F]/.test(digits) && (value === 0 || Math.abs(value) < 2.2250738585072014e-308);
    return { value, end: i + match[0].length, range: !Number.isFinite(value) || underflow };
}

interface UnitEntry {
    readonly unit: string;
    readonly multiplier: number;
}

const BLOCK_KB = (unit: string) => Number(/^(\d+)kB$/.exec(unit)?.[1]);

/**
 * guc.c's memory_unit_conversion_table / time_unit_conversion_table for one base unit, in the
 * table's order (largest first), with the multipliers written as the C source computes them.
 */
function conversionTable(base: string): readonly UnitEntry[] | undefined {
    const memory = (kbPerBase: number, bytesPerBase: number): UnitEntry[] => [
        { unit: "TB", multiplier: (1024.0 * 1024.0 * 1024.0) / kbPerBase },
        { unit: "GB", multiplier: (1024.0 * 1024.0) / kbPerBase },
        { unit: "MB", multiplier: 1024.0 / kbPerBase },
        { unit: "kB", multiplier: 1.0 / kbPerBase },
        { unit: "B", multiplier: 1.0 / bytesPerBase },
    ];
    switch (base) {
        case "B":
            return [
                { unit: "TB", multiplier: 1024.0 * 1024.0 * 1024.0 * 1024.0 },
                { unit: "GB", multiplier: 1024.0 * 1024.0 * 1024.0 },
                { unit: "MB", multiplier: 1024.0 * 1024.0 },
                { unit: "kB", multiplier: 1024.0 },
                { unit: "B", multiplier: 1.0 },
            ];
        case "kB":
            return memory(1.0, 1024.0);
        case "MB":
            return [
                { unit: "TB", multiplier: 1024.0 * 1024.0 },
                { unit: "GB", multiplier: 1024.0 },
                { unit: "MB", multiplier: 1.0 },
                { unit: "kB", multiplier: 1.0 / 1024.0 },
                { unit: "B", multiplier: 1.0 / (1024.0 * 1024.0) },
            ];
        case "ms":
            return [
                { unit: "d", multiplier: 1000 * 60 * 60 * 24 },
                { unit: "h", multiplier: 1000 * 60 * 60 },
                { unit: "min", multiplier: 1000 * 60 },
                { unit: "s", multiplier: 1000 },
                { unit: "ms", multiplier: 1 },
                { unit: "us", multiplier: 1.0 / 1000 },
            ];
        case "s":
            return [
                { unit: "d", multiplier: 60 * 60 * 24 },
                { unit: "h", multiplier: 60 * 60 },
                { unit: "min", multiplier: 60 },
                { unit: "s", multiplier: 1 },
                { unit: "ms", multiplier: 1.0 / 1000 },
                { unit: "us", multiplier: 1.0 / (1000 * 1000) },
            ];
        case "min":
            return [
                { unit: "d", multiplier: 60 * 24 },
                { unit: "h", multiplier: 60 },
                { unit: "min", multiplier: 1 },
                { unit: "s", multiplier: 1.0 / 60 },
                { unit: "ms", multiplier: 1.0 / (1000 * 60) },
                { unit: "us", multiplier: 1.0 / (1000 * 1000 * 60) },
            ];
        default: {
            // Pages: `8kB` (BLCKSZ) and WAL pages (XLOG_BLCKSZ), both shown as `<n>kB`.
            const kb = BLOCK_KB(base);
            return Number.isFinite(kb) && kb > 0 ? memory(kb, kb * 1024) : undefined;
        }
    }
}

/** The units a setting with base unit `base` accepts, as the server's hint lists them. */
export function acceptedUnits(base: string): string[] {
    return (conversionTable(base) ?? []).map((entry) => entry.unit);
}

/** convert_to_base_unit: `value` `unit` in the setting's base unit, or undefined for an unknown unit. */
function toBaseUnit(value: number, unitText: string, base: string): number | undefined {
    // Up to three characters of unit, optional whitespace after, nothing else.
    const match = /^(\S{1,3})[ \t\n\v\f\r]*$/.exec(unitText);
    if (!match) return undefined;
    const table = conversionTable(base) ?? [];
    const i = table.findIndex((entry) => entry.unit === match[1]);
    if (i < 0) return undefined;
    let converted = value * table[i].multiplier;
    const next = table[i + 1];
    // A fractional value ("30.1GB") is rounded to the nearest multiple of the next smaller unit.
    if (next) converted = rint(converted / next.multiplier) * next.multiplier;
    return converted;
}

function unitHint(unit: string | null | undefined): string {
    if (!unit) return "this setting takes no unit";
    const units = acceptedUnits(unit);
    return units.length > 0 ? `valid units are ${units.map((u) => `"${u}"`).join(", ")} (case-sensitive)` : `its unit is ${unit}`;
}

/** The number part and unit of an integer or real value, as parse_int / parse_real read them. */
function parseNumber(text: string, descriptor: SettingDescriptor, integer: boolean): ParsedSetting {
    let value: number;
    let end: number;
    if (integer) {
        // Integers allow octal and hex; a decimal point, an exponent or an overflow re-reads as a float.
        // strtol leaves its end at the very start when it read no digits (even after spaces).
        const asInt = strtol(text);
        const stop = text[asInt.end];
        if (asInt.overflow || stop === "." || stop === "e" || stop === "E") {
            const asFloat = strtod(text);
            if (asFloat.end === 0 || asFloat.range) return { ok: false, reason: "is not a number the server can read" };
            ({ value, end } = asFloat);
        } else if (asInt.end === 0) {
            return { ok: false, reason: "is not a number the server can read" };
        } else {
            ({ value, end } = asInt);
        }
    } else {
        const asFloat = strtod(text);
        if (asFloat.end === 0 || asFloat.range) return { ok: false, reason: "is not a number the server can read" };
        ({ value, end } = asFloat);
    }
    if (Number.isNaN(value)) return { ok: false, reason: "is not a number (NaN)" };
    while (isSpace(text[end])) end++;
    if (end < text.length) {
        if (!descriptor.unit) return { ok: false, reason: `has trailing "${text.slice(end)}": ${unitHint(descriptor.unit)}` };
        const converted = toBaseUnit(value, text.slice(end), descriptor.unit);
        if (converted === undefined) return { ok: false, reason: `has an invalid unit "${text.slice(end).trim()}": ${unitHint(descriptor.unit)}` };
        value = converted;
    }
    if (integer) {
        value = rint(value);
        if (Number.isNaN(value) || value > INT_MAX || value < INT_MIN) return { ok: false, reason: "exceeds the integer range (-2147483648 .. 2147483647)" };
    }
    const { min, max } = descriptor;
    if ((min !== undefined && min !== null && value < min) || (max !== undefined && max !== null && value > max)) {
        const base = descriptor.unit ? ` ${descriptor.unit}` : "";
        return { ok: false, reason: `is ${value}${base}, outside the valid range ${min ?? "-inf"} .. ${max ?? "inf"}${base}` };
    }
    return { ok: true, value };
}

/** The hidden boolean spellings of enums that list on and off (e.g. synchronous_commit), matched whole. */
const ENUM_BOOLEAN_ALIASES: Readonly<Record<string, boolean>> = { true: true, yes: true, "1": true, false: false, no: false, "0": false };

/**
 * Reads `text` as the server reads a setting of `descriptor`'s type: the value in the base
 * unit (booleans as true/false, enums as the matching listed value), or why it is refused.
 * Enum settings whose listed values include `on` and `off` also take true/false, yes/no and 1/0
 * (whole words), as the server's hidden aliases do.
 */
export function parseSettingValue(text: string, descriptor: SettingDescriptor): ParsedSetting {
    switch (descriptor.type) {
        case "bool": {
            const value = parseBool(text);
            return value === undefined ? { ok: false, reason: "is not a boolean (on/off, true/false, yes/no, 1/0)" } : { ok: true, value };
        }
        case "integer":
            return parseNumber(text, descriptor, true);
        case "real":
            return parseNumber(text, descriptor, false);
        case "enum": {
            const values = descriptor.values ?? [];
            const found = values.find((v) => v.toLowerCase() === text.toLowerCase());
            if (found !== undefined) return { ok: true, value: found };
            // The hidden aliases of an on/off enum are whole words (the lookup is exact, no prefixes).
            const lower = values.map((v) => v.toLowerCase());
            const alias = ENUM_BOOLEAN_ALIASES[text.toLowerCase()];
            if (alias !== undefined && lower.includes("on") && lower.includes("off")) return { ok: true, value: alias ? "on" : "off" };
            return { ok: false, reason: `is not one of ${values.map((v) => `"${v}"`).join(", ")}` };
        }
        case "string":
            return { ok: true, value: text };
    }
}
