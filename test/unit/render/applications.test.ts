// What applications and their tools get from the renderers (issue 12): default privileges in
// every schema the migrate role creates, and migrate roles in session mode on the transaction pool.
import { describe, expect, it } from "vitest";
import { CONTAINER_LAYOUT, pgbouncerAtLeast, renderInitSql, renderPgbouncerIni } from "../../../components/render";
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
        ])
            expect(sql).toContain(line);
    });

    it("scopes no default privilege to one schema, and grants no CREATE anywhere to the app or read-only roles", () => {
        expect(sql).not.toMatch(/DEFAULT PRIVILEGES[^;]* IN SCHEMA /);
        expect(sql).not.toMatch(/GRANT [^;]*CREATE[^;]* TO [^;]*_(app|readonly)"?[;,]/);
    });
});

describe("migrate roles on the transaction pool", () => {
    const s = spec({
        topology: "primary",
        postgres: {
            databases: [{ name: "app" }, { name: "billing" }],
            roles: [
                { name: "deployer", database: "app", access: "migrate" },
                { name: "reporting", database: "app", access: "readonly" },
            ],
        },
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

describe("prepared statements through the pools, by PgBouncer version", () => {
    const s = spec({ topology: "primary" });

    it("renders max_prepared_statements for the pinned PgBouncer (1.25.1), in both pools", () => {
        expect(CONTAINER_LAYOUT.pgbouncerVersion).toBe("1.25.1");
        for (const mode of ["transaction", "session"] as const)
            expect(renderPgbouncerIni(s, mode, CONTAINER_LAYOUT)).toMatch(/^max_prepared_statements = 200$/m);
    });

    it("leaves it out for PgBouncer before 1.21 (Debian 12's 1.18 refuses to start with it)", () => {
        for (const version of ["1.18.0", "1.20.1"])
            expect(renderPgbouncerIni(s, "transaction", { ...CONTAINER_LAYOUT, pgbouncerVersion: version })).not.toContain("max_prepared_statements");
        expect(renderPgbouncerIni(s, "transaction", { ...CONTAINER_LAYOUT, pgbouncerVersion: "1.21.0" })).toContain("max_prepared_statements = 200");
    });

    it.each([
        ["1.18.0", "1.21", false],
        ["1.20.9", "1.21", false],
        ["1.21", "1.21", true],
        ["1.21.0", "1.21", true],
        ["1.25.1", "1.21", true],
        ["2.0", "1.21", true],
        ["1.9.0", "1.21", false],
    ])("compares versions numerically: %s >= %s is %s", (version, minimum, expected) => {
        expect(pgbouncerAtLeast(version, minimum)).toBe(expected);
    });
});
