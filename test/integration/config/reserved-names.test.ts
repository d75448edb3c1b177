// The privilege escalation issue 17 reported, on a real server: a stack database named
// `postgres` made the platform hand the maintenance database to the login role
// `postgres_migrate`; as its owner, that role sets the database's search_path to put `public`
// first and plants a function there named like a catalog function; the superuser's periodic
// healthcheck query then runs it, and the migrate role becomes superuser. Reproduced first, then
// shown impossible: the config refuses the name, and the superuser's own queries (healthcheck,
// init SQL) no longer follow a search_path a database owner chose.
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_CONTEXT_DIR } from "../../../components/image";
import { ConfigError, parseSpec, type PlatformSpec } from "../../../components/config";
import { loginRoles, renderInitSql } from "../../../components/render";
import { initCluster, startPostgres, type PgServer } from "../../../cli/local/postgres";
import { PG_BIN, run, stopAll, writeServiceFile, scratchDir } from "../../../cli/local/processes";
import { PSQL, testSecrets } from "../../../cli/local/stack";

const PATH = `${PG_BIN[15]}:${process.env.PATH}`;

/** The healthcheck's query before the fix (healthcheck.sh at 471338f): unqualified names, the database's search_path. */
const OLD_HEALTHCHECK_QUERY = "SELECT concat_ws('|', current_setting('listen_addresses'), pg_is_in_recovery())";

/** What an owner of `database` does to make a superuser's unqualified query run its code. */
const PLANT = [
    "CREATE FUNCTION public.pg_is_in_recovery() RETURNS boolean LANGUAGE sql AS $$ ALTER ROLE %ROLE% SUPERUSER; SELECT false $$",
    "CREATE FUNCTION public.format(text, text, text) RETURNS text LANGUAGE sql AS $$ ALTER ROLE %ROLE% SUPERUSER; SELECT ''::text $$",
    "CREATE FUNCTION public.current_setting(text) RETURNS text LANGUAGE sql AS $$ ALTER ROLE %ROLE% SUPERUSER; SELECT ''::text $$",
    "CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql AS $$ ALTER ROLE %ROLE% SUPERUSER; SELECT pg_catalog.now() $$",
    "ALTER DATABASE %DB% SET search_path = public, pg_catalog",
];

let server: PgServer;
let superuserPassword: string;

afterAll(stopAll);

beforeAll(async () => {
    const cluster = await initCluster({ version: 15 });
    superuserPassword = cluster.superuserPassword;
    server = await startPostgres({ version: 15, ...cluster });
});

/** The init SQL the platform renders for `spec`, applied as the image applies it (psql, superuser). */
async function applyInitSql(spec: PlatformSpec, secrets: ReturnType<typeof testSecrets>, env: Record<string, string> = {}) {
    const file = path.join(scratchDir("init"), "init.sql");
    writeServiceFile(file, renderInitSql(spec, secrets), 0o644);
    const result = await run(
        PSQL,
        ["-X", "-q", "-h", server.socketDir, "-p", String(server.port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-f", file],
        { env: { PGPASSWORD: superuserPassword, ...env } },
    );
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(result.stderr).not.toMatch(/ERROR/);
}

/** Plants the owner's trap in `database` as `role`. */
async function plant(role: string, password: string, database: string) {
    for (const statement of PLANT) {
        await server.query(statement.replace(/%ROLE%/g, `"${role}"`).replace(/%DB%/g, `"${database}"`), [], { user: role, password, database });
    }
}

const isSuperuser = async (role: string) =>
    (await server.query<{ rolsuper: boolean }>("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1", [role]))[0]?.rolsuper;

describe("a database named postgres (issue 17's escalation), on real PostgreSQL 15", () => {
    it("before the fix: owning the maintenance database, postgres_migrate becomes superuser through the superuser's healthcheck query", async () => {
        // What the platform rendered for `databases: [{ name: postgres }]` before the config refused
        // the name: the same renderer, fed a spec the config no longer lets through.
        const spec = parseSpec({ postgres: { databases: [{ name: "app" }], extensions: [] } });
        const forged: PlatformSpec = { ...spec, postgres: { ...spec.postgres, databases: [{ name: "postgres", extensions: [] }] } };
        const secrets = testSecrets(forged);
        await applyInitSql(forged, secrets);
        const owner = await server.query<{ owner: string }>(
            "SELECT pg_catalog.pg_get_userbyid(datdba) AS owner FROM pg_catalog.pg_database WHERE datname = 'postgres'",
        );
        expect(owner[0].owner).toBe("postgres_migrate");

        await plant("postgres_migrate", secrets.passwords.postgres_migrate, "postgres");
        expect(await isSuperuser("postgres_migrate")).toBe(false);
        // The superuser's periodic probe, as it was: a new session in `postgres`, unqualified names.
        const probe = await run(
            PSQL,
            ["-X", "-A", "-t", "-q", "-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-d", "postgres", "-c", OLD_HEALTHCHECK_QUERY],
            {
                env: { PGPASSWORD: superuserPassword },
            },
        );
        expect(probe.code).toBe(0);
        expect(await isSuperuser("postgres_migrate")).toBe(true);

        // Undo for the next test: the server is shared.
        await server.query("ALTER ROLE postgres_migrate NOSUPERUSER");
        await server.query("ALTER DATABASE postgres OWNER TO postgres");
        await server.query("ALTER DATABASE postgres RESET search_path");
        for (const fn of ["pg_is_in_recovery()", "format(text, text, text)", "current_setting(text)", "now()"])
            await server.query(`DROP FUNCTION public.${fn}`);
    });

    it("after the fix: the config refuses the name, saying why", () => {
        const refuse = () => parseSpec({ postgres: { databases: [{ name: "postgres" }] } });
        expect(refuse).toThrow(ConfigError);
        expect(refuse).toThrow(/pg-platform:postgres\.databases\.0\.name: is reserved: "postgres" is PostgreSQL's maintenance database/);
        for (const name of ["template0", "template1", "pgbouncer"]) expect(() => parseSpec({ postgres: { databases: [{ name }] } })).toThrow(/is reserved/);
        expect(() => parseSpec({ postgres: { roles: [{ name: "postgres", database: "app", access: "readonly" }] } })).toThrow(
            /is reserved: "postgres" is the bootstrap superuser/,
        );
    });

    it("after the fix: in a database its migrate role does own, neither the healthcheck nor the init SQL runs the owner's functions", async () => {
        // A keyword as the database name too: it must work, quoted, everywhere.
        const spec = parseSpec({ topology: "primary", postgres: { databases: [{ name: "app" }, { name: "select" }], extensions: ["pg_stat_statements"] } });
        const secrets = testSecrets(spec);
        await applyInitSql(spec, secrets);
        for (const [role, database] of [
            ["app_migrate", "app"],
            ["select_migrate", "select"],
        ]) {
            await plant(role, secrets.passwords[role], database);
            // The real healthcheck.sh, as the superuser, connected to the owner's database.
            const health = await run(path.join(IMAGE_CONTEXT_DIR, "healthcheck.sh"), ["--role", "primary"], {
                unprivileged: false,
                env: { PATH, PGHOST: "127.0.0.1", PGPORT: String(server.port), PGUSER: "postgres", PGPASSWORD: superuserPassword, PGDATABASE: database },
            });
            expect(health).toMatchObject({ code: 0, stderr: "" });
            // The init SQL again (every writer start runs it), through psql without any PGOPTIONS:
            // the script pins its own search_path after each \connect.
            await applyInitSql(spec, secrets);
            expect(await isSuperuser(role)).toBe(false);
            // The trap is real: the old unqualified query in that database does escalate.
            await run(
                PSQL,
                ["-X", "-A", "-t", "-q", "-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-d", database, "-c", OLD_HEALTHCHECK_QUERY],
                {
                    env: { PGPASSWORD: superuserPassword },
                },
            );
            expect(await isSuperuser(role)).toBe(true);
            await server.query(`ALTER ROLE "${role}" NOSUPERUSER`);
        }
        expect(loginRoles(spec)).toContain("select_app");
    });
});
