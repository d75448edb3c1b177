import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as path from "node:path";
import { EXPORTER_QUERIES, POOLER_AUTH_FUNCTION, filePaths, postgresqlParameters, renderInitSql } from "../../../components/render";
import { PLATFORM_ROLES } from "../../../components/platform/constants";
import { run, scratchDir, stopAll, writeServiceFile } from "../../../cli/local/processes";
import { PSQL, bootPrimary, listeningAddresses, psqlFile, queryAs, startPgbouncer, testSpec, type BootedPrimary } from "../../../cli/local/stack";

afterAll(stopAll);

const POOL_SIZE = 2;
const CLIENTS = 12;

/** Everything the init SQL decides, as text, so two runs can be compared. */
async function snapshot(booted: BootedPrimary): Promise<string> {
    const q = (sql: string, database = "postgres") => booted.server.query(sql, [], { database });
    const parts = await Promise.all([
        q(
            "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolpassword FROM pg_authid ORDER BY 1",
        ),
        q("SELECT datname, pg_get_userbyid(datdba) AS owner, datacl::text FROM pg_database ORDER BY 1"),
        q("SELECT roleid::regrole::text AS role, member::regrole::text AS member FROM pg_auth_members ORDER BY 1, 2"),
        q("SELECT setdatabase, setrole::regrole::text AS role, setconfig FROM pg_db_role_setting ORDER BY 1, 2"),
        q("SELECT slot_name, slot_type FROM pg_replication_slots ORDER BY 1"),
        q("SELECT nspname, nspacl::text, pg_get_userbyid(nspowner) AS owner FROM pg_namespace ORDER BY 1", "app"),
        q(
            "SELECT defaclrole::regrole::text AS role, defaclnamespace::regnamespace::text AS ns, defaclobjtype, defaclacl::text FROM pg_default_acl ORDER BY 1, 2, 3",
            "app",
        ),
        q("SELECT extname, extversion FROM pg_extension ORDER BY 1", "app"),
        q("SELECT proname, proacl::text, prosrc, proconfig, prosecdef FROM pg_proc WHERE pronamespace = 'pgbouncer'::regnamespace", "app"),
        q("SELECT relname, relacl::text, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1", "app"),
    ]);
    return JSON.stringify(parts);
}

describe.each([18, 15] as const)("rendered PostgreSQL %i files and PgBouncer pools on real servers", (version) => {
    const spec = testSpec(version, {
        topology: "primary",
        replicas: 1,
        postgres: {
            roles: [
                { name: "deployer", database: "app", access: "migrate" },
                { name: "reporting", database: "app", access: "readonly" },
            ],
            parameters: { statement_timeout: "5min", log_min_duration_statement: 500 },
            hba: [{ type: "host", database: "app", user: "reporting", address: "10.0.0.0/8", method: "reject" }],
        },
        pooler: { transaction: { defaultPoolSize: POOL_SIZE, reservePoolSize: 0 } },
    });
    let booted: BootedPrimary;
    let transactionPort: number;
    let sessionPort: number;
    const password = (role: string) => booted.secrets.passwords[role];
    const login = (user: string, port: number, pw = password(user)) => ({ user, password: pw, port });
    const as = <R extends Record<string, unknown> = Record<string, unknown>>(user: string, sql: string, database = "app", params: unknown[] = []) =>
        queryAs<R>({ user, password: password(user), port: booted.server.port, database }, sql, params);

    beforeAll(async () => {
        booted = await bootPrimary(spec);
        [transactionPort, sessionPort] = (await Promise.all([startPgbouncer(booted, "transaction"), startPgbouncer(booted, "session")])).map((p) => p.port);
        // A role whose stored secret is md5, as a server upgraded from an md5 era would hold.
        await booted.server.query("DO $$ BEGIN EXECUTE format('CREATE ROLE legacy LOGIN PASSWORD %L', 'md5' || md5('legacy-pw' || 'legacy')); END $$");
        await booted.server.query("GRANT CONNECT ON DATABASE app TO legacy");
    });

    it("accepts every rendered setting and reports the rendered values", async () => {
        expect(await booted.server.query("SELECT name, error FROM pg_file_settings WHERE error IS NOT NULL")).toEqual([]);
        const rendered = postgresqlParameters(spec, "primary", booted.layout);
        const conf = filePaths(booted.layout).postgresqlConf;
        const settings = await booted.server.query<{ name: string; setting: string; sourcefile: string | null; source: string }>(
            "SELECT lower(name) AS name, setting, sourcefile, source FROM pg_settings WHERE lower(name) = ANY($1)",
            [rendered.map((p) => p.name)],
        );
        // Each rendered parameter is known to this major and in effect from the rendered file;
        // only the test's own -c flags (listen address and port, same values) take precedence,
        // and PostgreSQL records the file location it read (hba_file) as an override.
        expect(settings.map((s) => s.name).sort()).toEqual(rendered.map((p) => p.name).sort());
        for (const s of settings) {
            if (s.name === "listen_addresses" || s.name === "port") expect(s.source).toBe("command line");
            else if (s.name === "hba_file") expect(s.setting).toBe(filePaths(booted.layout).pgHbaConf);
            else expect({ name: s.name, sourcefile: s.sourcefile }).toEqual({ name: s.name, sourcefile: conf });
        }
        const show = async (name: string) => (await booted.server.query<Record<string, string>>(`SHOW ${name}`))[0][name];
        expect(await show("password_encryption")).toBe("scram-sha-256");
        expect(await show("wal_level")).toBe("replica");
        expect(await show("listen_addresses")).toBe("127.0.0.1");
        expect(await show("log_min_duration_statement")).toBe("500ms");
        expect(await show("statement_timeout")).toBe("5min");
        expect(await show("max_slot_wal_keep_size")).toBe("10GB");
        expect(await show("shared_preload_libraries")).toBe(
            version === 15 ? "pg_stat_statements,auto_explain,pg_cron,pgaudit" : "pg_stat_statements,auto_explain",
        );
        if (version === 18) expect(await show("io_method")).toBe("worker");
        else expect(await show("pgaudit.log")).toBe("ddl,role");
    });

    it("listens on 127.0.0.1 only, PostgreSQL and both pools (the pools on TCP only)", () => {
        for (const port of [booted.server.port, transactionPort, sessionPort]) expect(listeningAddresses(port)).toEqual(["127.0.0.1"]);
    });

    it("authenticates with SCRAM only", async () => {
        expect(await as("app_app", "SELECT current_user AS u")).toEqual([{ u: "app_app" }]);
        await expect(queryAs({ user: "app_app", password: "wrong", port: booted.server.port }, "SELECT 1")).rejects.toThrow(/password authentication failed/);
        expect(await booted.server.query("SELECT left(rolpassword, 3) AS kind FROM pg_authid WHERE rolname = 'legacy'")).toEqual([{ kind: "md5" }]);
        await expect(queryAs({ user: "legacy", password: "legacy-pw", port: booted.server.port }, "SELECT 1")).rejects.toThrow(
            /password authentication failed/,
        );
        const rules = await booted.server.query<{ auth_method: string; error: string | null }>("SELECT DISTINCT auth_method, error FROM pg_hba_file_rules");
        expect(rules.filter((r) => r.error !== null)).toEqual([]);
        expect(new Set(rules.map((r) => r.auth_method))).toEqual(new Set(["peer", "scram-sha-256", "reject"]));
        const stored = await booted.server.query<{ rolname: string; rolpassword: string }>(
            "SELECT rolname, rolpassword FROM pg_authid WHERE rolcanlogin AND rolname <> 'legacy'",
        );
        for (const row of stored) expect(row.rolpassword, row.rolname).toMatch(/^SCRAM-SHA-256\$4096:/);
    });

    it("keeps the superuser off the network and replication to the replication role", async () => {
        // Loopback is allowed (the server's own host or container); any other address hits the reject rule.
        const rules = await booted.server.query<{ address: string | null; auth_method: string }>(
            "SELECT address, auth_method FROM pg_hba_file_rules WHERE 'postgres' = ANY(user_name) AND type = 'host' ORDER BY line_number",
        );
        expect(rules.map((r) => [r.address, r.auth_method])).toEqual([
            ["127.0.0.1", "scram-sha-256"],
            ["::1", "scram-sha-256"],
            ["all", "reject"],
        ]);
        const identify = (user: string) =>
            run(PSQL, ["-X", "-At", "-d", `host=127.0.0.1 port=${booted.server.port} user=${user} dbname=postgres replication=true`, "-c", "IDENTIFY_SYSTEM"], {
                env: { PGPASSWORD: password(user) },
            });
        const replicator = await identify(PLATFORM_ROLES.replication);
        expect(replicator.stderr).toBe("");
        expect(replicator.code).toBe(0);
        const app = await identify("app_app");
        expect(app.code).not.toBe(0);
        expect(app.stderr).toMatch(/pg_hba.conf rejects replication connection for host "127.0.0.1", user "app_app"/);
    });

    it("gives each role least privilege: owner migrates, app writes, read-only reads, exporter reads no table", async () => {
        await as("deployer", "CREATE TABLE items (id serial PRIMARY KEY, name text)");
        expect(await booted.server.query("SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'items'", [], { database: "app" })).toEqual([
            { owner: "app_migrate" },
        ]);
        await as("app_app", "INSERT INTO items (name) VALUES ('a')");
        expect(await as("app_readonly", "SELECT name FROM items")).toEqual([{ name: "a" }]);
        expect(await as("reporting", "SELECT count(*)::int AS n FROM items")).toEqual([{ n: 1 }]);
        await expect(as("app_readonly", "INSERT INTO items (name) VALUES ('b')")).rejects.toThrow(/permission denied/);
        await expect(as("app_app", "CREATE TABLE nope (id int)")).rejects.toThrow(/permission denied/);
        await expect(as(PLATFORM_ROLES.exporter, "SELECT 1")).rejects.toThrow(/permission denied for database "app"/);
        expect(await booted.server.query("SELECT has_table_privilege('postgres_exporter', 'public.items', 'SELECT') AS can", [], { database: "app" })).toEqual([
            { can: false },
        ]);
        const rolsuper = await booted.server.query("SELECT rolname FROM pg_roles WHERE rolsuper AND rolname <> 'postgres'");
        expect(rolsuper).toEqual([]);
    });

    it("runs every exporter query as the exporter role", async () => {
        for (const [name, query] of Object.entries(EXPORTER_QUERIES)) {
            await expect(as(PLATFORM_ROLES.exporter, query.query, "postgres"), name).resolves.toBeDefined();
        }
    });

    it("has an auth function that only the auth role runs and that never returns a superuser's secret", async () => {
        const auth = PLATFORM_ROLES.poolerAuth;
        expect(await as(auth, `SELECT * FROM ${POOLER_AUTH_FUNCTION}('postgres')`)).toEqual([]);
        expect(await as(auth, `SELECT * FROM ${POOLER_AUTH_FUNCTION}('replicator')`)).toEqual([]);
        expect(await as(auth, `SELECT * FROM ${POOLER_AUTH_FUNCTION}('legacy')`)).toEqual([]);
        const [row] = await as<{ usename: string; passwd: string }>(auth, `SELECT * FROM ${POOLER_AUTH_FUNCTION}('app_app')`);
        expect(row.usename).toBe("app_app");
        expect(row.passwd).toMatch(/^SCRAM-SHA-256\$/);
        await expect(as("app_app", `SELECT * FROM ${POOLER_AUTH_FUNCTION}('app_app')`)).rejects.toThrow(/permission denied/);
        const [fn] = await booted.server.query<{ prosecdef: boolean; proconfig: string[]; nspname: string }>(
            "SELECT prosecdef, proconfig, nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE proname = 'get_auth'",
            [],
            { database: "app" },
        );
        expect(fn).toEqual({ prosecdef: true, proconfig: ["search_path=pg_catalog, pg_temp"], nspname: "pgbouncer" });
    });

    it("lets an app role in with its SCRAM password through both pools, as itself", async () => {
        for (const port of [transactionPort, sessionPort]) {
            expect(await queryAs(login("app_app", port), "SELECT current_user AS u")).toEqual([{ u: "app_app" }]);
            expect(await queryAs(login("app_readonly", port), "SELECT current_user AS u")).toEqual([{ u: "app_readonly" }]);
        }
    });

    it("opens the pools' console to the auth role read-only: SHOW works, PAUSE and SHUTDOWN are refused", async () => {
        const auth = PLATFORM_ROLES.poolerAuth;
        const consoleCommand = (port: number, command: string) =>
            run(PSQL, ["-X", "-At", "-d", `host=127.0.0.1 port=${port} user=${auth} dbname=pgbouncer`, "-c", command], { env: { PGPASSWORD: password(auth) } });
        for (const port of [transactionPort, sessionPort]) {
            const show = await consoleCommand(port, "SHOW VERSION");
            expect(show.stderr).toBe("");
            expect(show.stdout).toMatch(/PgBouncer/);
            for (const command of ["PAUSE", "SHUTDOWN"]) {
                const refused = await consoleCommand(port, command);
                expect(refused.code, command).not.toBe(0);
                expect(refused.stderr, command).toMatch(/admin access needed/);
            }
        }
        expect(await queryAs(login("app_app", transactionPort), "SELECT current_user AS u")).toEqual([{ u: "app_app" }]);
    });

    it("refuses a wrong password, a superuser and an md5-stored role", async () => {
        // An authentication failure each time (PgBouncer says "no such user" when the auth
        // function returns no row): a pool that is down or misconfigured (connection refused,
        // no such database) must not pass for a refusal.
        const refused = /SASL authentication failed|password authentication failed|no such user/;
        for (const port of [transactionPort, sessionPort]) {
            await expect(queryAs(login("app_app", port, "wrong"), "SELECT 1")).rejects.toThrow(refused);
            await expect(queryAs({ ...login("postgres", port, booted.server.superuserPassword) }, "SELECT 1")).rejects.toThrow(refused);
            await expect(queryAs(login("legacy", port, "legacy-pw"), "SELECT 1")).rejects.toThrow(refused);
        }
    });

    it("multiplexes the transaction pool: more clients than server connections, all served", async () => {
        const clients = Array.from({ length: CLIENTS }, () => new Client({ host: "127.0.0.1", ...login("app_app", transactionPort), database: "app" }));
        await Promise.all(clients.map((c) => c.connect()));
        try {
            const pids = await Promise.all(
                clients.map(async (c) => (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid, pg_sleep(0.1)")).rows[0].pid),
            );
            expect(pids).toHaveLength(CLIENTS);
            expect(new Set(pids).size).toBeLessThanOrEqual(POOL_SIZE);
        } finally {
            await Promise.all(clients.map((c) => c.end()));
        }
    });

    it("keeps session state in the session pool: a prepared statement and a temp table survive", async () => {
        const client = new Client({ host: "127.0.0.1", ...login("app_app", sessionPort), database: "app" });
        await client.connect();
        try {
            await client.query("PREPARE one_more (int) AS SELECT $1 + 1 AS n");
            await client.query("CREATE TEMP TABLE scratch (n int)");
            await client.query("INSERT INTO scratch VALUES (41)");
            expect((await client.query("EXECUTE one_more(41)")).rows).toEqual([{ n: 42 }]);
            expect((await client.query("SELECT n FROM scratch")).rows).toEqual([{ n: 41 }]);
        } finally {
            await client.end();
        }
    });

    it("refuses an init SQL rendered without passwords: the placeholder never becomes a password", async () => {
        const before = await snapshot(booted);
        const file = path.join(scratchDir("placeholder"), "init.sql");
        writeServiceFile(file, renderInitSql(spec));
        const result = await psqlFile(booted.server, file);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/role app_migrate: the password is not a SCRAM-SHA-256 verifier \(is a secret placeholder left\?\)/);
        expect(await snapshot(booted)).toBe(before);
        expect(await as("app_app", "SELECT current_user AS u")).toEqual([{ u: "app_app" }]);
    });

    it("runs the init SQL a second time without failing or changing anything", async () => {
        const before = await snapshot(booted);
        const again = await psqlFile(booted.server, filePaths(booted.layout).initSql);
        expect(again.stderr).toBe("");
        expect(again.code).toBe(0);
        expect(await snapshot(booted)).toBe(before);
    });
});
