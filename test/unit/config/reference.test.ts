// README's configuration reference and Pulumi.yaml's descriptions, held to the schema key by
// key (nested keys included), so neither can drift from what the program accepts and applies.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { platformSchema } from "../../../components/config/schema";
import { PRODUCTION_DEFAULTS, type ProductionDependentKey } from "../../../components/config/production-defaults";
import { PROJECT_DIR } from "../../../cli/stack-config";

/** A key the stack file can set, and the default the schema gives it (absent: none). */
interface SchemaKey {
    readonly path: string;
    readonly default?: { readonly value: unknown };
}

/**
 * Every key path of the schema: objects are walked into, and so are unions of objects (the
 * keys of each member); anything else (scalars, lists, maps, unions with a scalar member) is
 * one key. `.default()` gives a key its default; `.prefault({})` only makes an object optional.
 */
function schemaKeys(schema: z.core.$ZodType, at: string, dflt?: { value: unknown }): SchemaKey[] {
    if (schema instanceof z.ZodDefault) return schemaKeys(schema.def.innerType, at, { value: schema.def.defaultValue });
    if (schema instanceof z.ZodPrefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
        return schemaKeys(schema.def.innerType, at, dflt);
    }
    if (schema instanceof z.ZodPipe) return schemaKeys(schema.def.in, at, dflt);
    if (schema instanceof z.ZodObject) {
        return Object.entries(schema.shape).flatMap(([key, inner]) => schemaKeys(inner as z.core.$ZodType, at ? `${at}.${key}` : key));
    }
    if (schema instanceof z.ZodUnion && schema.options.every((option) => unwrapped(option) instanceof z.ZodObject)) {
        const members = schema.options.flatMap((option) => schemaKeys(option, at));
        return members.filter((key, i) => members.findIndex((other) => other.path === key.path) === i);
    }
    return [{ path: at, default: dflt }];
}

function unwrapped(schema: z.core.$ZodType): z.core.$ZodType {
    if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault || schema instanceof z.ZodOptional) return unwrapped(schema.def.innerType);
    return schema;
}

/** A default as README writes it: `docker`, `5432`, `[linux/amd64, linux/arm64]`, `[{ name: app, extensions: [] }]`. */
function formatDefault(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(formatDefault).join(", ")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value);
        return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${k}: ${formatDefault(v)}`).join(", ")} }`;
    }
    return String(value);
}

/** The default cell of a production-dependent key, from the one table. */
function productionCell(key: ProductionDependentKey): string {
    const entry = PRODUCTION_DEFAULTS[key];
    return `\`${entry.production}\` in production, else \`${entry.otherwise}\``;
}

/** One row of README's configuration table: the keys it names and its default cell. */
interface ReferenceRow {
    readonly keys: readonly string[];
    readonly default: string;
}

/** The rows of the table under "## Configuration reference" in README.md. */
function referenceRows(): ReferenceRow[] {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    const start = readme.indexOf("\n## Configuration reference\n");
    expect(start, 'README.md has a "## Configuration reference" section').toBeGreaterThan(0);
    const section = readme.slice(start + 1, readme.indexOf("\n## ", start + 1));
    return section
        .split("\n")
        .filter((line) => line.startsWith("| `"))
        .map((line) => {
            const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
            return { keys: [...cells[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]), default: cells[3] };
        });
}

const keys = schemaKeys(platformSchema, "");
const rows = referenceRows();

describe("README's configuration reference", () => {
    it("walks the schema into nested keys (the walk itself)", () => {
        const paths = keys.map((key) => key.path);
        for (const nested of ["network.ports.sessionPool", "backup.retention.fullDays", "pooler.session.maxClientConn", "aws.proxy.maxConnectionsPercent"]) {
            expect(paths).toContain(nested);
        }
        expect(keys.find((key) => key.path === "network.ports.sessionPool")?.default).toEqual({ value: 6433 });
    });

    it("has a row for every key of the schema, by its full path", () => {
        const documented = new Set(rows.flatMap((row) => row.keys));
        expect(keys.map((key) => key.path).filter((key) => !documented.has(key))).toEqual([]);
    });

    it("names no key the schema does not have", () => {
        const known = new Set(keys.map((key) => key.path));
        expect(rows.flatMap((row) => row.keys).filter((key) => !known.has(key))).toEqual([]);
    });

    it("states each key's default as the schema applies it", () => {
        const wrong: string[] = [];
        for (const row of rows) {
            for (const name of row.keys) {
                const key = keys.find((candidate) => candidate.path === name);
                if (key?.default === undefined) continue;
                const expected = `\`${formatDefault(key.default.value)}\``;
                if (!row.default.includes(expected)) wrong.push(`${name}: default cell "${row.default}" lacks ${expected}`);
            }
        }
        expect(wrong).toEqual([]);
    });

    it("states each production-dependent default from the one table, and no other", () => {
        const wrong: string[] = [];
        for (const row of rows) {
            for (const name of row.keys) {
                if (name in PRODUCTION_DEFAULTS) {
                    const cell = productionCell(name as ProductionDependentKey);
                    if (!row.default.includes(cell)) wrong.push(`${name}: default cell "${row.default}" lacks ${cell}`);
                } else if (row.default.includes("in production")) {
                    wrong.push(`${name}: says "in production" but is not in PRODUCTION_DEFAULTS`);
                }
            }
        }
        expect(wrong).toEqual([]);
        // Such a key has no schema default: the plans apply the table's.
        for (const name of Object.keys(PRODUCTION_DEFAULTS)) expect(keys.find((key) => key.path === name)?.default, name).toBeUndefined();
    });
});

describe("Pulumi.yaml's descriptions", () => {
    const project = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, { type?: string; description: string }>;
    };

    it("name every nested key of each object they declare", () => {
        const missing: string[] = [];
        for (const [top, declaration] of Object.entries(project.config)) {
            if (declaration.type !== undefined) continue;
            const words = new Set(declaration.description.split(/[^A-Za-z0-9]+/));
            for (const key of keys.filter((candidate) => candidate.path.startsWith(`${top}.`))) {
                const unnamed = key.path
                    .split(".")
                    .slice(1)
                    .filter((segment) => !words.has(segment));
                if (unnamed.length > 0) missing.push(`${key.path} (${unnamed.join(", ")})`);
            }
        }
        expect(missing).toEqual([]);
    });
});
