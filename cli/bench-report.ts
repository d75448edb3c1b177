// The pure half of `npm run bench`: statistics over the measured rows, the printed report, the
// JSON document and the SVG plot of the ratios. No process is started here.

/** How clients reach PostgreSQL in one measurement. */
export type BenchPath = "direct" | "relay" | "pool-auth-query" | "pool-verifiers";

/** pgbench's connection style: a new connection per transaction (`-C`) or one per client. */
export type ConnectionStyle = "per-transaction" | "persistent";

/** One measured endpoint: a path, for pools the PgBouncer version. */
export interface BenchTarget {
    /** Stable id, e.g. `pool-verifiers@1.18`. */
    readonly id: string;
    /** How clients reach the server. */
    readonly path: BenchPath;
    /** PgBouncer's version for a pool (`1.18`, `1.26`…). */
    readonly pgbouncer?: string;
}

/** One pgbench run. */
export interface BenchRow {
    /** {@link BenchTarget.id}. */
    readonly target: string;
    /** TLS between client and server (and pool and server). */
    readonly tls: boolean;
    /** Connection style. */
    readonly connections: ConnectionStyle;
    /** Round, from 1. */
    readonly round: number;
    /** Transactions per second. */
    readonly tps: number;
    /** Average latency pgbench reported, ms. */
    readonly latencyMs: number;
}

/** Reads tps and average latency from pgbench's report. */
export function parsePgbench(output: string): { tps: number; latencyMs: number } {
    const tps = /tps = ([\d.]+)/.exec(output);
    const latency = /latency average = ([\d.]+) ms/.exec(output);
    if (!tps) throw new Error(`pgbench printed no tps:\n${output}`);
    return { tps: Number(tps[1]), latencyMs: latency ? Number(latency[1]) : Number.NaN };
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
    if (values.length === 0) throw new Error("median of nothing");
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0..100), nearest rank, of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
    if (values.length === 0) throw new Error("percentile of nothing");
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1];
}

/** Median and spread (lowest, highest) of a figure over the rounds. */
export interface Spread {
    readonly median: number;
    readonly min: number;
    readonly max: number;
}

const spread = (values: readonly number[]): Spread => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });

/** One target against direct, for one TLS setting and connection style. */
export interface Comparison {
    readonly target: string;
    readonly tls: boolean;
    readonly connections: ConnectionStyle;
    /** The target's tps over the rounds. */
    readonly tps: Spread;
    /** Direct tps over the same rounds. */
    readonly directTps: Spread;
    /** target/direct per round (each round compares runs minutes apart at most). */
    readonly ratio: Spread;
}

/** Every target against direct, per TLS setting and connection style, in the order measured. */
export function compare(rows: readonly BenchRow[]): Comparison[] {
    const comparisons: Comparison[] = [];
    const keys = [...new Set(rows.map((r) => `${r.tls}|${r.connections}`))];
    for (const key of keys) {
        const group = rows.filter((r) => `${r.tls}|${r.connections}` === key);
        const direct = new Map(group.filter((r) => r.target === "direct").map((r) => [r.round, r.tps]));
        if (direct.size === 0) continue;
        for (const target of [...new Set(group.map((r) => r.target))].filter((t) => t !== "direct")) {
            const measured = group.filter((r) => r.target === target && direct.has(r.round));
            if (measured.length === 0) continue;
            comparisons.push({
                target,
                tls: group[0].tls,
                connections: group[0].connections,
                tps: spread(measured.map((r) => r.tps)),
                directTps: spread(measured.map((r) => direct.get(r.round) as number)),
                ratio: spread(measured.map((r) => r.tps / (direct.get(r.round) as number))),
            });
        }
    }
    return comparisons;
}

/** The capacity run: many clients at once against a server with few connections. */
export interface CapacityResult {
    /** `pool-verifiers@1.18` or `direct`. */
    readonly target: string;
    /** Clients started at once. */
    readonly clients: number;
    /** The server's max_connections. */
    readonly maxConnections: number;
    /** Seconds each connected client ran queries. */
    readonly seconds: number;
    /** Clients that connected. */
    readonly connected: number;
    /** Connection attempts refused, by error message. */
    readonly refused: Readonly<Record<string, number>>;
    /** Queries that failed after connecting. */
    readonly queryErrors: number;
    /** Queries completed. */
    readonly queries: number;
    /** Per-query latency in ms, when any completed. */
    readonly latencyMs?: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
    /** Connection time in ms, when any connected. */
    readonly connectMs?: { readonly p50: number; readonly p95: number; readonly p99: number };
}

/** What the run measured with, for the report and the JSON file. */
export interface BenchSettings {
    readonly rounds: number;
    readonly seconds: number;
    readonly clients: number;
    readonly version: number;
    readonly tls: readonly boolean[];
    readonly targets: readonly BenchTarget[];
    /** Why a PgBouncer version was not measured, if one was skipped. */
    readonly skipped: readonly string[];
    /** Machine facts: cores, PgBouncer and PostgreSQL versions. */
    readonly machine: Readonly<Record<string, string | number>>;
}

/** Human name of a target. */
export function targetLabel(target: string): string {
    const [pathName, version] = target.split("@");
    const names: Record<string, string> = {
        direct: "direct",
        relay: "bare TCP relay",
        "pool-auth-query": "pool, auth_query",
        "pool-verifiers": "pool, verifiers",
    };
    return `${names[pathName] ?? pathName}${version ? ` (PgBouncer ${version})` : ""}`;
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);
const groupLabel = (tls: boolean, connections: ConnectionStyle) =>
    `TLS ${tls ? "on" : "off"}, ${connections === "per-transaction" ? "new connection per transaction (-C)" : "persistent connections"}`;

/** The printed report: settings, every comparison (medians, spread, ratios), the capacity runs. */
export function formatReport(settings: BenchSettings, rows: readonly BenchRow[], capacity: readonly CapacityResult[]): string {
    const lines = [
        `pgbench -S (select-only), ${settings.clients} clients, ${settings.seconds} s per run, ${settings.rounds} interleaved rounds, SCRAM, PostgreSQL ${settings.version}`,
        `machine: ${Object.entries(settings.machine)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}`,
        ...settings.skipped.map((reason) => `not measured: ${reason}`),
    ];
    for (const tls of settings.tls) {
        for (const connections of ["per-transaction", "persistent"] as const) {
            const group = compare(rows).filter((c) => c.tls === tls && c.connections === connections);
            if (group.length === 0) continue;
            lines.push("", `${groupLabel(tls, connections)}: median tps [min-max] and ratio to direct (median of per-round ratios [min-max])`);
            lines.push(
                `  ${"direct".padEnd(36)} ${fixed(group[0].directTps.median).padStart(8)} tps [${fixed(group[0].directTps.min)}-${fixed(group[0].directTps.max)}]`,
            );
            for (const c of group) {
                lines.push(
                    `  ${targetLabel(c.target).padEnd(36)} ${fixed(c.tps.median).padStart(8)} tps [${fixed(c.tps.min)}-${fixed(c.tps.max)}]  ratio ${fixed(c.ratio.median, 2)} [${fixed(c.ratio.min, 2)}-${fixed(c.ratio.max, 2)}]`,
                );
            }
        }
    }
    for (const run of capacity) {
        lines.push(
            "",
            `capacity: ${run.clients} clients at once, ${targetLabel(run.target)}, max_connections ${run.maxConnections}, ${run.seconds} s of SELECT 1 per client`,
        );
        const refused = Object.entries(run.refused);
        lines.push(
            `  connected ${run.connected}, refused ${refused.reduce((n, [, count]) => n + count, 0)}${refused.length ? ` (${refused.map(([message, count]) => `${count}× "${message}"`).join("; ")})` : ""}, query errors ${run.queryErrors}, queries ${run.queries}`,
        );
        if (run.latencyMs)
            lines.push(
                `  query latency ms: p50 ${fixed(run.latencyMs.p50, 2)}, p95 ${fixed(run.latencyMs.p95, 2)}, p99 ${fixed(run.latencyMs.p99, 2)}, max ${fixed(run.latencyMs.max, 1)}`,
            );
        if (run.connectMs)
            lines.push(`  connect ms: p50 ${fixed(run.connectMs.p50, 1)}, p95 ${fixed(run.connectMs.p95, 1)}, p99 ${fixed(run.connectMs.p99, 1)}`);
    }
    return lines.join("\n");
}

/** The JSON document the bench writes: settings, every row, the comparisons, the capacity runs. */
export function benchDocument(
    settings: BenchSettings,
    rows: readonly BenchRow[],
    capacity: readonly CapacityResult[],
    measuredAt: string,
): Record<string, unknown> {
    return { measuredAt, settings, comparisons: compare(rows), capacity, rows };
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Bar colours per target path (pool versions share their path's colour, lighter for the newer). */
const COLOURS: Record<BenchPath, readonly string[]> = {
    relay: ["#9e9e9e"],
    "pool-auth-query": ["#e08a2c", "#f2b36b"],
    "pool-verifiers": ["#2c6fbb", "#6fa3e0"],
    direct: ["#000000"],
};

/**
 * The plot: per TLS setting and connection style, one bar per target with its median ratio to
 * direct and a whisker over the per-round spread; a line at 1 (as fast as direct). Plain SVG,
 * no dependency.
 */
export function renderSvg(settings: BenchSettings, rows: readonly BenchRow[]): string {
    const comparisons = compare(rows);
    const targets = [...new Set(comparisons.map((c) => c.target))];
    const groups = settings.tls
        .flatMap((tls) => (["per-transaction", "persistent"] as const).map((connections) => ({ tls, connections })))
        .filter((g) => comparisons.some((c) => c.tls === g.tls && c.connections === g.connections));
    const width = 960;
    const height = 480;
    const margin = { left: 60, right: 20, top: 70, bottom: 120 };
    const plotW = width - margin.left - margin.right;
    const plotH = height - margin.top - margin.bottom;
    const top = Math.max(1.5, ...comparisons.map((c) => c.ratio.max)) * 1.1;
    const step = top > 4 ? 1 : 0.5;
    const y = (value: number) => margin.top + plotH - (value / top) * plotH;
    const groupW = plotW / Math.max(1, groups.length);
    const barW = Math.min(44, (groupW - 24) / Math.max(1, targets.length));
    const colour = (target: string) => {
        const [pathName, version] = target.split("@");
        const palette = COLOURS[pathName as BenchPath] ?? ["#444444"];
        const versions = [...new Set(targets.filter((t) => t.startsWith(`${pathName}@`)).map((t) => t.split("@")[1]))].sort();
        return palette[Math.min(palette.length - 1, Math.max(0, versions.indexOf(version)))];
    };
    const out: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
        `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
        `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(`Throughput relative to direct connections (pgbench -S, ${settings.clients} clients, PostgreSQL ${settings.version}, SCRAM)`)}</text>`,
        `<text x="${width / 2}" y="40" text-anchor="middle" fill="#555555">${escapeXml(`bars: median of ${settings.rounds} interleaved rounds; whiskers: lowest and highest round; ${settings.machine.cores ?? "?"} cores${settings.machine.loadAverage ? `, load average ${settings.machine.loadAverage}` : ""}`)}</text>`,
    ];
    for (let tick = 0; tick <= top + 1e-9; tick += step) {
        out.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#e5e5e5"/>`);
        out.push(`<text x="${margin.left - 8}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${tick.toFixed(1)}×</text>`);
    }
    out.push(
        `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#000000" stroke-dasharray="6 4"/>`,
    );
    groups.forEach((group, g) => {
        const x0 = margin.left + g * groupW;
        const present = targets.filter((t) => comparisons.some((c) => c.target === t && c.tls === group.tls && c.connections === group.connections));
        const start = x0 + (groupW - present.length * barW) / 2;
        present.forEach((target, i) => {
            const c = comparisons.find((x) => x.target === target && x.tls === group.tls && x.connections === group.connections) as Comparison;
            const x = start + i * barW;
            out.push(
                `<rect x="${(x + 2).toFixed(1)}" y="${y(c.ratio.median).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(y(0) - y(c.ratio.median)).toFixed(1)}" fill="${colour(target)}"><title>${escapeXml(`${targetLabel(target)}: ${c.ratio.median.toFixed(2)}× (${c.ratio.min.toFixed(2)}–${c.ratio.max.toFixed(2)})`)}</title></rect>`,
            );
            const mid = (x + barW / 2).toFixed(1);
            out.push(`<line x1="${mid}" x2="${mid}" y1="${y(c.ratio.min).toFixed(1)}" y2="${y(c.ratio.max).toFixed(1)}" stroke="#222222"/>`);
            for (const v of [c.ratio.min, c.ratio.max])
                out.push(
                    `<line x1="${(x + barW / 2 - 5).toFixed(1)}" x2="${(x + barW / 2 + 5).toFixed(1)}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#222222"/>`,
                );
            out.push(`<text x="${mid}" y="${(y(c.ratio.max) - 4).toFixed(1)}" text-anchor="middle" font-size="11">${c.ratio.median.toFixed(2)}</text>`);
        });
        const label = `TLS ${group.tls ? "on" : "off"}`;
        const sub = group.connections === "per-transaction" ? "new connection per transaction" : "persistent connections";
        out.push(`<text x="${(x0 + groupW / 2).toFixed(1)}" y="${(y(0) + 18).toFixed(1)}" text-anchor="middle" font-weight="bold">${escapeXml(sub)}</text>`);
        out.push(`<text x="${(x0 + groupW / 2).toFixed(1)}" y="${(y(0) + 34).toFixed(1)}" text-anchor="middle">${escapeXml(label)}</text>`);
    });
    // Legend: three entries a row, the dashed line (direct) first.
    const perRow = 3;
    const legendW = (width - margin.left - margin.right) / perRow;
    const legendTop = y(0) + 50;
    const entry = (i: number) => ({ x: margin.left + (i % perRow) * legendW, y: legendTop + Math.floor(i / perRow) * 22 });
    const first = entry(0);
    out.push(
        `<line x1="${first.x.toFixed(1)}" x2="${(first.x + 14).toFixed(1)}" y1="${first.y + 7}" y2="${first.y + 7}" stroke="#000000" stroke-dasharray="4 2"/>`,
    );
    out.push(`<text x="${(first.x + 20).toFixed(1)}" y="${first.y + 12}">direct (= 1×)</text>`);
    targets.forEach((target, i) => {
        const at = entry(i + 1);
        out.push(`<rect x="${at.x.toFixed(1)}" y="${at.y}" width="14" height="14" fill="${colour(target)}"/>`);
        out.push(`<text x="${(at.x + 20).toFixed(1)}" y="${at.y + 12}">${escapeXml(targetLabel(target))}</text>`);
    });
    out.push("</svg>", "");
    return out.join("\n");
}
