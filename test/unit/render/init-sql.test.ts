import { describe, expect, it } from "vitest";
import { loginRoles, renderInitSql, scramVerifier, secretPlaceholder } from "../../../components/render";
import { parseSpec, type PlatformConfigInput } from "../../../components/config";

const spec = (config: PlatformConfigInput = {}) => parseSpec(config as Record<string, unknown>);
const secretsFor = (s: ReturnType<typeof spec>) => ({ passwords: Object.fromEntries(loginRoles(s).map((r) => [r, `pw-${r}`])) });

describe("init SQL", () => {
    const primary = spec({
        topology: "primary",
        replicas: 2,
        postgres: {
            extensions: ["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit", "pg_trgm"],
            databases: [{ name: "app", extensions: ["pg_trgm"] }, { name: "billing" }],
        },
    });
    const sql = renderInitSql(primary, secretsFor(primary));

    it("sets every login password as that role's SCRAM verifier, never in clear", () => {
        for (const role of loginRoles(primary)) {
            expect(sql).toContain(`pg_temp.ensure_login_role('${role}', '${scramVerifier(`pw-${role}`, role)}'`);
            expect(sql).not.toContain(`pw-${role}'`);
        }
    });

    it("refuses to apply a placeholder instead of letting PostgreSQL hash it", () => {
        // Without secrets each role gets its placeholder, which the guard refuses (the
        // integration suite runs this against a real server).
        const unrendered = renderInitSql(primary);
        expect(unrendered).toContain("IF verifier !~ '^SCRAM-SHA-256\\$' THEN");
        for (const role of loginRoles(primary)) expect(unrendered).toContain(`pg_temp.ensure_login_role('${role}', '${secretPlaceholder(role)}'`);
        expect(unrendered).not.toMatch(/SCRAM-SHA-256\$4096:/);
    });

    it("creates databases only when missing, owned by their migrate role, closed to PUBLIC", () => {
        for (const db of ["app", "billing"]) {
            expect(sql).toContain(`WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = '${db}')\\gexec`);
            expect(sql).toContain(`ALTER DATABASE "${db}" OWNER TO "${db}_migrate";`);
            expect(sql).toContain(`REVOKE ALL ON DATABASE "${db}" FROM PUBLIC;`);
        }
    });

    it("creates pg_cron only in the first database, and the per-database extensions where listed", () => {
        const sections = sql.split("\\connect ");
        const app = sections.find((s) => s.startsWith('"app"\n')) ?? "";
        const billing = sections.find((s) => s.startsWith('"billing"\n')) ?? "";
        expect(app).toContain('CREATE EXTENSION IF NOT EXISTS "pg_cron";'); // its control file fixes pg_catalog: a SCHEMA clause is refused
        expect(billing).not.toContain("pg_cron");
        expect(app).toContain('CREATE EXTENSION IF NOT EXISTS "pg_trgm" SCHEMA public;');
        expect(billing).not.toContain("pg_trgm");
        expect(sql).not.toContain("auto_explain");
    });

    it("makes one physical slot per replica and drops idle slots of removed replicas", () => {
        expect(sql).toContain("pg_create_physical_replication_slot('replica_1', true)");
        expect(sql).toContain("pg_create_physical_replication_slot('replica_2', true)");
        expect(sql).not.toContain("'replica_3'");
        expect(sql).toContain("substring(slot_name FROM 9)::int > 2 AND NOT active");
    });

    it("puts the pooler auth function in its own schema, SECURITY DEFINER, search_path pinned, for the auth role alone", () => {
        expect(sql).toContain("CREATE SCHEMA IF NOT EXISTS pgbouncer;");
        expect(sql).toMatch(/FUNCTION pgbouncer\.get_auth\(p_usename text\)[\s\S]*SECURITY DEFINER\nSET search_path = pg_catalog, pg_temp/);
        expect(sql).toContain("AND NOT a.rolsuper");
        expect(sql).toContain("REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;");
        expect(sql).toContain('GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO "pgbouncer_auth";');
    });

    it("gives the exporter pg_monitor and nothing on application databases", () => {
        expect(sql).toContain('GRANT pg_monitor TO "postgres_exporter";');
        expect(sql).not.toMatch(/ON DATABASE "(app|billing)" TO [^;]*postgres_exporter/);
    });

    it("leaves out the platform roles a single server does not use", () => {
        const single = renderInitSql(spec());
        for (const text of ["replicator", "postgres_exporter", "pgbouncer", "replication_slot('"]) expect(single).not.toContain(text);
    });
});
