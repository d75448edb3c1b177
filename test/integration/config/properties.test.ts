// Property-based proofs of issue 17 (fast-check), on real servers:
//
// 1. PostgreSQL's own reading of a value: for random values of every integer, real, bool and
//    enum setting a session can SET, platform/setting-values.ts accepts exactly what the server
//    accepts, and reads the same number, in the base unit (PostgreSQL 15 and 18).
// 2. Generated stack configurations: each is either refused with a named key (exit 2's
//    `pg-platform:<key>:` lines, never another error), or its rendered files are accepted by the
//    real server (postgresql.conf and pg_hba.conf at start, the init SQL through psql), by real
//    PgBouncer 1.18 (it starts on the rendered pgbouncer.ini and serves a login to the first
//    database), and by the policy gate (no mandatory violation but the md5 rule it must name).
//
// Bounded: PROPERTY_RUNS (default 2000 values per major; 12 stacks per major) and a time limit.
import fc from "fast-check";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseSpec, type PlatformSpec } from "../../../components/config";
import { catalogueFor, parameterText, valueCheckProblem, type CatalogueEntry } from "../../../components/config/parameters";
import { parseSettingValue } from "../../../components/platform/setting-values";
import { SHOWN_DIFFERENTLY, stackArbitrary, valueFor } from "./arbitraries";
import { runProgram } from "../../../components/program";
import { runPolicies } from "../../../policies/offline";
import { gateResource } from "../../../cli/check";
import { runUnderMocks } from "../../../cli/offline/harness";
import { initCluster, startPostgres, type PgServer, type TestPgVersion } from "../../../cli/local/postgres";
import { stopAll } from "../../../cli/local/processes";
import { bootPrimary, queryAs, startPgbouncer } from "../../../cli/local/stack";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 0);
const VALUE_RUNS = RUNS || 2000;
const STACK_RUNS = RUNS ? Math.max(2, Math.round(RUNS / 150)) : 12;
const MAJORS: readonly TestPgVersion[] = [15, 18];

afterAll(stopAll);

// ---- 1. the value parser against the server -------------------------------------------------

/**
 * Settings a session can SET whose value the parser must judge (strings have check hooks it
 * does not model), described by the running server's own pg_settings: enum values depend on
 * the build (lz4, io_uring), and this compares the parser, not two builds.
 */
async function settableSettings(client: Client): Promise<[string, CatalogueEntry][]> {
    // Check hooks beyond the catalogue's range: the OS stack limit, transaction-scoped settings.
    // And settings that end the probing session or its next query (a 1 ms timeout, exit_on_error).
    const skip = new Set([
        "max_stack_depth",
        "transaction_isolation",
        "transaction_read_only",
        "transaction_deferrable",
        "default_transaction_isolation",
        "session_authorization",
        "role",
        "temp_buffers",
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "idle_session_timeout",
        "transaction_timeout",
        "exit_on_error",
    ]);
    const rows = await client.query<{
        name: string;
        vartype: CatalogueEntry["type"];
        unit: string | null;
        min_val: string | null;
        max_val: string | null;
        enumvals: string[] | null;
        context: string;
    }>("SELECT name, vartype, unit, min_val, max_val, enumvals, context FROM pg_catalog.pg_settings");
    return rows.rows
        .filter((row) => (row.context === "user" || row.context === "superuser") && row.vartype !== "string" && !skip.has(row.name) && !row.name.includes("."))
        .map((row) => [
            row.name,
            {
                type: row.vartype,
                context: row.context,
                unit: row.unit,
                min: row.min_val === null ? null : Number(row.min_val),
                max: row.max_val === null ? null : Number(row.max_val),
                values: row.enumvals,
            },
        ]);
}

/** The server's verdict on `name = text` for this session: its setting in the base unit, or refused. */
async function serverReads(client: Client, name: string, text: string): Promise<{ ok: true; setting: string } | { ok: false }> {
    await client.query("SAVEPOINT probe");
    try {
        await client.query("SELECT pg_catalog.set_config($1, $2, true)", [name, text]);
        const row = await client.query<{ setting: string }>("SELECT setting FROM pg_catalog.pg_settings WHERE name = $1", [name]);
        await client.query("ROLLBACK TO SAVEPOINT probe");
        return { ok: true, setting: row.rows[0].setting };
    } catch {
        await client.query("ROLLBACK TO SAVEPOINT probe");
        return { ok: false };
    }
}

function sameValue(entry: CatalogueEntry, parsed: boolean | number | string, setting: string): boolean {
    if (entry.type === "bool") return (parsed ? "on" : "off") === setting;
    // An on/off alias may be stored as what it stands for (wal_compression = on is pglz).
    if (entry.type === "enum") return String(parsed).toLowerCase() === setting.toLowerCase() || parsed === "on" || parsed === "off";
    if (entry.type === "integer") return Number(setting) === parsed;
    const n = Number(setting);
    // pg_settings shows reals with six significant digits (%g).
    return Math.abs(n - (parsed as number)) <= Math.abs(n) * 1e-5 + 1e-9;
}

describe.each(MAJORS)("the value parser reads settings as PostgreSQL %i does", (version) => {
    let server: PgServer;
    let client: Client;

    beforeAll(async () => {
        const cluster = await initCluster({ version });
        server = await startPostgres({ version, ...cluster });
        client = new Client(server.clientConfig());
        await client.connect();
        await client.query("BEGIN");
    });
    afterAll(async () => {
        await client?.end();
        await server?.stop();
    });

    it(`agrees with the server on ${VALUE_RUNS} random values of every settable integer, real, bool and enum setting`, async () => {
        const settings = await settableSettings(client);
        expect(settings.length).toBeGreaterThan(140);
        const sample = fc.constantFrom(...settings).chain(([name, entry]) => valueFor(entry).map((text) => ({ name, entry, text })));
        await fc.assert(
            fc.asyncProperty(sample, async ({ name, entry, text }) => {
                // The config layer's verdict (the parser plus the check hooks it models), and the value it reads.
                const ours = parseSettingValue(text, entry);
                const hook = ours.ok ? valueCheckProblem(name, text, ours.value) : undefined;
                const theirs = await serverReads(client, name, text);
                const verdict = `${name} = ${JSON.stringify(text)}: ours ${JSON.stringify(hook ?? ours)}, server ${JSON.stringify(theirs)}`;
                expect(ours.ok && hook === undefined, verdict).toBe(theirs.ok);
                if (ours.ok && theirs.ok && !SHOWN_DIFFERENTLY.has(name)) expect(sameValue(entry, ours.value, theirs.setting), verdict).toBe(true);
            }),
            { numRuns: VALUE_RUNS, interruptAfterTimeLimit: 240_000 },
        );
    });
});

// ---- 2. generated stacks: refused with a key, or accepted by server, PgBouncer and gate -------

/** The rules the gate must pass on a rendered stack, save the one a generated md5 rule must trip. */
async function mandatoryViolations(spec: PlatformSpec, raw: Record<string, unknown>): Promise<string[]> {
    const config = Object.fromEntries(Object.entries(raw).map(([key, value]) => [`pg-platform:${key}`, JSON.stringify(value)]));
    const run = await runUnderMocks(runProgram, { project: "pg-platform", stack: "property", config });
    const violations = await runPolicies(run.resources.map(gateResource), {});
    const md5 = spec.postgres.hba.some((rule) => rule.method === "md5");
    return violations.filter((v) => v.level === "mandatory" && !(md5 && v.policy === "scram-only-auth")).map((v) => `${v.policy}: ${v.message}`);
}

describe.each(MAJORS)("generated stacks on PostgreSQL %i: refused with a key, or accepted by the server, PgBouncer and the gate", (version) => {
    it(`holds for ${STACK_RUNS} generated stacks`, async () => {
        let accepted = 0;
        await fc.assert(
            fc.asyncProperty(stackArbitrary(version), async (raw) => {
                const refusedWithKey = (error: unknown) => {
                    expect(error).toBeInstanceOf(ConfigError);
                    for (const line of (error as ConfigError).problems) expect(line).toMatch(/^pg-platform:[\w.-]+: /);
                };
                let spec: PlatformSpec;
                try {
                    spec = parseSpec(raw);
                } catch (error) {
                    refusedWithKey(error);
                    return;
                }
                // The gate, on the stack as the program deploys it (Docker, the target these files
                // ship on); the target's own refusals (before any resource) count as refusals too.
                let violations: string[];
                try {
                    violations = await mandatoryViolations(spec, raw);
                } catch (error) {
                    refusedWithKey(error);
                    return;
                }
                accepted++;
                expect(violations).toEqual([]);
                // The server: rendered postgresql.conf and pg_hba.conf at start, the init SQL applied.
                const booted = await bootPrimary(spec);
                try {
                    for (const [name, value] of Object.entries(spec.postgres.parameters)) {
                        const shown = await booted.server.query<{ setting: string }>("SELECT setting FROM pg_catalog.pg_settings WHERE name = $1", [name]);
                        const entry = catalogueFor(version).parameters.get(name);
                        const parsed = entry ? parseSettingValue(parameterText(value), entry) : undefined;
                        if (parsed?.ok && shown[0])
                            expect(sameValue(entry as CatalogueEntry, parsed.value, shown[0].setting), `${name} = ${String(value)}`).toBe(true);
                    }
                    // PgBouncer: starts on the rendered ini (startPgbouncer waits for its port) and
                    // serves the first database to its app role, unless a generated reject rule
                    // closes 127.0.0.1 to it, as it then must.
                    if (spec.topology === "primary" && spec.pooler.enabled && !spec.postgres.tls.enabled) {
                        const pool = await startPgbouncer(booted, "transaction");
                        if (!spec.postgres.hba.some((rule) => rule.method === "reject")) {
                            const database = spec.postgres.databases[0].name;
                            const user = `${database}_app`;
                            const rows = await queryAs<{ db: string }>(
                                { user, password: booted.secrets.passwords[user], port: pool.port, database },
                                "SELECT current_database() AS db",
                            );
                            expect(rows[0].db).toBe(database);
                        }
                        await pool.process.stop();
                    }
                } finally {
                    await booted.server.stop();
                }
            }),
            { numRuns: STACK_RUNS, interruptAfterTimeLimit: 300_000, endOnFailure: true },
        );
        // The generator is not all refusals: some stacks reach the real programs.
        console.log(`PostgreSQL ${version}: ${accepted} of ${STACK_RUNS} generated stacks accepted and run on the real programs`);
        expect(accepted).toBeGreaterThan(0);
    }, 600_000);
});
