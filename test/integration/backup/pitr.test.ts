import { Client } from "pg";
import { describe, expect, it } from "vitest";
import { parseSpec, type PlatformSpec } from "../../../components/config";
import { ENTRYPOINT_PATH, INIT_SQL_ENV } from "../../../components/image/runtime";
import { CONTAINER_PORTS } from "../../../components/platform/constants";
import { CONTAINER_LAYOUT } from "../../../components/render/layout";
import { containerPgdata, pgbackrestCommand } from "../../../components/render/pgbackrest";
import { DATA_MOUNT, WAL_ARCHIVE_MOUNT } from "../../../components/self-hosted/server";
import { endpointRoles } from "../../../components/self-hosted/services";
import { createVolume, docker, runContainer, useLocalImages, type TestContainer } from "../../helpers/containers";
import { psqlIn, randomPasswords, runWriter, sh, writerFiles } from "../../helpers/writer";

// Issue 13 on real containers: the platform's image (the stand-in built from Debian's packages,
// pgBackRest 2.60) run as the Docker target runs a single node, with the rendered
// pgbackrest.conf and the writer's archive_command through pgBackRest; a full backup, then
// restores into NEW data volumes from the repository volume alone.

const PGDATA = containerPgdata(18);
const pgbackrest = pgbackrestCommand(CONTAINER_LAYOUT);

function stack(archiveTimeoutSeconds: number) {
    const spec = parseSpec({
        target: "docker",
        postgres: { memory: "1GiB", cpus: 1, extensions: ["pg_stat_statements", "pgaudit"] },
        backup: { archiveTimeoutSeconds },
    });
    const passwords = randomPasswords(spec);
    return { spec, passwords, files: writerFiles(spec, passwords), roles: endpointRoles(spec) };
}
type Stack = ReturnType<typeof stack>;

const images = useLocalImages();

/** The writer as the Docker target runs it: entrypoint, rendered files, data and repository volumes. */
async function writer(
    s: Stack,
    data: string,
    repository: string,
    options: { initSql: boolean; spec?: PlatformSpec } = { initSql: true },
): Promise<TestContainer> {
    return runWriter(images.postgres, options.spec ?? s.spec, {
        entrypoint: [ENTRYPOINT_PATH],
        env: options.initSql ? { [INIT_SQL_ENV.name]: INIT_SQL_ENV.value } : {},
        files: s.files,
        volumes: [
            { name: data, path: DATA_MOUNT },
            { name: repository, path: WAL_ARCHIVE_MOUNT },
        ],
        publish: [CONTAINER_PORTS.postgres],
    });
}

const psql = psqlIn("app");

/** Full backup after the stanza exists (the archiver may be creating it at the same moment). */
async function fullBackup(server: TestContainer): Promise<number> {
    await sh(server, `for i in 1 2 3 4 5; do ${pgbackrest} stanza-create && break; sleep 2; done; ${pgbackrest} check`);
    const started = Date.now();
    await sh(server, `${pgbackrest} --type=full backup`);
    return (Date.now() - started) / 1000;
}

/** Restores the repository into a fresh data volume (a one-shot container), then starts a server on it without archiving. */
async function restore(s: Stack, repository: string, options: string): Promise<{ server: TestContainer; seconds: number }> {
    const data = await createVolume();
    const started = Date.now();
    const job = await runContainer({
        image: images.postgres,
        entrypoint: ["sh", "-ec"],
        command: [`mkdir -p ${PGDATA} && chmod 0700 ${PGDATA} && ${pgbackrest} ${options} restore`],
        files: s.files,
        volumes: [
            { name: data, path: DATA_MOUNT },
            { name: repository, path: WAL_ARCHIVE_MOUNT },
        ],
        memoryMb: 1024,
    });
    const code = await job.waitExit(600_000);
    expect(code, await job.logs()).toBe(0);
    const noArchive = parseSpec({
        ...{ target: "docker", postgres: { memory: "1GiB", cpus: 1, extensions: ["pg_stat_statements", "pgaudit"] } },
        backup: { enabled: false },
    });
    const server = await writer(s, data, repository, { initSql: false, spec: noArchive });
    // Recovery done and promoted: the server takes writes again.
    for (let i = 0; i < 120 && (await psql(server, "SELECT pg_is_in_recovery()")).trim() !== "f"; i++) await new Promise((r) => setTimeout(r, 1000));
    const seconds = (Date.now() - started) / 1000;
    expect((await psql(server, "SELECT pg_is_in_recovery()")).trim()).toBe("f");
    return { server, seconds };
}

describe("point-in-time restore from the pgBackRest repository", () => {
    it("restores to a recorded time T into a new data volume: every row committed before T, none after", async () => {
        const s = stack(60);
        const repository = await createVolume();
        const primary = await writer(s, await createVolume(), repository);
        // A fixed size for the restore figure: ~200k rows of 200 bytes (about 60 MB on disk).
        await psql(
            primary,
            "CREATE TABLE big AS SELECT g AS id, repeat('x', 200) AS filler FROM generate_series(1, 200000) g; CREATE TABLE t (id int PRIMARY KEY, phase text NOT NULL);",
        );
        const size = (await psql(primary, "SELECT pg_size_pretty(pg_database_size('app'))")).trim();
        const backupSeconds = await fullBackup(primary);

        for (let i = 1; i <= 50; i++) await psql(primary, `INSERT INTO t VALUES (${i}, 'before')`);
        const target = (await psql(primary, "SELECT clock_timestamp()")).trim();
        await new Promise((r) => setTimeout(r, 1500));
        for (let i = 51; i <= 100; i++) await psql(primary, `INSERT INTO t VALUES (${i}, 'after')`);
        // The segment holding T and the later writes reaches the repository.
        await sh(primary, `psql -XAtq -c 'SELECT pg_switch_wal()' && ${pgbackrest} check`);
        await primary.remove();

        const { server, seconds } = await restore(s, repository, `--type=time "--target=${target}" --target-action=promote`);
        const rows = (await psql(server, "SELECT phase, count(*), min(id), max(id) FROM t GROUP BY phase ORDER BY phase")).trim();
        expect(rows).toBe("before|50|1|50");
        expect((await psql(server, "SELECT count(*) FROM big")).trim()).toBe("200000");
        console.log(
            `PITR: database ${size}; full backup ${backupSeconds.toFixed(1)} s; restore to T and promote ${seconds.toFixed(1)} s (pgBackRest restore + recovery + start, 1 CPU, this machine)`,
        );
    }, 900_000);

    it("a lost data volume: restore from the repository, count committed writes lost against archive_timeout", async () => {
        const archiveTimeout = 30;
        const s = stack(archiveTimeout);
        const repository = await createVolume();
        const data = await createVolume();
        const primary = await writer(s, data, repository);
        await psql(
            primary,
            `CREATE TABLE w (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp()); GRANT INSERT, SELECT ON w TO ${s.roles.application};`,
        );
        await fullBackup(primary);

        const client = new Client({
            host: "127.0.0.1",
            port: await primary.hostPort(CONTAINER_PORTS.postgres),
            user: s.roles.application,
            password: s.passwords[s.roles.application],
            database: s.roles.database,
        });
        await client.connect();
        client.on("error", () => undefined);
        const committed: { id: number; at: number }[] = [];
        // Writes every ~100 ms for 2.5 archive_timeouts, then the primary and its volume are gone.
        const until = Date.now() + archiveTimeout * 2500;
        for (let id = 1; Date.now() < until; id++) {
            await client.query("INSERT INTO w (id) VALUES ($1)", [id]);
            committed.push({ id, at: Date.now() });
            await new Promise((r) => setTimeout(r, 100));
        }
        const lostAt = Date.now();
        await docker(["rm", "-f", primary.name]);
        await client.end().catch(() => undefined);
        const removed = await docker(["volume", "rm", data]);
        expect(removed.code, removed.stderr).toBe(0);

        const { server, seconds } = await restore(s, repository, "--type=default");
        const [count, max] = (await psql(server, "SELECT count(*), coalesce(max(id), 0) FROM w")).trim().split("|").map(Number);
        // What is restored is exactly a prefix of what was committed: no holes, nothing invented.
        expect(count).toBe(max);
        expect(max).toBeLessThanOrEqual(committed.length);
        const last = committed[committed.length - 1];
        const lastKept = committed.find((c) => c.id === max);
        const rpo = lastKept ? (last.at - lastKept.at) / 1000 : (lostAt - committed[0].at) / 1000;
        console.log(
            `lost volume: ${committed.length} writes committed, ${max} restored, ${committed.length - max} lost = ${rpo.toFixed(1)} s of committed writes ` +
                `(archive_timeout ${archiveTimeout} s; seed 002's RPO 5 min, seed 003's 1 min); restore ${seconds.toFixed(1)} s`,
        );
    }, 900_000);
});
