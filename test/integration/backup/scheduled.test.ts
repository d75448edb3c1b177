import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { parseSpec } from "../../../components/config";
import { ENTRYPOINT_PATH, INIT_SQL_ENV } from "../../../components/image/runtime";
import { CONTAINER_PORTS } from "../../../components/platform/constants";
import { exporterArgs, exporterEnvironment, renderServices } from "../../../components/render";
import { SUPERUSER } from "../../../components/render/hba";
import { CONTAINER_LAYOUT } from "../../../components/render/layout";
import { loginRoles } from "../../../components/render/roles";
import { CRONTAB_PATH, SCHEDULER_COMMAND, SOCKET_DIR, backupJobEnvironment, backupJobs, renderCrontab } from "../../../components/self-hosted/backup-jobs";
import { POSTGRES_OWNER } from "../../../components/self-hosted/files";
import { DATA_MOUNT, SECRET_FILES, WAL_ARCHIVE_MOUNT } from "../../../components/self-hosted/server";
import { createNetwork, createVolume, runContainer, useLocalImages, type ContainerFile, type TestContainer } from "../../helpers/containers";
import { runWriter } from "../../helpers/writer";

// Issue 13's schedules and restore verification on real containers: the platform's image (the
// stand-in built from Debian's packages) as the Docker target runs the writer, the exporter and
// the scheduler (busybox crond from the rendered crontab), and the jobs' own scripts run as the
// scheduler runs them (or a Kubernetes CronJob: the same image, user, environment and mounts).

const owner = { uid: POSTGRES_OWNER.uid, gid: POSTGRES_OWNER.gid };
// Differential every minute, so the scheduler's own run is seen within ~70 s.
const spec = parseSpec({
    target: "docker",
    // A primary (without replicas or pools): the topology that has the exporter.
    topology: "primary",
    replicas: 0,
    pooler: { enabled: false },
    postgres: { memory: "1GiB", cpus: 1 },
    backup: { schedule: { differential: "* * * * *" } },
});
const passwords = Object.fromEntries([SUPERUSER, ...loginRoles(spec)].map((role) => [role, randomBytes(18).toString("hex")]));
const services = renderServices(spec, { passwords });
const filesOf = (name: string): ContainerFile[] =>
    (services.find((service) => service.name === name)?.files ?? []).map((file) => ({ path: file.path, content: file.content, mode: file.mode, ...owner }));
const writerFiles = [...filesOf("primary"), { path: SECRET_FILES.superuserPassword, content: passwords[SUPERUSER], mode: 0o600, ...owner }];
const pgbackrestConf = writerFiles.filter((file) => file.path.endsWith("/pgbackrest.conf"));

const images = useLocalImages();
let primary: TestContainer;
let metricsPort: number;
let volumes: { name: string; path: string }[];

beforeAll(async () => {
    const network = await createNetwork();
    volumes = [
        { name: await createVolume(), path: DATA_MOUNT },
        { name: await createVolume(), path: WAL_ARCHIVE_MOUNT },
        { name: await createVolume(), path: SOCKET_DIR },
    ];
    primary = await runWriter(images.postgres, spec, {
        network,
        aliases: ["primary"],
        entrypoint: [ENTRYPOINT_PATH],
        env: { [INIT_SQL_ENV.name]: INIT_SQL_ENV.value },
        files: writerFiles,
        volumes,
    });
    const exporter = await runContainer({
        image: images.exporter,
        network,
        command: exporterArgs(CONTAINER_LAYOUT),
        env: exporterEnvironment(spec, CONTAINER_LAYOUT),
        files: filesOf("exporter").map((file) => ({ ...file, uid: 65534, gid: 65534 })),
        publish: [CONTAINER_PORTS.exporter],
    });
    metricsPort = await exporter.hostPort(CONTAINER_PORTS.exporter);
}, 1_800_000);

async function sh(container: TestContainer, script: string): Promise<string> {
    const result = await container.exec(["sh", "-ec", script], { timeoutMs: 600_000 });
    expect(result.code, `${script}\n${result.stdout}\n${result.stderr}`).toBe(0);
    return result.stdout.trim();
}

/** One job as the scheduler runs it: the image's script, as postgres, with the job environment and the writer's mounts. */
async function runJob(command: readonly string[]): Promise<{ code: number; logs: string }> {
    const job = await runContainer({
        image: images.postgres,
        user: "postgres",
        entrypoint: command,
        env: backupJobEnvironment(spec),
        files: pgbackrestConf,
        volumes,
        memoryMb: 1024,
    });
    const code = await job.waitExit(600_000);
    return { code, logs: await job.logs() };
}

async function metrics(): Promise<Map<string, number>> {
    const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const values = new Map<string, number>();
    for (const line of body.split("\n")) {
        const match = /^(pg_platform_backup_verification_[a-z_]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
        if (match) values.set(match[1], Number(match[2]));
    }
    return values;
}

const job = (kind: string) => backupJobs(spec).find((j) => j.kind === kind)?.command ?? [];

describe("scheduled backups and restore verification (Docker)", () => {
    it("the scheduler container runs the rendered crontab's job as postgres when its minute comes", async () => {
        const crontab = renderCrontab(spec);
        expect(crontab).toMatch(/^\* \* \* \* \* PGBACKREST_CONFIG=\S+ PGBACKREST_CONFIG_PATH=\S+ PGBACKREST_STANZA=pg-platform .*backup\.sh diff$/m);
        const scheduler = await runContainer({
            image: images.postgres,
            user: "root",
            entrypoint: SCHEDULER_COMMAND,
            files: [...pgbackrestConf, { path: CRONTAB_PATH, content: crontab, mode: 0o600 }],
            volumes,
        });
        const deadline = Date.now() + 75_000;
        let logs = "";
        while (Date.now() < deadline && !/backup: done: \S+/.test(logs)) {
            await new Promise((r) => setTimeout(r, 3000));
            logs = await scheduler.logs();
        }
        // No full backup existed yet, so pgBackRest took the scheduled differential as a full one.
        expect(logs).toMatch(/backup: done: \d{8}-\d{6}F/);
        const info = await sh(primary, `pgbackrest --config=${pgbackrestConf[0].path} --stanza=pg-platform info`);
        expect(info).toMatch(/full backup: \d{8}-\d{6}F/);
        await scheduler.remove();
    }, 180_000);

    it("verification restores the latest backup, checks it and the exporter reports success and the restore seconds", async () => {
        await sh(
            primary,
            `psql -XAtq -v ON_ERROR_STOP=1 -d app -c "CREATE TABLE items AS SELECT g AS id, repeat('x', 200) AS filler FROM generate_series(1, 150000) g; CREATE TABLE small (id int PRIMARY KEY); INSERT INTO small SELECT generate_series(1, 10)"`,
        );
        const size = await sh(primary, 'psql -XAtq -c "SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database"');
        const backup = await runJob(job("full"));
        expect(backup.code, backup.logs).toBe(0);
        // Rows written after the backup are in the restore too (archived WAL replayed to its end).
        await sh(primary, `psql -XAtq -d app -c "INSERT INTO small SELECT generate_series(11, 20)"`);
        const started = Date.now() / 1000;
        const verify = await runJob(job("verify"));
        expect(verify.code, verify.logs).toBe(0);
        expect(verify.logs).toMatch(/verify-restore: verified \d{8}-\d{6}F/);
        const m = await metrics();
        expect(m.get("pg_platform_backup_verification_success")).toBe(1);
        expect(m.get("pg_platform_backup_verification_last_success_timestamp_seconds")).toBeGreaterThan(started);
        const restoreSeconds = m.get("pg_platform_backup_verification_restore_seconds") ?? 0;
        expect(restoreSeconds).toBeGreaterThan(0);
        console.log(
            `restore verification: cluster ${size}; restore + recovery + open ${restoreSeconds.toFixed(1)} s; whole job ${m.get("pg_platform_backup_verification_duration_seconds")?.toFixed(1)} s (1 shared CPU)`,
        );
    }, 900_000);

    it("a damaged file in the repository: verification fails, and the exporter says so", async () => {
        const before = (await metrics()).get("pg_platform_backup_verification_last_success_timestamp_seconds");
        // Overwrite the middle of the latest backup's largest file (compressed data pgBackRest checksums).
        await sh(
            primary,
            `f=$(find ${WAL_ARCHIVE_MOUNT}/backup -path '*/pg_data/*' -type f -printf '%s %p\\n' | sort -n | tail -n 1 | cut -d' ' -f2-); ` +
                `s=$(stat -c %s "$f"); printf 'damaged by the test' | dd of="$f" bs=1 seek=$((s / 2)) conv=notrunc status=none`,
        );
        const verify = await runJob(job("verify"));
        expect(verify.code).not.toBe(0);
        expect(verify.logs).toMatch(/verify-restore: FAILED: pgbackrest restore failed/);
        const m = await metrics();
        expect(m.get("pg_platform_backup_verification_success")).toBe(0);
        expect(m.get("pg_platform_backup_verification_last_success_timestamp_seconds")).toBe(before);
    }, 900_000);
});
