import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import {
    CONTAINER_LAYOUT,
    EXPORTER_QUERIES,
    exporterArgs,
    exporterEnvironment,
    renderExporterQueries,
    renderPgbouncerIni,
    renderPgbouncerUserlist,
} from "../../../components/render";
import { parseSpec, type PlatformConfigInput } from "../../../components/config";

const spec = (config: PlatformConfigInput = {}) => parseSpec(config as Record<string, unknown>);

/** `[section]` → key → value of an ini file. */
function ini(text: string): Record<string, Record<string, string>> {
    const sections: Record<string, Record<string, string>> = {};
    let current = "";
    for (const line of text.split("\n")) {
        const header = /^\[(\w+)\]$/.exec(line);
        if (header) sections[(current = header[1])] = {};
        else if (/^[^;#\s].* = /.test(line)) {
            const [key, ...rest] = line.split(" = ");
            sections[current][key] = rest.join(" = ");
        }
    }
    return sections;
}

describe.each(["transaction", "session"] as const)("pgbouncer.ini for the %s pool", (mode) => {
    const s = spec({
        topology: "primary",
        postgres: { databases: [{ name: "app" }, { name: "billing" }] },
        pooler: { session: { defaultPoolSize: 7, maxClientConn: 70 } },
    });
    const parsed = ini(renderPgbouncerIni(s, mode, CONTAINER_LAYOUT));

    it("routes each database to the primary without forcing a user", () => {
        expect(parsed.databases).toEqual({ app: "host=primary port=5432 dbname='app'", billing: "host=primary port=5432 dbname='billing'" });
    });

    it("authenticates with SCRAM through the auth function as the auth role", () => {
        expect(parsed.pgbouncer).toMatchObject({
            auth_type: "scram-sha-256",
            auth_user: "pgbouncer_auth",
            auth_query: "SELECT usename, passwd FROM pgbouncer.get_auth($1)",
            auth_file: "/etc/pgbouncer/auth/userlist.txt",
            listen_addr: "*",
            listen_port: "6432",
            pool_mode: mode,
        });
    });

    it("gives the auth role the read-only console only: no admin users", () => {
        expect(parsed.pgbouncer.stats_users).toBe("pgbouncer_auth");
        expect(parsed.pgbouncer).not.toHaveProperty("admin_users");
    });

    it("takes pool sizes from the spec", () => {
        const expected = mode === "session" ? { default_pool_size: "7", max_client_conn: "70" } : { default_pool_size: "20", max_client_conn: "1000" };
        expect(parsed.pgbouncer).toMatchObject({ ...expected, reserve_pool_size: "5" });
    });
});

describe("pooler and exporter secrets", () => {
    it("writes the auth role's password in clear for PgBouncer, quoting it, first in the userlist", () => {
        const s = spec({ topology: "primary" });
        expect(renderPgbouncerUserlist(s, { passwords: { pgbouncer_auth: 'a"b' } }).split("\n")[0]).toBe('"pgbouncer_auth" "a""b"');
        expect(renderPgbouncerUserlist(s).split("\n")[0]).toBe('"pgbouncer_auth" "<<pg-platform secret for pgbouncer_auth>>"');
    });

    it("points the exporter at the primary with a password file, never a password", () => {
        const env = exporterEnvironment(spec({ topology: "primary" }), CONTAINER_LAYOUT);
        expect(env).toEqual({
            DATA_SOURCE_URI: "primary:5432/postgres?sslmode=disable",
            DATA_SOURCE_USER: "postgres_exporter",
            DATA_SOURCE_PASS_FILE: "/etc/postgres_exporter/password",
        });
        expect(exporterArgs(CONTAINER_LAYOUT)).toEqual(["--extend.query-path=/etc/postgres_exporter/queries.yaml", "--web.listen-address=:9187"]);
    });
});

describe("exporter queries.yaml", () => {
    it("parses back to the queries, each metric named once and described", () => {
        expect(parse(renderExporterQueries())).toEqual(JSON.parse(JSON.stringify(EXPORTER_QUERIES)));
        for (const [name, query] of Object.entries(EXPORTER_QUERIES)) {
            expect(name).toMatch(/^pg_platform_[a-z_]+$/);
            const columns = query.metrics.map((m) => Object.keys(m)[0]);
            expect(new Set(columns).size, name).toBe(columns.length);
            for (const column of columns) expect(query.query, `${name}.${column}`).toMatch(new RegExp(`\\b${column}\\b`));
        }
    });

    it("covers replication lag, slot retention, connections, uptime, database size, restore verification and memory settings", () => {
        expect(Object.keys(EXPORTER_QUERIES)).toEqual([
            "pg_platform_replication",
            "pg_platform_replication_slot",
            "pg_platform_connections",
            "pg_platform_postmaster",
            "pg_platform_database",
            "pg_platform_backup_verification",
            "pg_platform_memory_setting",
        ]);
    });
});
