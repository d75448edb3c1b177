import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IMAGE_CONTEXT_DIR } from "../../../components/image";
import { PLATFORM_ROLES } from "../../../components/platform/constants";
import { initCluster, startPostgres, type PgServer } from "../../../cli/local/postgres";
import { replicaBootstrapEnv } from "../../helpers/replica-bootstrap";
import { PG_BIN, giveToServiceUser, run, scratchDir, stopAll, waitFor, writeServiceFile } from "../../../cli/local/processes";

// Issue 13, replicas after a restore: the primary restored to an earlier point keeps its system
// identifier but starts a new timeline; a standby that had replayed past that point can never
// follow it. replica-bootstrap.sh (the replica's entrypoint on every start) must clone it again
// instead of starting it as it is. Real PostgreSQL 15 processes: a primary, its standby, and a
// base backup of the primary promoted at its end as the "restored" primary.

const BOOTSTRAP = path.join(IMAGE_CONTEXT_DIR, "replica-bootstrap.sh");
const SLOT = "replica_1";
const PASSWORD = "rejoin-password-42";

afterAll(stopAll);

function bootstrap(pgdata: string, primary: PgServer, passwordFile: string) {
    return run(BOOTSTRAP, [], {
        env: replicaBootstrapEnv({ pgdata, primaryPort: primary.port, passwordFile, slot: SLOT }, PG_BIN[15]),
        timeoutMs: 120_000,
    });
}

const ids = async (server: PgServer) => (await server.query<{ id: number }>("SELECT id FROM t ORDER BY id")).map((r) => r.id);

describe("replica-bootstrap.sh after the primary was restored to an earlier point", () => {
    it("clones a standby again when it went past the point where the primary's new timeline began", async () => {
        const cluster = await initCluster({ version: 15 });
        const primary = await startPostgres({ version: 15, ...cluster, settings: { wal_level: "replica", max_wal_senders: "5" } });
        await primary.query(`CREATE ROLE ${PLATFORM_ROLES.replication} LOGIN REPLICATION PASSWORD '${PASSWORD}'`);
        await primary.query("SELECT pg_create_physical_replication_slot($1)", [SLOT]);
        await primary.query("CREATE TABLE t (id int PRIMARY KEY)");
        await primary.query("INSERT INTO t SELECT generate_series(1, 10)");
        const passwordFile = path.join(scratchDir("secret"), "replication-password");
        writeServiceFile(passwordFile, `${PASSWORD}\n`);

        // The "backup" the primary is later restored from: rows 1-10.
        const restoredDir = path.join(scratchDir("restored"), "data");
        fs.mkdirSync(path.dirname(restoredDir), { recursive: true });
        giveToServiceUser(path.dirname(restoredDir));
        const backup = await run(
            path.join(PG_BIN[15], "pg_basebackup"),
            ["-D", restoredDir, "-X", "stream", "-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-w"],
            {
                env: { PATH: `${PG_BIN[15]}:${process.env.PATH}`, PGPASSWORD: primary.superuserPassword },
                timeoutMs: 120_000,
            },
        );
        expect(backup.code, backup.stderr).toBe(0);

        // The standby follows the primary past that point (rows 11-20), to a restartpoint beyond it.
        const replicaDir = path.join(scratchDir("replica"), "data");
        fs.mkdirSync(replicaDir, { recursive: true, mode: 0o700 });
        giveToServiceUser(path.dirname(replicaDir));
        giveToServiceUser(replicaDir);
        expect((await bootstrap(replicaDir, primary, passwordFile)).code).toBe(0);
        let replica = await startPostgres({ version: 15, dataDir: replicaDir, superuserPassword: primary.superuserPassword });
        await primary.query("INSERT INTO t SELECT generate_series(11, 20)");
        await primary.query("CHECKPOINT");
        await waitFor("the standby replays rows 11-20", async () => ((await ids(replica)).length === 20 ? true : undefined));
        await replica.query("CHECKPOINT");
        await replica.stop();
        await primary.stop();

        // The restore: the backup recovers to its end (its WAL is in pg_wal: no archive) and is promoted (timeline 2, rows 1-10);
        // its recovery settings stay in postgresql.auto.conf, as pgBackRest's restore leaves them.
        fs.appendFileSync(
            path.join(restoredDir, "postgresql.auto.conf"),
            "restore_command = 'false'\nrecovery_target = 'immediate'\nrecovery_target_action = 'promote'\n",
        );
        writeServiceFile(path.join(restoredDir, "recovery.signal"), "");
        const restored = await startPostgres({ version: 15, dataDir: restoredDir, superuserPassword: primary.superuserPassword });
        await waitFor("the restored primary is promoted", async () =>
            (await restored.query<{ r: boolean }>("SELECT pg_is_in_recovery() AS r"))[0].r === false ? true : undefined,
        );
        await restored.query("CHECKPOINT");
        await restored.query("SELECT pg_create_physical_replication_slot($1)", [SLOT]);
        expect(await ids(restored)).toHaveLength(10);

        // The replica's next start: cloned again, it streams from the restored primary.
        const rejoin = await bootstrap(replicaDir, restored, passwordFile);
        expect(rejoin.code, rejoin.stderr).toBe(0);
        expect(rejoin.stderr).toContain("went past the point where the primary's timeline began");
        replica = await startPostgres({ version: 15, dataDir: replicaDir, superuserPassword: primary.superuserPassword });
        await restored.query("INSERT INTO t VALUES (100)");
        await waitFor("the re-cloned standby replays the restored primary's writes", async () => ((await ids(replica)).includes(100) ? true : undefined));
        expect(await ids(replica)).toEqual([...Array.from({ length: 10 }, (_, i) => i + 1), 100]);

        // A later start finds a standby on the primary's timeline: nothing is cloned.
        await replica.stop();
        const again = await bootstrap(replicaDir, restored, passwordFile);
        expect(again.stderr).toContain("is already a standby; starting it without cloning");
    }, 600_000);
});
