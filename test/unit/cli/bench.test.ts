import { describe, expect, it } from "vitest";
import {
    compare,
    formatReport,
    median,
    parsePgbench,
    percentile,
    renderSvg,
    type BenchRow,
    type BenchSettings,
    type CapacityResult,
} from "../../../cli/bench-report";

const settings: BenchSettings = {
    rounds: 3,
    seconds: 5,
    clients: 16,
    version: 18,
    tls: [false, true],
    skipped: [],
    targets: [
        { id: "direct", path: "direct" },
        { id: "pool-verifiers@1.18", path: "pool-verifiers", pgbouncer: "1.18" },
        { id: "relay", path: "relay" },
    ],
    machine: { cores: 2 },
};

/** Three rounds: the pool 3× direct per transaction, 0.8× persistent; the relay persistent only. */
const rows: BenchRow[] = [false, true].flatMap((tls) =>
    [1, 2, 3].flatMap(
        (round) =>
            [
                { target: "direct", tls, connections: "per-transaction", round, tps: 100 * round, latencyMs: 1 },
                { target: "pool-verifiers@1.18", tls, connections: "per-transaction", round, tps: 300 * round, latencyMs: 1 },
                { target: "direct", tls, connections: "persistent", round, tps: 1000, latencyMs: 1 },
                { target: "pool-verifiers@1.18", tls, connections: "persistent", round, tps: 700 + 50 * round, latencyMs: 1 },
                { target: "relay", tls, connections: "persistent", round, tps: 900, latencyMs: 1 },
            ] as const,
    ),
);

describe("bench statistics and report", () => {
    it("reads pgbench's tps and latency", () => {
        expect(
            parsePgbench("number of failed transactions: 0 (0.000%)\nlatency average = 1.6 ms\ntps = 9881.734562 (without initial connection time)\n"),
        ).toEqual({ tps: 9881.734562, latencyMs: 1.6 });
        expect(() => parsePgbench("connection to server failed")).toThrow(/pgbench printed no tps/);
    });

    it("takes medians and nearest-rank percentiles", () => {
        expect(median([3, 1, 2])).toBe(2);
        expect(median([4, 1, 2, 3])).toBe(2.5);
        const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
        expect([percentile(hundred, 50), percentile(hundred, 95), percentile(hundred, 99), percentile(hundred, 100)]).toEqual([50, 95, 99, 100]);
    });

    it("compares every target with direct in the same round: median ratio and its spread", () => {
        const byKey = new Map(compare(rows).map((c) => [`${c.tls}|${c.connections}|${c.target}`, c]));
        expect(byKey.get("false|per-transaction|pool-verifiers@1.18")?.ratio).toEqual({ median: 3, min: 3, max: 3 });
        expect(byKey.get("false|persistent|pool-verifiers@1.18")?.ratio).toEqual({ median: 0.8, min: 0.75, max: 0.85 });
        expect(byKey.get("true|persistent|relay")?.tps).toEqual({ median: 900, min: 900, max: 900 });
        expect(byKey.has("false|per-transaction|relay")).toBe(false);
        expect(compare(rows)).toHaveLength(6);
    });

    it("prints each group with direct first and the capacity runs with their refusals", () => {
        const capacity: CapacityResult[] = [
            {
                target: "pool-verifiers@1.18",
                clients: 1000,
                maxConnections: 100,
                seconds: 15,
                connected: 1000,
                refused: {},
                queryErrors: 0,
                queries: 50_000,
                latencyMs: { p50: 10, p95: 20, p99: 30, max: 40 },
                connectMs: { p50: 1, p95: 2, p99: 3 },
            },
            {
                target: "direct",
                clients: 1000,
                maxConnections: 100,
                seconds: 15,
                connected: 97,
                refused: { "sorry, too many clients already": 903 },
                queryErrors: 0,
                queries: 9000,
            },
        ];
        const report = formatReport(settings, rows, capacity);
        expect(report).toMatch(
            /TLS off, new connection per transaction \(-C\)[^\n]*\n {2}direct +200 tps \[100-300\]\n {2}pool, verifiers \(PgBouncer 1\.18\) +600 tps \[300-900\] {2}ratio 3\.00 \[3\.00-3\.00\]/,
        );
        expect(report).toContain("bare TCP relay");
        expect(report).toContain("connected 1000, refused 0, query errors 0, queries 50000");
        expect(report).toContain('connected 97, refused 903 (903× "sorry, too many clients already")');
        expect(report).toContain("query latency ms: p50 10.00, p95 20.00, p99 30.00");
    });

    it("draws one bar per target and group with its whisker, labelled, as standalone SVG", () => {
        const svg = renderSvg(settings, rows);
        expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
        expect(svg.trim().endsWith("</svg>")).toBe(true);
        // 6 comparisons: 6 bars (plus the background and 3 legend swatches).
        expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(6);
        expect(svg).toContain("<title>pool, verifiers (PgBouncer 1.18): 3.00× (3.00–3.00)</title>");
        expect(svg).toContain(">new connection per transaction<");
        expect(svg).toContain("direct (= 1×)");
    });
});
