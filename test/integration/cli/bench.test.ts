import { afterAll, describe, expect, it } from "vitest";
import { bench } from "../../../cli/bench";
import { compare, formatReport, renderSvg } from "../../../cli/bench-report";
import { stopAll } from "../../../cli/local/processes";

afterAll(stopAll);

describe("npm run bench", () => {
    it("measures direct, the relay and both pool authentications, per connection style, then a capacity run (figures printed, not judged)", async () => {
        const result = await bench({
            rounds: 1,
            seconds: 1,
            clients: 4,
            version: 18,
            tls: [false],
            capacityClients: 120,
            capacitySeconds: 1,
            capacityMaxConnections: 100,
        });
        expect(result.rows.map((r) => `${r.connections}/${r.target}`)).toEqual([
            "per-transaction/direct",
            "per-transaction/pool-auth-query@1.18",
            "per-transaction/pool-verifiers@1.18",
            "persistent/direct",
            "persistent/relay",
            "persistent/pool-auth-query@1.18",
            "persistent/pool-verifiers@1.18",
        ]);
        for (const row of result.rows) expect(row.tps).toBeGreaterThan(0);
        expect(compare(result.rows)).toHaveLength(5);
        // More clients than the server takes: the pool serves all of them, the server refuses the surplus.
        const [pooled, direct] = result.capacity;
        expect(pooled).toMatchObject({ target: "pool-verifiers@1.18", clients: 120, connected: 120, refused: {}, queryErrors: 0 });
        expect(direct.target).toBe("direct");
        expect(direct.connected).toBeLessThan(100);
        expect(Object.keys(direct.refused).join("\n")).toMatch(/too many clients already|reserved for roles with the SUPERUSER attribute/);
        expect(formatReport(result.settings, result.rows, result.capacity)).toContain("capacity: 120 clients at once");
        expect(renderSvg(result.settings, result.rows)).toContain("</svg>");
    });
});
