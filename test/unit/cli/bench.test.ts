import { describe, expect, it } from "vitest";
import { formatReport, parseTps, type BenchRow } from "../../../cli/bench";

describe("bench report", () => {
    it("reads pgbench's tps line", () => {
        expect(parseTps("number of failed transactions: 0 (0.000%)\nlatency average = 1.6 ms\ntps = 9881.734562 (without initial connection time)\n")).toBeCloseTo(9881.73);
        expect(() => parseTps("connection to server failed")).toThrow(/pgbench printed no tps/);
    });

    it("prints per-round ratios and medians over rounds", () => {
        const rows: BenchRow[] = [1, 2, 3].flatMap((round) => [
            { path: "direct", connections: "per-transaction", round, tps: 100 * round },
            { path: "pooled", connections: "per-transaction", round, tps: 300 * round },
            { path: "direct", connections: "persistent", round, tps: 1000 },
            { path: "pooled", connections: "persistent", round, tps: 800 },
        ] as const);
        const report = formatReport(rows, { clients: 16, seconds: 5, version: 18 });
        expect(report).toContain("per-transaction  direct 200 tps, pooled 600 tps, ratio 3.00");
        expect(report).toContain("persistent       direct 1000 tps, pooled 800 tps, ratio 0.80");
        expect(report.split("\n").filter((line) => /^\d +(per-transaction|persistent)/.test(line))).toHaveLength(6);
    });
});
