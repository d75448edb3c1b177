import { describe, expect, it } from "vitest";
import { databasePlan } from "../../../components/managed/roles";
import { parseSpec } from "../../../components/config";

const plan = databasePlan(
    parseSpec({
        postgres: {
            extensions: ["pg_cron", "auto_explain", "pg_trgm", "pgvector"],
            databases: [{ name: "app", extensions: ["pg_cron", "auto_explain", "pgvector"] }],
            roles: [{ name: "etl", database: "app", access: "readwrite", connectionLimit: 4 }],
        },
        image: { extensions: ["pgvector"] },
    }),
);
const grant = (role: string, objectType: string) => plan.grants.find((g) => g.role === role && g.objectType === objectType)?.privileges;

describe("databasePlan", () => {
    it("creates extensions by their SQL names and skips preload-only modules", () => {
        expect(plan.databases).toEqual([{ name: "app", extensions: ["pg_cron", "vector"] }]);
    });

    it("keeps PUBLIC out and gives each role only its access", () => {
        expect(grant("public", "database")).toEqual([]);
        expect(grant("app_migrate", "schema")).toEqual(["CREATE", "USAGE"]);
        expect(grant("app_app", "schema")).toEqual(["USAGE"]);
        expect(grant("app_app", "table")).toEqual(["SELECT", "INSERT", "UPDATE", "DELETE"]);
        expect(grant("app_readonly", "table")).toEqual(["SELECT"]);
        expect(grant("app_readonly", "database")).not.toContain("CREATE");
    });

    it("extends the app and read-only rights to schemas, tables, sequences and functions the migrate role creates later, in any schema", () => {
        expect(plan.defaultPrivileges.every((d) => d.owner === "app_migrate")).toBe(true);
        expect(plan.defaultPrivileges.map((d) => `${d.role}/${d.objectType}:${d.privileges.join(",")}`)).toEqual([
            "app_app/schema:USAGE",
            "app_app/table:SELECT,INSERT,UPDATE,DELETE",
            "app_app/sequence:SELECT,USAGE,UPDATE",
            "app_app/function:EXECUTE",
            "app_readonly/schema:USAGE",
            "app_readonly/table:SELECT",
            "app_readonly/sequence:SELECT",
            "app_readonly/function:EXECUTE",
            "public/function:",
        ]);
    });

    it("makes a spec role a member of its database's role, with its connection limit", () => {
        expect(plan.roles.at(-1)).toEqual({ name: "etl", database: "app", access: "readwrite", connectionLimit: 4, memberOf: ["app_app"] });
    });
});
