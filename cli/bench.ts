// `npm run bench -- [--rounds 3] [--seconds 5] [--clients 16] [--version 18]`: pgbench through
// the rendered PgBouncer transaction pool versus straight to PostgreSQL, side by side in one
// run, interleaved over rounds so machine noise hits both alike. Prints tps and ratios; it
// asserts nothing (figures vary ±20 % run to run on small machines: compare within a run).
import * as path from "node:path";
import { parseArgs } from "node:util";
import { databaseRole } from "../components/platform/constants";
import { PG_BIN, run, stopAll } from "./local/processes";
import { bootPrimary, startPgbouncer, testSpec } from "./local/stack";

const PGBENCH = path.join(PG_BIN[15], "pgbench");

/** One measured pgbench run. */
export interface BenchRow {
    /** `direct` or `pooled`. */
    readonly path: "direct" | "pooled";
    /** `new connection per transaction` (-C) or `persistent`. */
    readonly connections: "per-transaction" | "persistent";
    /** Round number, from 1. */
    readonly round: number;
    /** Transactions per second pgbench reported. */
    readonly tps: number;
}

/** Reads the tps figure from pgbench's report. */
export function parseTps(output: string): number {
    const match = /tps = ([\d.]+)/.exec(output);
    if (!match) throw new Error(`pgbench printed no tps:\n${output}`);
    return Number(match[1]);
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The report: every row, then per connection style the medians and the pooled/direct ratio. */
export function formatReport(rows: readonly BenchRow[], settings: { clients: number; seconds: number; version: number }): string {
    const lines = [
        `pgbench -S (select-only), ${settings.clients} clients, ${settings.seconds} s per run, SCRAM, PostgreSQL ${settings.version}, PgBouncer transaction pool`,
        "",
        "round  connections       direct tps   pooled tps   pooled/direct",
    ];
    const styles = ["per-transaction", "persistent"] as const;
    const rounds = [...new Set(rows.map((r) => r.round))];
    for (const round of rounds) {
        for (const style of styles) {
            const direct = rows.find((r) => r.round === round && r.connections === style && r.path === "direct");
            const pooled = rows.find((r) => r.round === round && r.connections === style && r.path === "pooled");
            if (!direct || !pooled) continue;
            lines.push(`${String(round).padEnd(7)}${style.padEnd(18)}${direct.tps.toFixed(0).padStart(10)}   ${pooled.tps.toFixed(0).padStart(10)}   ${(pooled.tps / direct.tps).toFixed(2).padStart(13)}`);
        }
    }
    lines.push("", "median over rounds:");
    for (const style of styles) {
        const direct = median(rows.filter((r) => r.connections === style && r.path === "direct").map((r) => r.tps));
        const pooled = median(rows.filter((r) => r.connections === style && r.path === "pooled").map((r) => r.tps));
        lines.push(`  ${style.padEnd(16)} direct ${direct.toFixed(0)} tps, pooled ${pooled.toFixed(0)} tps, ratio ${(pooled / direct).toFixed(2)}`);
    }
    return lines.join("\n");
}

/** Boots PostgreSQL and the transaction pool from the rendered files and measures both paths. */
export async function bench(options: { rounds: number; seconds: number; clients: number; version: 15 | 18 }): Promise<BenchRow[]> {
    const spec = testSpec(options.version, {
        topology: "primary",
        // Room for every benchmark client on both paths.
        pooler: { transaction: { defaultPoolSize: options.clients, maxClientConn: options.clients * 4 } },
    });
    const booted = await bootPrimary(spec);
    const pool = await startPgbouncer(booted, "transaction");
    const database = spec.postgres.databases[0].name;
    const login = (role: string) => ({ PGUSER: role, PGPASSWORD: booted.secrets.passwords[role], PGHOST: "127.0.0.1", PGDATABASE: database });
    const owner = databaseRole(database, "migrate");
    const app = databaseRole(database, "readwrite");
    const init = await run(PGBENCH, ["-i", "-s", "1", "-q", "-p", String(booted.server.port)], { unprivileged: false, env: login(owner) });
    if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);

    const rows: BenchRow[] = [];
    for (let round = 1; round <= options.rounds; round++) {
        for (const connections of ["per-transaction", "persistent"] as const) {
            for (const [name, port] of [["direct", booted.server.port], ["pooled", pool.port]] as const) {
                const args = ["-S", "-n", "-c", String(options.clients), "-j", "2", "-T", String(options.seconds), "-p", String(port)];
                if (connections === "per-transaction") args.push("-C");
                const result = await run(PGBENCH, args, { unprivileged: false, env: login(app), timeoutMs: (options.seconds + 30) * 1000 });
                if (result.code !== 0) throw new Error(`pgbench (${name}, ${connections}) failed: ${result.stderr}`);
                rows.push({ path: name, connections, round, tps: parseTps(result.stdout) });
            }
        }
    }
    return rows;
}

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            rounds: { type: "string", default: "3" },
            seconds: { type: "string", default: "5" },
            clients: { type: "string", default: "16" },
            version: { type: "string", default: "18" },
        },
    });
    const settings = { rounds: Number(values.rounds), seconds: Number(values.seconds), clients: Number(values.clients), version: Number(values.version) };
    const bad = Object.entries(settings).filter(([key, value]) => !Number.isInteger(value) || value < 1 || (key === "rounds" && value > 10) || (key === "seconds" && value > 60) || (key === "clients" && value > 64));
    if (bad.length > 0 || (settings.version !== 15 && settings.version !== 18)) {
        console.error("usage: npm run bench -- [--rounds 1..10] [--seconds 1..60] [--clients 1..64] [--version 15|18]");
        return 2;
    }
    try {
        const rows = await bench({ ...settings, version: settings.version as 15 | 18 });
        console.log(formatReport(rows, settings));
        return 0;
    } finally {
        await stopAll();
    }
}

if (require.main === module) {
    main().then((code) => process.exit(code), (error: unknown) => {
        console.error(error);
        void stopAll().finally(() => process.exit(1));
    });
}
