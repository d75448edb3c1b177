import { afterAll, describe, expect, it } from "vitest";
import { initCluster, startPostgres } from "../../cli/local/postgres";
import { stopAll } from "../../cli/local/processes";

afterAll(stopAll);

describe.each([18, 15] as const)("PostgreSQL %i test server", (version) => {
    it("starts unprivileged on 127.0.0.1 and takes SCRAM logins", async () => {
        const cluster = await initCluster({ version });
        const server = await startPostgres({ version, ...cluster });
        const [row] = await server.query<{ v: string; enc: string; addr: string }>(
            "SELECT current_setting('server_version_num') AS v, current_setting('password_encryption') AS enc, host(inet_server_addr()) AS addr",
        );
        expect(Number(row.v)).toBeGreaterThanOrEqual(version * 10000);
        expect(Number(row.v)).toBeLessThan((version + 1) * 10000);
        expect(row.enc).toBe("scram-sha-256");
        expect(row.addr).toBe("127.0.0.1");
        await expect(server.query("SELECT 1", [], { password: "wrong" })).rejects.toThrow(/password authentication failed/);
        await server.stop();
    });
});
