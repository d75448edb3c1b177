import { describe, expect, it } from "vitest";
import {
    CONTAINER_LAYOUT,
    PARAMETER_AVAILABILITY,
    parameterAvailable,
    postgresqlParameters,
    renderPostgresqlConf,
    type ServerRole,
} from "../../../components/render";
import { ConfigError, parseSpec, type PlatformConfigInput } from "../../../components/config";
import { POSTGRES_VERSIONS } from "../../../components/platform/constants";

const spec = (config: PlatformConfigInput = {}) => parseSpec(config as Record<string, unknown>);
const ROLES: readonly ServerRole[] = ["single", "primary", "replica"];
const MEMORY_SETTINGS = ["shared_buffers", "effective_cache_size", "maintenance_work_mem", "work_mem", "max_connections"];

/** name → value as written in the file. */
function settings(text: string): Map<string, string> {
    return new Map(
        text
            .split("\n")
            .filter((l) => /^[a-z]/.test(l))
            .map((l) => {
                const [, name, value] = /^(\S+) = '(.*)'$/.exec(l) ?? [];
                return [name, value];
            }),
    );
}

describe.each(POSTGRES_VERSIONS.flatMap((version) => ROLES.map((role) => [version, role] as const)))(
    "postgresql.conf for PostgreSQL %i, %s",
    (version, role) => {
        const s = spec({
            topology: role === "single" ? "single" : "primary",
            replicas: role === "single" ? 0 : 2,
            postgres: { version, parameters: { statement_timeout: "30s", log_min_duration_statement: 1000 } },
        });
        const text = renderPostgresqlConf(s, role, CONTAINER_LAYOUT, 2);
        const values = settings(text);

        it("writes no setting this major lacks", () => {
            for (const name of values.keys()) expect(parameterAvailable(name, version), name).toBe(true);
            expect(values.has("io_method")).toBe(version >= 18);
        });

        it("always hashes with SCRAM, listens for the private network and points at the rendered pg_hba.conf", () => {
            expect(values.get("password_encryption")).toBe("scram-sha-256");
            expect(values.get("listen_addresses")).toBe("*");
            expect(values.get("hba_file")).toBe("/etc/postgresql/pg_hba.conf");
            expect(values.has("data_directory")).toBe(false);
        });

        it("leaves memory settings to the image's -c flags", () => {
            for (const name of MEMORY_SETTINGS) expect(values.has(name), name).toBe(false);
        });

        it("writes the user's parameters last, each once, replacing the platform default", () => {
            const lines = text.trim().split("\n");
            expect(lines.slice(-2)).toEqual(["statement_timeout = '30s'", "log_min_duration_statement = '1000'"]);
            expect(lines.filter((l) => l.startsWith("log_min_duration_statement"))).toHaveLength(1);
        });

        it("bounds what a replication slot may retain", () => {
            expect(values.get("max_slot_wal_keep_size")).toBe("10240MB");
            expect(values.get("wal_level")).toBe("replica");
        });

        it(role === "replica" ? "streams from the primary through its own slot, with feedback" : "has no standby settings", () => {
            if (role === "replica") {
                expect(values.get("primary_conninfo")).toBe(
                    "host=primary port=5432 user=replicator passfile=/etc/postgresql/replication.pgpass application_name=replica_2 sslmode=prefer",
                );
                expect(values.get("primary_slot_name")).toBe("replica_2");
                expect(values.get("hot_standby_feedback")).toBe("on");
            } else {
                for (const name of ["primary_conninfo", "primary_slot_name", "hot_standby"]) expect(values.has(name), name).toBe(false);
            }
        });
    },
);

describe("postgresql.conf decisions", () => {
    it("uses logical WAL for CDC", () => {
        const values = settings(renderPostgresqlConf(spec({ topology: "primary", postgres: { cdc: { enabled: true } } }), "primary", CONTAINER_LAYOUT));
        expect(values.get("wal_level")).toBe("logical");
    });

    it("preloads only the chosen extensions and configures them", () => {
        const values = settings(
            renderPostgresqlConf(spec({ postgres: { extensions: ["pg_stat_statements", "pgaudit"], auditLog: "ddl,write" } }), "single", CONTAINER_LAYOUT),
        );
        expect(values.get("shared_preload_libraries")).toBe("pg_stat_statements,pgaudit");
        expect(values.get("pgaudit.log")).toBe("ddl,write");
        expect(values.has("cron.database_name")).toBe(false);
        expect(values.has("auto_explain.log_min_duration")).toBe(false);
    });

    it("turns TLS on with the target's certificate paths", () => {
        const values = settings(renderPostgresqlConf(spec({ postgres: { tls: { enabled: true } } }), "single", CONTAINER_LAYOUT));
        expect([values.get("ssl"), values.get("ssl_cert_file"), values.get("ssl_key_file")]).toEqual([
            "on",
            "/etc/postgresql/tls/server.crt",
            "/etc/postgresql/tls/server.key",
        ]);
    });

    it("refuses a user parameter the chosen major lacks, naming it and the version", () => {
        // The config layer refuses it now, before anything renders (components/config/parameters.ts).
        const s = () => spec({ postgres: { version: 15, parameters: { io_method: "worker", transaction_timeout: "1min" } } });
        expect(s).toThrow(ConfigError);
        expect(s).toThrow(/postgres\.parameters\.io_method: exists only from PostgreSQL 18, and postgres\.version is 15/);
        expect(() => spec({ postgres: { version: 17, parameters: { old_snapshot_threshold: "1h" } } })).toThrow(
            /old_snapshot_threshold: exists only up to PostgreSQL 16/,
        );
        // Renamed in 18 (the old name survives only as an alias): the message names the new one.
        expect(() => spec({ postgres: { version: 18, parameters: { ssl_ecdh_curve: "prime256v1" } } })).toThrow(
            /postgres\.parameters\.ssl_ecdh_curve: is named ssl_groups from PostgreSQL 18, and postgres\.version is 18: set ssl_groups instead/,
        );
        expect(
            postgresqlParameters(spec({ postgres: { version: 17, parameters: { ssl_ecdh_curve: "prime256v1" } } }), "single", CONTAINER_LAYOUT),
        ).toContainEqual({ name: "ssl_ecdh_curve", value: "prime256v1", source: "user" });
    });

    it("quotes values so a user string cannot end the line early", () => {
        const text = renderPostgresqlConf(spec({ postgres: { parameters: { application_name: "it's \\ fine", jit: false } } }), "single", CONTAINER_LAYOUT);
        expect(text).toContain("application_name = 'it''s \\\\ fine'");
        expect(text).toContain("jit = 'off'");
    });

    it("labels each parameter fixed, default or user, and writes them in that order", () => {
        const params = postgresqlParameters(spec({ postgres: { parameters: { statement_timeout: "1s" } } }), "single", CONTAINER_LAYOUT);
        const order = params.map((p) => p.source);
        expect(order).toEqual([...order].sort((a, b) => ["fixed", "default", "user"].indexOf(a) - ["fixed", "default", "user"].indexOf(b)));
        expect(params.find((p) => p.name === "password_encryption")?.source).toBe("fixed");
        expect(params.find((p) => p.name === "autovacuum_naptime")?.source).toBe("default");
        expect(params.find((p) => p.name === "statement_timeout")?.source).toBe("user");
    });

    it("knows each version-specific parameter's range", () => {
        expect(PARAMETER_AVAILABILITY.get("idle_replication_slot_timeout")).toEqual({ since: 18 });
        expect(parameterAvailable("vacuum_defer_cleanup_age", 15)).toBe(true);
        expect(parameterAvailable("vacuum_defer_cleanup_age", 16)).toBe(false);
        expect(parameterAvailable("statement_timeout", 15)).toBe(true);
    });
});
