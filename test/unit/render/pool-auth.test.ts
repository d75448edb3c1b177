import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
    AUTH_FILE_POLL_SECONDS,
    CONTAINER_LAYOUT,
    SECRET_MODE,
    filePaths,
    loginRoles,
    pgbouncerRunCommand,
    pooledRoles,
    renderInitSql,
    renderPgbouncerRunScript,
    renderPgbouncerUserlist,
    renderServices,
    roleVerifier,
    scramVerifier,
    secretPlaceholder,
} from "../../../components/render";
import { parseSpec } from "../../../components/config";
import { userlistEntries } from "../../helpers/userlist";

const spec = parseSpec({
    topology: "primary",
    replicas: 1,
    postgres: { databases: [{ name: "app" }, { name: "billing" }], roles: [{ name: "deployer", database: "app", access: "migrate" }] },
});
const passwords = Object.fromEntries(loginRoles(spec).map((role) => [role, `pw-${role}-Z9`]));

/** userlist.txt as role → secret. */
const entries = userlistEntries;

describe("the pools' userlist: platform roles by verifier, the auth role in clear for the auth_query fallback", () => {
    it("lists the auth role, then every per-database and postgres.roles role; never replication or exporter roles", () => {
        expect(pooledRoles(spec)).toEqual(["app_migrate", "app_app", "app_readonly", "billing_migrate", "billing_app", "billing_readonly", "deployer"]);
        expect([...entries(renderPgbouncerUserlist(spec, { passwords })).keys()]).toEqual(["pgbouncer_auth", ...pooledRoles(spec)]);
    });

    it("holds for each pooled role the very verifier string the init SQL sets on the server, and no clear password", () => {
        const userlist = renderPgbouncerUserlist(spec, { passwords });
        const initSql = renderInitSql(spec, { passwords });
        const listed = entries(userlist);
        for (const role of pooledRoles(spec)) {
            const verifier = listed.get(role) ?? "";
            expect(verifier).toBe(scramVerifier(passwords[role], role));
            expect(verifier).toBe(roleVerifier(role, { passwords }));
            expect(initSql).toContain(`'${verifier}'`);
            expect(userlist).not.toContain(passwords[role]);
        }
        expect(listed.get("pgbouncer_auth")).toBe(passwords.pgbouncer_auth);
        for (const role of ["replicator", "postgres_exporter"]) expect(userlist).not.toContain(passwords[role]);
    });

    it("renders placeholders without passwords, so an undelivered secret is caught", () => {
        const listed = entries(renderPgbouncerUserlist(spec));
        for (const role of ["pgbouncer_auth", ...pooledRoles(spec)]) expect(listed.get(role)).toBe(secretPlaceholder(role));
    });

    it("gives each pool its ini, its run script and the auth file alone in auth/, the only live (re-read) file, mode 0600", () => {
        const paths = filePaths(CONTAINER_LAYOUT);
        for (const name of ["pooler-transaction", "pooler-session"]) {
            const pool = renderServices(spec, { passwords }).find((s) => s.name === name);
            expect(pool?.files.map((f) => [f.path, f.mode.toString(8), f.live ?? false])).toEqual([
                [paths.pgbouncerIni, "644", false],
                [paths.pgbouncerRunScript, "755", false],
                ["/etc/pgbouncer/auth/userlist.txt", SECRET_MODE.toString(8), true],
            ]);
            expect(path.posix.dirname(paths.pgbouncerUserlist)).toBe(paths.pgbouncerAuthDir);
        }
    });
});

describe("run-pgbouncer.sh: PgBouncer under a supervisor that reloads it when the auth file changes", () => {
    const script = renderPgbouncerRunScript();

    it("is valid POSIX sh (dash parses it) and names its usage", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pgp-run-")), "run-pgbouncer.sh");
        fs.writeFileSync(file, script);
        try {
            expect(() => execFileSync("dash", ["-n", file])).not.toThrow();
        } finally {
            fs.rmSync(path.dirname(file), { recursive: true, force: true });
        }
        expect(script).toMatch(/^#!\/bin\/sh\n/);
        expect(script).toContain("usage: run-pgbouncer.sh PGBOUNCER_BINARY PGBOUNCER_INI AUTH_FILE [POLL_SECONDS]");
    });

    it("reloads with SIGHUP on a changed checksum, passes stop signals on and refuses to start without a readable auth file", () => {
        expect(script).toContain("forward HUP");
        for (const signal of ["TERM", "INT", "QUIT", "HUP"]) expect(script).toContain(`trap 'forward ${signal}' ${signal}`);
        expect(script).toContain('cksum < "$auth"');
        expect(script).toMatch(/\[ -r "\$auth" \] \|\|/);
    });

    it("is started as /bin/sh <script> <binary> <ini> <auth file> <poll seconds>", () => {
        const paths = filePaths(CONTAINER_LAYOUT);
        expect(pgbouncerRunCommand(paths.pgbouncerRunScript, "/usr/bin/pgbouncer", paths.pgbouncerIni, paths.pgbouncerUserlist)).toEqual([
            "/bin/sh",
            "/etc/pgbouncer/run-pgbouncer.sh",
            "/usr/bin/pgbouncer",
            "/etc/pgbouncer/pgbouncer.ini",
            "/etc/pgbouncer/auth/userlist.txt",
            String(AUTH_FILE_POLL_SECONDS),
        ]);
    });
});
