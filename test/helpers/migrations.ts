/**
 * node-pg-migrate, a real migration tool from the npm registry, run as its users run it: its
 * own CLI in a child process, the database URL in `DATABASE_URL`, plain SQL migration files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { scratchDir } from "../../cli/local/processes";

/** The CLI's entry point in node_modules. */
export const NODE_PG_MIGRATE = path.resolve(__dirname, "../../node_modules/node-pg-migrate/bin/node-pg-migrate.js");

/** The lock node-pg-migrate takes (its default `--lock-value`): a session-level advisory lock. */
export const MIGRATION_LOCK = "7241865325823964";

/**
 * A folder of migrations, file name → content. A `.sql` file's content is its up step (the
 * markers are added); any other file (`.cjs`) is written as given.
 */
export function migrationsDir(migrations: Readonly<Record<string, string>>): string {
    const dir = scratchDir("migrations");
    for (const [name, content] of Object.entries(migrations)) {
        const file = path.extname(name) ? name : `${name}.sql`;
        fs.writeFileSync(path.join(dir, file), file.endsWith(".sql") ? `-- Up Migration\n${content}\n-- Down Migration\n` : content);
    }
    // The tool reads them as the test's user; the folder is the service user's (0700).
    fs.chmodSync(dir, 0o755);
    return dir;
}

/**
 * A JavaScript migration that waits `ms` before it sends anything, outside any transaction
 * (run with `--no-single-transaction`): a client that is idle while holding the tool's lock,
 * as one is between its lock and its first statement.
 */
export function idleThenCreate(ms: number, table: string): string {
    return `exports.up = async (pgm) => {\n    await new Promise((resolve) => setTimeout(resolve, ${ms}));\n    pgm.sql("CREATE TABLE ${table} (id int)");\n};\n`;
}

/** A run of `node-pg-migrate up`. */
export interface MigrationRun {
    /** The child process (to kill it mid-migration). */
    readonly child: ChildProcess;
    /** Resolves with its exit code and everything it printed. */
    readonly done: Promise<{ code: number | null; output: string }>;
}

/** Starts `node-pg-migrate up` against `url` with the migrations in `dir`. */
export function startMigration(url: string, dir: string, extraArgs: readonly string[] = []): MigrationRun {
    const child = spawn(process.execPath, [NODE_PG_MIGRATE, "up", "-m", dir, "--no-verbose", ...extraArgs], {
        env: { ...process.env, DATABASE_URL: url },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const done = new Promise<{ code: number | null; output: string }>((resolve) => {
        child.once("close", (code) => {
            clearTimeout(timer);
            resolve({ code, output });
        });
    });
    return { child, done };
}

/** Runs `node-pg-migrate up` to the end. */
export function migrate(url: string, dir: string, extraArgs: readonly string[] = []): Promise<{ code: number | null; output: string }> {
    return startMigration(url, dir, extraArgs).done;
}
