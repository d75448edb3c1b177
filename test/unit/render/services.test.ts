import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SECRET_MODE, SECRET_PLACEHOLDER_PATTERN, loginRoles, renderServices, secretPlaceholder, type RenderedService } from "../../../components/render";
import { parseSpec, type PlatformConfigInput } from "../../../components/config";

const spec = (config: PlatformConfigInput = {}) => parseSpec(config as Record<string, unknown>);
const names = (services: RenderedService[]) => services.map((s) => s.name);

const full = spec({
    topology: "primary",
    replicas: 2,
    postgres: { databases: [{ name: "app" }, { name: "billing" }], roles: [{ name: "deployer", database: "app", access: "migrate" }] },
});
const secrets = { passwords: Object.fromEntries(loginRoles(full).map((role) => [role, `secret-${role}-value`])) };

/** The login role whose clear password each 0600 file may hold. */
const SECRET_OWNER: Readonly<Record<string, string>> = {
    "userlist.txt": "pgbouncer_auth",
    "replication.pgpass": "replicator",
    password: "postgres_exporter",
};

describe("renderServices", () => {
    it("renders one service per container of the topology", () => {
        expect(names(renderServices(spec()))).toEqual(["single"]);
        expect(names(renderServices(full))).toEqual(["primary", "replica-1", "replica-2", "pooler-transaction", "pooler-session", "exporter"]);
        expect(names(renderServices(spec({ topology: "primary", pooler: { enabled: false }, exporter: { enabled: false } })))).toEqual(["primary"]);
    });

    it("gives every file an absolute container path with the agreed basenames", () => {
        const basenames = new Map(renderServices(full).map((s) => [s.name, s.files.map((f) => path.basename(f.path))]));
        expect(basenames.get("primary")).toEqual(["postgresql.conf", "pg_hba.conf", "10-pg-platform.sql", "pgbackrest.conf"]);
        expect(basenames.get("replica-1")).toEqual(["postgresql.conf", "pg_hba.conf", "replication.pgpass"]);
        expect(basenames.get("pooler-session")).toEqual(["pgbouncer.ini", "run-pgbouncer.sh", "userlist.txt"]);
        expect(basenames.get("exporter")).toEqual(["queries.yaml", "password"]);
        for (const file of renderServices(full).flatMap((s) => s.files)) expect(path.isAbsolute(file.path)).toBe(true);
    });

    it("lists every login role once: per-database, extra, replication, exporter, pooler auth", () => {
        expect(loginRoles(full)).toEqual([
            "app_migrate",
            "app_app",
            "app_readonly",
            "billing_migrate",
            "billing_app",
            "billing_readonly",
            "deployer",
            "replicator",
            "postgres_exporter",
            "pgbouncer_auth",
        ]);
        expect(loginRoles(spec())).toEqual(["app_migrate", "app_app", "app_readonly"]);
    });

    it("holds a marked placeholder at every secret spot when no secrets are given", () => {
        const files = renderServices(full).flatMap((s) => s.files);
        for (const file of files.filter((f) => f.mode === SECRET_MODE)) {
            expect(file.content, file.path).toContain(secretPlaceholder(SECRET_OWNER[path.basename(file.path)]));
        }
        const initSql = files.find((f) => f.path.endsWith(".sql"))?.content ?? "";
        for (const role of loginRoles(full)) expect(initSql).toContain(`'${secretPlaceholder(role)}'`);
    });

    it("puts no clear password in any file, except each client's own in its 0600 file", () => {
        const files = renderServices(full, secrets).flatMap((s) => s.files);
        for (const file of files) {
            expect(file.content, file.path).not.toMatch(SECRET_PLACEHOLDER_PATTERN);
            const owner = file.mode === SECRET_MODE ? SECRET_OWNER[path.basename(file.path)] : undefined;
            for (const [role, password] of Object.entries(secrets.passwords)) {
                expect(file.content.includes(password), `${file.path} holds ${role}'s password`).toBe(role === owner);
            }
        }
        expect(
            files
                .filter((f) => f.mode === SECRET_MODE)
                .map((f) => path.basename(f.path))
                .sort(),
        ).toEqual(["password", "replication.pgpass", "replication.pgpass", "userlist.txt", "userlist.txt"]);
    });

    it("is deterministic: the same secrets render the same files", () => {
        expect(JSON.stringify(renderServices(full, secrets))).toBe(JSON.stringify(renderServices(full, secrets)));
    });
});
