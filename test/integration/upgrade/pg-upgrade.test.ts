import { beforeAll, describe, expect, it } from "vitest";
import { UPGRADE_CLUSTER_PATH } from "../../../components/image/runtime";
import { POSTGRES_OWNER } from "../../../components/self-hosted/files";
import { DATA_MOUNT, SECRET_FILES } from "../../../components/self-hosted/server";
import { createVolume, runContainer, useLocalImages, type TestContainer } from "../../helpers/containers";
import { COLUMN_OPTIONS_SQL, ONLY_17_EXTENSION_SCRIPT } from "../../helpers/upgrade";

// Issue 14, the slice proven here: the image's upgrade-cluster.sh takes a PostgreSQL 17 cluster
// (Debian trixie's 17.12) to 18 (sid's 18.6) with pg_upgrade --link on the same volume, in the
// platform's 18 image built for an upgrade from 17 (postgres.upgradeFrom: both majors). The 17 cluster is made with initdb (SCRAM,
// as the entrypoint makes it) and its settings with ALTER SYSTEM, not from the platform's
// rendered files (those pass config_file on the command line; PG_UPGRADE_*_OPTIONS carries that,
// untested here). A logical slot (test_decoding, consumer caught up) is carried over; not
// covered yet: a pgoutput CDC consumer connected across the upgrade, replicas.
// Found here: Debian trixie's 17.12 writes pg_attver=<n> into every column's attoptions, which
// 18's pg_dump carries over and 18 refuses mid-upgrade; --check does not see it.

const BIN = (major: number) => `/usr/lib/postgresql/${major}/bin`;
const PGDATA = (major: number) => `${DATA_MOUNT}/${major}/docker`;
const ROWS = 500_000;
// The settings that must survive (ALTER SYSTEM in 17: postgresql.auto.conf).
const SETTINGS: Record<string, string> = {
    wal_level: "logical",
    password_encryption: "scram-sha-256",
    shared_preload_libraries: "pg_cron,pg_stat_statements",
    max_slot_wal_keep_size: "1GB",
    "cron.database_name": "app",
};

const images = useLocalImages();
let box: TestContainer;

async function sh(script: string, timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
    const result = await box.exec(["bash", "-c", `set -euo pipefail\n${script}`], { user: "postgres", timeoutMs });
    return { code: result.code ?? -1, stdout: result.stdout, stderr: result.stderr };
}
async function ok(script: string, timeoutMs?: number): Promise<string> {
    const result = await sh(script, timeoutMs);
    expect(result.code, `${script}\n${result.stderr}\n${result.stdout}`).toBe(0);
    return result.stdout;
}
const start = (major: number) => ok(`${BIN(major)}/pg_ctl -D ${PGDATA(major)} -l /tmp/pg${major}.log -w -t 120 start >/dev/null`);
const stop = (major: number) => ok(`${BIN(major)}/pg_ctl -D ${PGDATA(major)} -w -t 120 -m fast stop >/dev/null`);
const psql = (sql: string, db = "app") => ok(`psql -XAtq -v ON_ERROR_STOP=1 -d ${db} <<'SQL'\n${sql}\nSQL`);
/** What is on the volume, but the image's `data` link to the volume itself (the official layout from 18). */
const volumeEntries = async () => (await ok(`find ${DATA_MOUNT} -mindepth 1 -maxdepth 1 ! -type l -printf '%f\\n'`)).split("\n").filter(Boolean).sort();
const upgrade = (args: string, env = "") => sh(`${env} POSTGRES_PASSWORD_FILE=${SECRET_FILES.superuserPassword} ${UPGRADE_CLUSTER_PATH} ${args}`);
// Debian trixie's 17.12 stores pg_attver=<n> in every column's attoptions; 18's pg_dump carries it
// over and 18 refuses it: pg_upgrade fails after --check passed, unless the script removes them.
const RESET = "PG_UPGRADE_RESET_COLUMN_OPTIONS=true";
/** What must be the same after the upgrade, read the same way from 17 and 18. */
async function survivalList(): Promise<Record<string, string>> {
    return {
        rows: await psql("SELECT count(*) || ' ' || sum(id) || ' ' || md5(string_agg(payload, '' ORDER BY id)) FROM items"),
        verifiers: await psql(
            "SELECT string_agg(rolname || '=' || rolpassword, ' ' ORDER BY rolname) FROM pg_authid WHERE rolname IN ('app', 'reader', 'postgres')",
            "postgres",
        ),
        grants: await psql(
            "SELECT string_agg(grantee || ':' || privilege_type, ',' ORDER BY grantee, privilege_type) FROM information_schema.role_table_grants WHERE table_name = 'items'",
        ),
        defaultPrivileges: await psql(
            "SELECT string_agg(pg_get_userbyid(defaclrole) || ' ' || defaclobjtype::text || ' ' || defaclacl::text, ';' ORDER BY 1) FROM pg_default_acl",
        ),
        cron: await psql(
            "SELECT string_agg(jobname || '|' || schedule || '|' || command || '|' || database || '|' || username, ';' ORDER BY jobid) FROM cron.job",
        ),
        settings: await psql(
            `SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM unnest(ARRAY[${Object.keys(SETTINGS)
                .map((name) => `'${name}'`)
                .join(",")}]) AS name`,
        ),
        extensions: await psql("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension"),
    };
}

let before: Record<string, string>;

beforeAll(async () => {
    box = await runContainer({
        image: images.postgresFrom17,
        entrypoint: ["sleep"],
        command: ["infinity"],
        files: [{ path: SECRET_FILES.superuserPassword, content: "superuser-secret\n", mode: 0o600, uid: POSTGRES_OWNER.uid, gid: POSTGRES_OWNER.gid }],
        volumes: [{ name: await createVolume(), path: DATA_MOUNT }],
        memoryMb: 2048,
        shmSizeMb: 256,
    });
    // A 17 cluster as the entrypoint makes one: SCRAM for host connections, peer locally.
    await ok(
        `mkdir -p ${DATA_MOUNT}/17 && ${BIN(17)}/initdb -D ${PGDATA(17)} -U postgres --pwfile=${SECRET_FILES.superuserPassword} --auth-host=scram-sha-256 --auth-local=peer --encoding=UTF8 --locale=en_US.utf8 >/dev/null`,
    );
    await ok(
        `cat >>${PGDATA(17)}/postgresql.auto.conf <<'EOF'\n${Object.entries(SETTINGS)
            .map(([name, value]) => `${name} = '${value}'`)
            .join("\n")}\nEOF`,
    );
    await start(17);
    await psql(`CREATE ROLE app LOGIN PASSWORD 'app-secret'; CREATE ROLE reader LOGIN PASSWORD 'reader-secret'; CREATE DATABASE app OWNER app;`, "postgres");
    await psql(`
        CREATE EXTENSION pg_stat_statements;
        CREATE EXTENSION pg_cron;
        SET ROLE app;
        CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL);
        INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, ${ROWS}) AS i;
        GRANT SELECT ON items TO reader;
        ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO reader;
        RESET ROLE;
        SELECT cron.schedule('nightly-vacuum', '0 3 * * *', 'VACUUM items');
        ANALYZE items;`);
    before = await survivalList();
    expect(before.verifiers).toMatch(/app=SCRAM-SHA-256\$4096:/);
    expect(before.cron).toBe("nightly-vacuum|0 3 * * *|VACUUM items|app|postgres\n");
    expect((await psql("SELECT version()")).startsWith("PostgreSQL 17.")).toBe(true);
}, 1_800_000);

describe("upgrade-cluster.sh, PostgreSQL 17 -> 18 on one volume", () => {
    it("refuses a downgrade and a same-major run before touching anything", async () => {
        await stop(17);
        const down = await upgrade("18 17");
        expect(down.code).toBe(1);
        expect(down.stderr).toMatch(/^upgrade-cluster: a downgrade from 18 to 17 is refused/);
        const same = await upgrade("17 17");
        expect(same.code).toBe(1);
        expect(same.stderr).toMatch(/^upgrade-cluster: the cluster is already PostgreSQL 17/);
        await start(17);
        const running = await upgrade("17 18");
        expect(running.code).toBe(1);
        expect(running.stderr).toMatch(/has a postmaster\.pid: stop the PostgreSQL 17 server/);
    });

    it("refuses column options 18 refuses (Debian 17.12's pg_attver), which pg_upgrade --check does not see", async () => {
        expect(await psql("SELECT count(*) > 0 FROM pg_attribute WHERE attrelid = 'items'::regclass AND attoptions::text LIKE '%pg_attver=%'")).toBe("t\n");
        await stop(17);
        const refused = await upgrade("--rehearse 17 18");
        expect(refused.code).toBe(1);
        expect(refused.stderr.trim().split("\n").at(-1)).toMatch(
            /^upgrade-cluster: database app has \d+ column option\(s\) PostgreSQL 18 refuses \(pg_attver\)/,
        );
        expect(await volumeEntries()).toEqual(["17"]);
        await start(17);
        expect(await psql("SELECT count(*) > 0 FROM pg_attribute WHERE attrelid = 'items'::regclass AND attoptions::text LIKE '%pg_attver=%'")).toBe("t\n");
    });

    it("a failing pg_upgrade --check (a library only 17 has) prints the report, upgrades nothing, and 17 serves again", async () => {
        await box.exec(["bash", "-c", ONLY_17_EXTENSION_SCRIPT], { user: "root" });
        await psql("CREATE DATABASE scratch", "postgres");
        await psql("CREATE EXTENSION only17", "scratch");
        await stop(17);
        const failed = await upgrade("17 18", RESET);
        expect(failed.code).toBe(1);
        expect(failed.stderr).toMatch(/loadable libraries/);
        expect(failed.stderr).toMatch(/only17/);
        expect(failed.stderr.trim().split("\n").at(-1)).toMatch(
            /^upgrade-cluster: pg_upgrade --check from 17 to 18 failed \(report above\); nothing was upgraded, the new cluster was removed/,
        );
        expect(await volumeEntries()).toEqual(["17"]);
        expect((await sh(`test -f ${PGDATA(17)}/global/pg_control`)).code).toBe(0);
        await start(17);
        expect(await survivalList()).toEqual(before);
        await psql("DROP DATABASE scratch", "postgres");
    });

    it("--rehearse runs the whole upgrade on a copy and leaves the live cluster as it was", async () => {
        // A table made now carries 17.12's pg_attver again: removed on the copy only.
        await psql("CREATE TABLE fresh (id int); GRANT SELECT ON fresh TO reader;");
        await stop(17);
        const rehearsal = await upgrade("--rehearse 17 18", RESET);
        expect(rehearsal.code, rehearsal.stderr).toBe(0);
        expect(rehearsal.stderr).toMatch(/pg_upgrade --check passed/);
        expect(rehearsal.stderr).toMatch(/rehearsal passed in \d+ s on a copy .*the live cluster was not changed/);
        expect(await volumeEntries()).toEqual(["17"]);
        expect((await sh(`test -f ${PGDATA(17)}/global/pg_control`)).code).toBe(0);
        await start(17);
        expect(await survivalList()).toEqual(before);
        // The options were removed on the copy only.
        expect(await psql("SELECT count(*) > 0 FROM pg_attribute WHERE attrelid = 'fresh'::regclass AND attoptions::text LIKE '%pg_attver=%'")).toBe("t\n");
    });

    it("upgrades with --link: data, SCRAM verifiers, grants, default privileges, the pg_cron job, the settings and a caught-up logical slot survive", async () => {
        // A logical slot with a consumer that has read everything (17+ pg_upgrade carries it over).
        await psql("CREATE TABLE events (id int PRIMARY KEY, what text); SELECT 'created' FROM pg_create_logical_replication_slot('cdc', 'test_decoding');");
        await psql("INSERT INTO events VALUES (1, 'before-upgrade')");
        // With a logical slot the script will not remove 17.12's column options itself (that WAL
        // would come after the consumer's last read): the README's statement, run live, first.
        expect(await psql("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL) WHERE data LIKE '%before-upgrade%'")).toBe("1\n");
        await stop(17);
        const refused = await upgrade("17 18", RESET);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/and the cluster has 1 logical slot\(s\): remove the options with the server running/);
        await start(17);
        await psql(COLUMN_OPTIONS_SQL);
        expect(await psql("SELECT count(*) FROM pg_logical_slot_get_changes('cdc', NULL, NULL)")).not.toBe("0\n");
        // Downtime: from the 17 server's stop to the first answer of 18.
        const began = Date.now();
        await stop(17);
        const upgraded = await upgrade("17 18", RESET);
        expect(upgraded.code, upgraded.stderr).toBe(0);
        await start(18);
        expect(await psql("SELECT 1")).toBe("1\n");
        const downtimeMs = Date.now() - began;
        console.log(
            `downtime 17 -> 18 (pg_upgrade --link, ${ROWS} rows, ${(await psql("SELECT pg_size_pretty(pg_database_size('app'))")).trim()}): ${(downtimeMs / 1000).toFixed(1)} s`,
        );
        console.log(upgraded.stderr.trim());

        expect(await psql("SELECT current_setting('server_version_num')::int / 10000")).toBe("18\n");
        const after = await survivalList();
        expect(after).toEqual(before);
        for (const [name, value] of Object.entries(SETTINGS)) expect(after.settings).toContain(`${name}=${value}`);
        // Statistics: 18's pg_upgrade carried them over (items has column statistics at once).
        expect(await psql("SELECT count(*) > 0 FROM pg_stats WHERE tablename = 'items'")).toBe("t\n");
        // The SCRAM login of an application role still works over TCP.
        expect(await ok(`PGPASSWORD=app-secret psql -XAtq -h 127.0.0.1 -U app -d app -c 'SELECT count(*) FROM items'`)).toBe(`${ROWS}\n`);
        // The slot came over; the change made after the upgrade arrives, the one before does not again.
        expect(await psql("SELECT slot_name || ' ' || plugin || ' ' || slot_type FROM pg_replication_slots")).toBe("cdc test_decoding logical\n");
        await psql("INSERT INTO events VALUES (2, 'after-upgrade')");
        const changes = await psql("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL) WHERE data LIKE 'table public.events:%'");
        expect(changes).toBe("table public.events: INSERT: id[integer]:2 what[text]:'after-upgrade'\n");
        // The old cluster is kept, and the rollback note written.
        expect((await sh(`test -d ${PGDATA(17)} && test -f ${PGDATA(17)}/global/pg_control.old`)).code).toBe(0);
        expect(await ok(`cat ${DATA_MOUNT}/UPGRADE-17-to-18.txt`)).toMatch(/Rollback[\s\S]*pg_control\.old[\s\S]*rm -rf \/var\/lib\/postgresql\/17/);
        // A second run refuses: the new directory is in use.
        await stop(18);
        const again = await upgrade("17 18", RESET);
        expect(again.code).toBe(1);
        expect(again.stderr).toMatch(/pg_control is missing \(pg_control\.old there means an earlier --link upgrade/);
    });
});
