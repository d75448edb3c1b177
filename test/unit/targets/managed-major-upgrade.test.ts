// Raising postgres.version on the managed targets (issue 14): the provider upgrades in place, so
// what must survive is what the platform hands it for the new major. The settings of the
// survival list are the same for 17 and 18: logical decoding for CDC, SCRAM, the preloads,
// the slots' WAL bound.
import { describe, expect, it } from "vitest";
import { parseSpec } from "../../../components/config";
import { rdsPlan } from "../../../components/targets/aws/plan";
import { cloudSqlPlan } from "../../../components/targets/gcp/plan";

const AWS = { vpcId: "vpc-0a1b2c3d", subnetIds: ["subnet-0a1b2c3d", "subnet-0e1f2a3b"], allowedCidrs: ["10.0.0.0/16"] };
const GCP = { region: "europe-west1", network: "projects/acme-dev-db/global/networks/main" };
const POSTGRES = { extensions: ["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit"], cdc: { databases: [{ name: "app", tables: "all" }] } };

const SURVIVAL = {
    aws: ["rds.logical_replication", "rds.accepted_password_auth_method", "shared_preload_libraries", "max_slot_wal_keep_size", "cron.database_name"],
    gcp: ["cloudsql.logical_decoding", "cloudsql.enable_pg_cron", "cloudsql.enable_pgaudit", "max_slot_wal_keep_size", "cron.database_name"],
};

function pick(entries: readonly { name: string; value: string }[], names: readonly string[]): Record<string, string | undefined> {
    return Object.fromEntries(names.map((name) => [name, entries.find((e) => e.name === name)?.value]));
}

describe("postgres.version 17 -> 18 on the managed targets", () => {
    it("RDS: a postgres18 parameter group with the same survival settings, the engine moved with it", () => {
        const [old, next] = [17, 18].map((version) => rdsPlan(parseSpec({ target: "aws", aws: AWS, postgres: { ...POSTGRES, version } })));
        expect([old.family, next.family, old.engineVersion, next.engineVersion]).toEqual(["postgres17", "postgres18", "17", "18"]);
        const kept = pick(next.parameters, SURVIVAL.aws);
        expect(kept).toEqual(pick(old.parameters, SURVIVAL.aws));
        expect(kept).toEqual({
            "rds.logical_replication": "1",
            "rds.accepted_password_auth_method": "scram",
            shared_preload_libraries: "pg_stat_statements,auto_explain,pg_cron,pgaudit",
            max_slot_wal_keep_size: "10240",
            "cron.database_name": "app",
        });
    });

    it("Cloud SQL: databaseVersion changes in place and the flags stay the same and set", () => {
        const [old, next] = [17, 18].map((version) => cloudSqlPlan(parseSpec({ target: "gcp", gcp: GCP, postgres: { ...POSTGRES, version } })));
        expect([old.databaseVersion, next.databaseVersion]).toEqual(["POSTGRES_17", "POSTGRES_18"]);
        const kept = pick(next.flags, SURVIVAL.gcp);
        expect(kept).toEqual(pick(old.flags, SURVIVAL.gcp));
        expect(Object.values(kept).every((value) => value !== undefined)).toBe(true);
        expect(kept["cloudsql.logical_decoding"]).toBe("on");
    });
});
