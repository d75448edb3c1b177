// What applications and their tools get from the renderers (issue 12): default privileges in
// every schema the migrate role creates, and migrate roles in session mode on the transaction pool.
import { describe, expect, it } from "vitest";
import { CONTAINER_LAYOUT, renderInitSql, renderPgbouncerIni } from "../../../components/render";
import { parseSpec, type PlatformConfigInput } from "../../../components/config";

const spec = (config: PlatformConfigInput = {}) => parseSpec(config as Record<string, unknown>);

describe("least privilege in every schema", () => {
    const sql = renderInitSql(spec({ postgres: { databases: [{ name: "app" }, { name: "billing" }] } }));

    it.each(["app", "billing"])("grants %s's app and read-only roles what its migrate role creates later, in any schema", (db) => {
        const owner = `ALTER DEFAULT PRIVILEGES FOR ROLE "${db}_migrate"`;
        for (const line of [
            `${owner} GRANT USAGE ON SCHEMAS TO "${db}_app", "${db}_readonly";`,
            `${owner} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "${db}_app";`,
            `${owner} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "${db}_app";`,
            `${owner} GRANT SELECT ON TABLES TO "${db}_readonly";`,
            `${owner} GRANT SELECT ON SEQUENCES TO "${db}_readonly";`,
            `${owner} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;`,
            `${owner} GRANT EXECUTE ON FUNCTIONS TO "${db}_app", "${db}_readonly";`,
        ]) expect(sql).toContain(line);
    });

    it("scopes no default privilege to one schema, and grants no CREATE anywhere to the app or read-only roles", () => {
        expect(sql).not.toMatch(/DEFAULT PRIVILEGES[^;]* IN SCHEMA /);
        expect(sql).not.toMatch(/GRANT [^;]*CREATE[^;]* TO [^;]*_(app|readonly)"?[;,]/);
    });
});

describe("migrate roles on the transaction pool", () => {
    const s = spec({
        topology: "primary",
        postgres: { databases: [{ name: "app" }, { name: "billing" }], roles: [{ name: "deployer", database: "app", access: "migrate" }, { name: "reporting", database: "app", access: "readonly" }] },
    });

    it("runs every migrate role, the extra ones too, in session mode there, and only them", () => {
        const ini = renderPgbouncerIni(s, "transaction", CONTAINER_LAYOUT);
        const users = ini.slice(ini.indexOf("[users]"));
        expect(users.split("\n").filter((line) => line.includes("="))).toEqual([
            "app_migrate = pool_mode=session",
            "billing_migrate = pool_mode=session",
            "deployer = pool_mode=session",
        ]);
        expect(ini).toMatch(/^pool_mode = transaction$/m);
    });

    it("leaves the session pool without exceptions", () => {
        expect(renderPgbouncerIni(s, "session", CONTAINER_LAYOUT)).not.toContain("[users]");
    });
});
