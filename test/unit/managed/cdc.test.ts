// CDC on the managed targets: the service's switch follows postgres.cdc, and the missing role,
// publication and slot are named in unavailable.cdc instead of being silently absent.
import { describe, expect, it } from "vitest";
import { managedCdcUnavailable } from "../../../components/managed/cdc";
import { cloudSqlFlags } from "../../../components/targets/gcp/plan";
import { rdsDesiredParameters } from "../../../components/targets/aws/parameters";
import { parseSpec, type PlatformConfigInput } from "../../../components/config";

const spec = (config: PlatformConfigInput) => parseSpec(config as Record<string, unknown>);
const CDC = { postgres: { version: 17 as const, cdc: { databases: [{ name: "app", tables: ["public.orders"] }] } } };

describe("CDC on managed targets", () => {
    it("says on each target what to run, and nothing when CDC names no database", () => {
        expect(managedCdcUnavailable(spec(CDC), "aws")).toMatch(
            /^rds\.logical_replication is on in the parameter group, but the platform makes no CDC role.*GRANT rds_replication TO app_cdc/,
        );
        expect(managedCdcUnavailable(spec(CDC), "gcp")).toMatch(/^cloudsql\.logical_decoding is on, .*ALTER ROLE app_cdc WITH REPLICATION/);
        expect(managedCdcUnavailable(spec({}), "aws")).toBeUndefined();
    });

    it("turns RDS's logical replication on from postgres.cdc.databases", () => {
        expect(rdsDesiredParameters(spec(CDC))["rds.logical_replication"]).toBe("1");
        expect(rdsDesiredParameters(spec({ postgres: { version: 17 } }))["rds.logical_replication"]).toBe("0");
    });

    it("turns Cloud SQL's logical decoding on from postgres.cdc.databases, with the slot bound", () => {
        const flags = Object.fromEntries(cloudSqlFlags(spec(CDC)).map((f) => [f.name, f.value]));
        expect(flags["cloudsql.logical_decoding"]).toBe("on");
        expect(flags.max_slot_wal_keep_size).toBe("10240");
        expect(cloudSqlFlags(spec({})).map((f) => f.name)).not.toContain("cloudsql.logical_decoding");
    });
});
