// CDC as a declared capability (postgres.cdc.databases): what the config accepts and refuses,
// and what the renderers make of it (roles, pg_hba.conf, postgresql.conf, init SQL).
import { describe, expect, it } from "vitest";
import { CONTAINER_LAYOUT, hbaRules, loginRoleSpecs, postgresqlParameters, renderInitSql, renderPgHba } from "../../../components/render";
import { ConfigError, parseSpec, type PlatformConfigInput } from "../../../components/config";

const spec = (config: PlatformConfigInput = {}) => parseSpec(config as Record<string, unknown>);
const cdcSpec = (version: 15 | 16 | 17 | 18, extra: PlatformConfigInput = {}) =>
    spec({
        topology: "primary",
        replicas: 2,
        ...extra,
        postgres: {
            version,
            databases: [{ name: "app" }, { name: "shop" }],
            cdc: {
                databases: [
                    { name: "app", tables: ["public.orders", "sales.invoices"] },
                    { name: "shop", tables: "all" },
                ],
            },
            ...extra.postgres,
        },
    });
const problems = (config: PlatformConfigInput) => {
    try {
        spec(config);
        return [];
    } catch (error) {
        return (error as ConfigError).problems;
    }
};
const param = (s: ReturnType<typeof spec>, role: "primary" | "replica", name: string) =>
    postgresqlParameters(s, role, CONTAINER_LAYOUT).find((p) => p.name === name)?.value;

describe("postgres.cdc in the stack config", () => {
    it("turns logical decoding on when it names databases, and stays off by default", () => {
        expect(spec().postgres.cdc).toEqual({ enabled: false, databases: [] });
        expect(spec({ postgres: { cdc: { databases: [{ name: "app", tables: "all" }] } } }).postgres.cdc.enabled).toBe(true);
        expect(spec({ postgres: { cdc: { enabled: true } } }).postgres.cdc).toEqual({ enabled: true, databases: [] });
    });

    it("refuses what cannot be served, naming the key", () => {
        expect(problems({ postgres: { cdc: { enabled: false, databases: [{ name: "app", tables: "all" }] } } })).toEqual([
            expect.stringMatching(/^pg-platform:postgres\.cdc\.enabled: is false while postgres\.cdc\.databases names databases/),
        ]);
        expect(problems({ postgres: { cdc: { databases: [{ name: "nope", tables: "all" }] } } })).toEqual([
            expect.stringMatching(/postgres\.cdc\.databases\.0\.name: "nope" is not one of postgres\.databases/),
        ]);
        expect(problems({ postgres: { cdc: { databases: [{ name: "app", tables: ["orders"] }] } } })).toEqual([
            expect.stringMatching(/tables\.0: must be a schema-qualified table name/),
        ]);
        expect(problems({ postgres: { cdc: { databases: [{ name: "app", tables: ["public.a", "public.a"] }] } } })).toEqual([
            expect.stringMatching(/tables\.1: "public\.a" is listed twice/),
        ]);
        expect(
            problems({
                postgres: {
                    cdc: {
                        databases: [
                            { name: "app", tables: "all" },
                            { name: "app", tables: "all" },
                        ],
                    },
                },
            }),
        ).toEqual([expect.stringMatching(/databases\.1\.name: database "app" is listed twice/)]);
        expect(
            problems({ postgres: { roles: [{ name: "app_cdc", database: "app", access: "readonly" }], cdc: { databases: [{ name: "app", tables: "all" }] } } }),
        ).toEqual([expect.stringMatching(/postgres\.roles\.0\.name: "app_cdc" is already a platform or per-database role/)]);
        expect(
            problems({ postgres: { databases: [{ name: "replication" }], cdc: { databases: [{ name: "replication", tables: "all" }] } } }).join("\n"),
        ).toMatch(/pg_hba\.conf's keyword for physical replication/);
    });
});

describe("CDC in the rendered files", () => {
    it("makes one SCRAM login role per CDC database, limited to a few connections", () => {
        expect(loginRoleSpecs(cdcSpec(18)).filter((r) => r.kind === "cdc")).toEqual([
            { name: "app_cdc", kind: "cdc", database: "app", connectionLimit: 5 },
            { name: "shop_cdc", kind: "cdc", database: "shop", connectionLimit: 5 },
        ]);
        const sql = renderInitSql(cdcSpec(18));
        expect(sql).toContain(
            "pg_temp.ensure_login_role('app_cdc', '<<pg-platform secret for app_cdc>>', 'NOSUPERUSER NOCREATEDB NOCREATEROLE REPLICATION NOBYPASSRLS CONNECTION LIMIT 5')",
        );
        expect(sql).toContain('GRANT CONNECT ON DATABASE "app" TO "app_cdc";');
        expect(sql).not.toMatch(/GRANT [^;]*TEMPORARY[^;]*_cdc/);
    });

    it("admits each CDC role to its own database only, over TLS when TLS is on, before the default rule", () => {
        const rules = hbaRules(cdcSpec(18, { postgres: { tls: { enabled: true } } }));
        const cdc = rules.filter((r) => r.user.endsWith("_cdc"));
        expect(cdc).toEqual([
            { type: "hostssl", database: "app", user: "app_cdc", address: "all", method: "scram-sha-256", part: "fixed" },
            { type: "hostssl", database: "shop", user: "shop_cdc", address: "all", method: "scram-sha-256", part: "fixed" },
        ]);
        // Physical replication stays rejected for everyone but the replication role, before the CDC rules.
        const physicalReject = rules.findIndex((r) => r.database === "replication" && r.user === "all" && r.method === "reject");
        expect(physicalReject).toBeGreaterThan(-1);
        expect(physicalReject).toBeLessThan(rules.indexOf(cdc[0]));
        expect(renderPgHba(cdcSpec(18))).toMatch(/^host +"app" +"app_cdc" +all +scram-sha-256$/m);
    });

    it("creates the publication, the upkeep trigger for a list and a FOR ALL TABLES publication for all, as the superuser", () => {
        const sql = renderInitSql(cdcSpec(15));
        expect(sql).toContain("CREATE PUBLICATION %I', 'app_cdc')");
        expect(sql).toContain("CREATE PUBLICATION %I FOR ALL TABLES', 'shop_cdc')");
        expect(sql).toContain("wanted text[] := ARRAY['public.orders', 'sales.invoices'];");
        expect(sql).toMatch(
            /CREATE EVENT TRIGGER "platform_cdc_tables" ON ddl_command_end WHEN TAG IN \('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE'\)/,
        );
        expect(sql).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "shop_migrate" GRANT SELECT ON TABLES TO "shop_cdc";');
        expect(sql.match(/LANGUAGE plpgsql SECURITY DEFINER\nSET search_path = pg_catalog, pg_temp/g)).toHaveLength(3);
    });

    it("creates each pgoutput slot once, a failover slot from PostgreSQL 17", () => {
        expect(renderInitSql(cdcSpec(16))).toContain("pg_create_logical_replication_slot('app_cdc', 'pgoutput', false) WHERE NOT EXISTS");
        expect(renderInitSql(cdcSpec(17))).toContain("pg_create_logical_replication_slot('app_cdc', 'pgoutput', false, false, true) WHERE NOT EXISTS");
    });

    it("syncs the CDC slots to the replicas from 17: the primary waits for every replica's slot, replicas sync through the first CDC database", () => {
        const s = cdcSpec(17);
        expect(param(s, "primary", "synchronized_standby_slots")).toBe("replica_1,replica_2");
        expect(param(s, "primary", "wal_level")).toBe("logical");
        expect(param(s, "replica", "sync_replication_slots")).toBe("on");
        expect(param(s, "replica", "hot_standby_feedback")).toBe("on");
        expect(param(s, "replica", "primary_conninfo")).toMatch(/ dbname='app' /);
        expect(param(s, "primary", "max_slot_wal_keep_size")).toBe("10240MB");
        const sql = renderInitSql(s);
        expect(sql).toContain('GRANT CONNECT ON DATABASE "app" TO "replicator";');
        expect(loginRoleSpecs(s).find((r) => r.kind === "replication")?.connectionLimit).toBe(6);
    });

    it("leaves slot sync out before 17, without replicas and without CDC", () => {
        for (const s of [
            cdcSpec(16),
            cdcSpec(18, { replicas: 0 }),
            spec({ topology: "primary", replicas: 2, postgres: { version: 18, cdc: { enabled: true } } }),
        ]) {
            expect(param(s, "primary", "synchronized_standby_slots")).toBeUndefined();
            if (s.replicas > 0) {
                expect(param(s, "replica", "sync_replication_slots")).toBeUndefined();
                expect(param(s, "replica", "primary_conninfo")).not.toMatch(/dbname=/);
            }
        }
    });
});
