import { afterAll, describe, expect, it } from "vitest";
import { bench, formatReport } from "../../../cli/bench";
import { stopAll } from "../../../cli/local/processes";

afterAll(stopAll);

describe("npm run bench", () => {
    it("measures both paths and both connection styles through the rendered pool, side by side", async () => {
        const rows = await bench({ rounds: 1, seconds: 1, clients: 4, version: 18 });
        expect(rows.map((r) => `${r.connections}/${r.path}`)).toEqual([
            "per-transaction/direct", "per-transaction/pooled", "persistent/direct", "persistent/pooled",
        ]);
        for (const row of rows) expect(row.tps).toBeGreaterThan(0);
        const report = formatReport(rows, { clients: 4, seconds: 1, version: 18 });
        expect(report).toMatch(/per-transaction +direct \d+ tps, pooled \d+ tps, ratio \d+\.\d\d/);
        expect(report).toMatch(/persistent +direct \d+ tps, pooled \d+ tps, ratio \d+\.\d\d/);
    });
});
