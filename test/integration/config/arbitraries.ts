// fast-check arbitraries for the property tests of issue 17: setting values as people and
// attackers write them, and stack configurations mixing names that must work with ones that
// must be refused.
import fc from "fast-check";
import { catalogueFor, type CatalogueEntry } from "../../../components/config/parameters";
import { acceptedUnits } from "../../../components/platform/setting-values";
import type { TestPgVersion } from "../../../cli/local/postgres";

/** Settings whose pg_settings.setting is the OS's value when 0 (a show hook), not what was set. */
export const SHOWN_DIFFERENTLY = new Set(["tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count", "tcp_user_timeout"]);

/** Values as people (and attackers) write them: numbers with units in any case, spacing, signs, bases, spellings. */
export function valueFor(entry: CatalogueEntry): fc.Arbitrary<string> {
    const units = entry.unit ? acceptedUnits(entry.unit) : [];
    const unit = fc.oneof(
        fc.constant(""),
        fc.constantFrom(...(units.length ? units : ["ms"])),
        fc.constantFrom("mb", "MB", "kb", "Gb", "min", "s", "h", "d", "us", "B", "TB", "x", "MBs"),
    );
    const number = fc.oneof(
        fc.integer({ min: -3, max: 5000 }).map(String),
        fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }).map(String),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }).map((n) => String(Math.round(n * 1000) / 1000)),
        fc.constantFrom(
            "0",
            "-1",
            "010",
            "08",
            "0x10",
            "0X1f",
            "1e3",
            "1.5e2",
            ".5",
            "5.",
            "-0",
            "+7",
            "1e400",
            "inf",
            "-Infinity",
            "nan",
            "0x",
            "2147483648",
            "-2147483649",
            "9999999999",
        ),
    );
    const spaced = fc.tuple(fc.constantFrom("", " "), number, fc.constantFrom("", " ", "  "), unit, fc.constantFrom("", " ")).map((parts) => parts.join(""));
    const words = fc.constantFrom("on", "off", "ON", "Off", "true", "t", "tr", "false", "f", "yes", "y", "no", "n", "o", "of", "1", "0", "", "maybe", "onn");
    const enums = entry.values?.length
        ? fc.constantFrom(...entry.values).chain((v) => fc.constantFrom(v, v.toUpperCase(), `${v} `, `${v}x`))
        : fc.constant("x");
    return fc.oneof(spaced, words, enums, fc.string({ maxLength: 6 }));
}

const KEYWORDS = ["select", "user", "all", "replication", "order", "group", "table", "default", "sameuser", "samerole", "analyse", "window"];
const RESERVED = ["postgres", "template1", "pgbouncer", "pg_x", "public", "current_user", "replicator"];
/** Mostly names that must work (plain or SQL / pg_hba.conf keywords, quoted), sometimes ones that must be refused. */
const identifier = fc.oneof(
    { weight: 6, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/) },
    { weight: 3, arbitrary: fc.constantFrom(...KEYWORDS) },
    { weight: 1, arbitrary: fc.constantFrom(...RESERVED, "App", "a-b", "", "__proto__", "x".repeat(60)) },
);

/** A few settings of each kind the server takes at start without resources the test machine may lack. */
const PARAMETERS = [
    "jit",
    "random_page_cost",
    "seq_page_cost",
    "log_min_duration_statement",
    "log_temp_files",
    "default_statistics_target",
    "synchronous_commit",
    "checkpoint_timeout",
    "work_mem",
    "maintenance_work_mem",
    "log_autovacuum_min_duration",
    "autovacuum_naptime",
    "track_io_timing",
    "log_statement",
    "max_slot_wal_keep_size",
    // (Not wal_compression: its methods depend on the build, and the 18.4 here has no lz4 or zstd.)
    "ssl_min_protocol_version",
    "pgaudit.log",
    "auto_explain.log_analyze",
    "pg_stat_statements.track",
    "vacuum_cost_limit",
    "geqo_threshold",
    "commit_delay",
];

/** Names the config must refuse outright. */
const BAD_PARAMETERS = ["shared_bufers", "include", "include_dir", "block_size", "password_encryption"];

/** A value inside the setting's range, written plainly. */
function validValueFor(entry: CatalogueEntry): fc.Arbitrary<string | number | boolean> {
    switch (entry.type) {
        case "bool":
            return fc.oneof(fc.boolean(), fc.constantFrom("on", "off", "true", "false", "yes", "no"));
        case "enum":
            return fc.constantFrom(...(entry.values ?? ["x"]));
        case "integer":
            return fc.integer({ min: Math.max(entry.min ?? 0, -1), max: Math.min(entry.max ?? 100_000, 100_000) });
        case "real":
            return fc.double({ min: Math.max(entry.min ?? 0, 0), max: Math.min(entry.max ?? 1000, 1000), noNaN: true }).map((n) => Math.round(n * 100) / 100);
        default:
            return fc.constant("x");
    }
}

export function stackArbitrary(version: TestPgVersion): fc.Arbitrary<Record<string, unknown>> {
    const available =
        version === 15 ? ["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit", "pg_trgm"] : ["pg_stat_statements", "auto_explain", "pg_trgm"];
    const entries = catalogueFor(version).parameters;
    const parameter = fc
        .oneof({ weight: 6, arbitrary: fc.constantFrom(...PARAMETERS) }, { weight: 1, arbitrary: fc.constantFrom(...BAD_PARAMETERS) })
        .chain((name) => {
            const entry = entries.get(name);
            const value: fc.Arbitrary<unknown> = entry
                ? fc.oneof({ weight: 4, arbitrary: validValueFor(entry) }, { weight: 1, arbitrary: valueFor(entry) })
                : fc.constantFrom("1", "ddl,role", "ddl,foo", "/etc/x");
            return value.map((v) => [name, v] as const);
        });
    return fc
        .record({
            topology: fc.constantFrom("single", "primary", "primary"),
            extensions: fc.subarray(available),
            databases: fc.uniqueArray(identifier, { minLength: 1, maxLength: 3 }),
            roles: fc.uniqueArray(fc.record({ name: identifier, access: fc.constantFrom("migrate", "readwrite", "readonly") }), {
                maxLength: 2,
                selector: (r) => r.name,
            }),
            hba: fc.array(
                fc.record({
                    user: fc.oneof(
                        { weight: 3, arbitrary: fc.constant("all") },
                        { weight: 3, arbitrary: fc.constant("<app>") },
                        { weight: 1, arbitrary: identifier },
                    ),
                    address: fc.oneof(
                        { weight: 6, arbitrary: fc.constantFrom("10.0.0.0/8", "192.168.0.0/16", "0.0.0.0/1", "::1/128", "fd00::/8", "0.0.0.0/0") },
                        { weight: 1, arbitrary: fc.constantFrom("10.0.0.0/33", "samenet", "all") },
                    ),
                    method: fc.constantFrom("scram-sha-256", "scram-sha-256", "reject", "md5"),
                }),
                { maxLength: 2 },
            ),
            parameters: fc.array(parameter, { maxLength: 3 }),
            tls: fc.boolean(),
        })
        .map((s) => ({
            // The platform builds 18; a stack on another major names a digest-pinned image of it.
            ...(version === 18 ? {} : { image: { prebuilt: `registry.example.test/postgres-${version}@sha256:${"0".repeat(64)}` } }),
            topology: s.topology,
            postgres: {
                version,
                extensions: s.extensions,
                databases: s.databases.map((name) => ({ name })),
                roles: s.roles.map((role) => ({ ...role, database: s.databases[0] })),
                hba: s.hba.map((rule) => ({
                    type: "host",
                    database: s.databases[0],
                    ...rule,
                    user: rule.user === "<app>" ? `${s.databases[0]}_app` : rule.user,
                })),
                parameters: Object.fromEntries(s.parameters),
                tls: { enabled: s.tls },
            },
        }));
}
