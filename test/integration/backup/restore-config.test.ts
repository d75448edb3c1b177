import { describe, expect, it } from "vitest";
import { parseSpec, type PlatformSpec } from "../../../components/config";
import { ENTRYPOINT_PATH } from "../../../components/image/runtime";
import { CONTAINER_LAYOUT } from "../../../components/render/layout";
import { pgbackrestCommand } from "../../../components/render/pgbackrest";
import { restoreEnvironment, writerEntrypoint } from "../../../components/self-hosted/restore";
import { DATA_MOUNT, WAL_ARCHIVE_MOUNT } from "../../../components/self-hosted/server";
import { createVolume, docker, useLocalImages, type TestContainer } from "../../helpers/containers";
import { psqlIn, randomPasswords, runWriter, sh, writerFiles } from "../../helpers/writer";

// Issue 13, restore as configuration on real containers: a stack whose writer starts on an EMPTY
// data volume with `backup.restore` set runs the image's restore-from-backup.sh before its
// entrypoint (the entrypoint and environment the self-hosted targets give it) and comes up
// from the repository at the target instead of initdb; then it archives on its new timeline
// into the repository, and a restart restores nothing again.

const pgbackrest = pgbackrestCommand(CONTAINER_LAYOUT);
const BASE = { target: "docker", postgres: { memory: "1GiB", cpus: 1, extensions: ["pg_stat_statements", "pgaudit"] } };

const images = useLocalImages();

const passwords = randomPasswords(parseSpec(BASE));

/** The writer as the Docker target runs it for `spec`: its entrypoint, environment, files and volumes. */
async function writer(spec: PlatformSpec, data: string, repository: string): Promise<TestContainer> {
    return runWriter(images.postgres, spec, {
        entrypoint: writerEntrypoint(spec),
        env: Object.fromEntries(restoreEnvironment(spec).map((e) => [e.name, e.value])),
        files: writerFiles(spec, passwords),
        volumes: [
            { name: data, path: DATA_MOUNT },
            { name: repository, path: WAL_ARCHIVE_MOUNT },
        ],
        healthyWithinMs: 300_000,
    });
}

// The superuser's own database: no init SQL needed for what this proves.
const psql = psqlIn("postgres");

async function promoted(server: TestContainer): Promise<void> {
    for (let i = 0; i < 120 && (await psql(server, "SELECT pg_is_in_recovery()")).trim() !== "f"; i++) await new Promise((r) => setTimeout(r, 1000));
    expect((await psql(server, "SELECT pg_is_in_recovery()")).trim()).toBe("f");
}

describe("backup.restore: a writer starts from the repository instead of initdb", () => {
    it("restores to a time T on an empty volume (rows before T, none after), archives on its new timeline, and restores nothing on a restart", async () => {
        const source = parseSpec(BASE);
        const repository = await createVolume();
        const primary = await writer(source, await createVolume(), repository);
        await psql(primary, "CREATE TABLE t (id int PRIMARY KEY, phase text NOT NULL)");
        await sh(
            primary,
            `for i in $(seq 30); do ${pgbackrest} stanza-create && break; sleep 2; done; ${pgbackrest} check && ${pgbackrest} --type=full backup`,
        );
        for (let i = 1; i <= 20; i++) await psql(primary, `INSERT INTO t VALUES (${i}, 'before')`);
        const target = (
            await psql(
                primary,
                "SELECT to_char((date_trunc('milliseconds', clock_timestamp()) + interval '1 ms') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
            )
        ).trim();
        await new Promise((r) => setTimeout(r, 1500));
        for (let i = 21; i <= 40; i++) await psql(primary, `INSERT INTO t VALUES (${i}, 'after')`);
        await sh(primary, `psql -XAtq -c 'SELECT pg_switch_wal()' && ${pgbackrest} check`);
        await primary.remove();

        // The same stack, its data volume lost: configured to restore to T from its own repository.
        const restoring = parseSpec({ ...BASE, backup: { restore: { target: { time: target } } } });
        expect(writerEntrypoint(restoring)[1]).toBe(ENTRYPOINT_PATH);
        const data = await createVolume();
        const started = Date.now();
        const server = await writer(restoring, data, repository);
        await promoted(server);
        const seconds = (Date.now() - started) / 1000;
        expect((await psql(server, "SELECT phase, count(*), min(id), max(id) FROM t GROUP BY phase ORDER BY phase")).trim()).toBe("before|20|1|20");
        expect(await server.logs()).toContain("restore-from-backup: restoring");

        // It archives again, on the timeline the promotion began, into the same repository.
        await psql(server, "INSERT INTO t VALUES (100, 'after restore')");
        await sh(server, `psql -XAtq -c 'SELECT pg_switch_wal()' && ${pgbackrest} check`);
        expect(Number((await psql(server, "SELECT timeline_id FROM pg_control_checkpoint()")).trim())).toBeGreaterThan(1);

        // A restart finds a cluster: nothing is restored, the row written after the restore stays.
        const restarted = await docker(["restart", server.name]);
        expect(restarted.code, restarted.stderr).toBe(0);
        await server.waitHealthy(300_000);
        expect((await psql(server, "SELECT count(*) FROM t WHERE id = 100")).trim()).toBe("1");
        expect(await server.logs()).toContain("a restart, nothing to restore");
        console.log(`restore as configuration: empty volume to promoted writer at T in ${seconds.toFixed(1)} s (small database, 1 CPU, this machine)`);
    }, 1_800_000);
});
