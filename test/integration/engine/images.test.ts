import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { parseSpec } from "../../../components/config";
import { HEALTHCHECK_PATH, ENTRYPOINT_PATH, INIT_SQL_ENV, SERVER_ENV, healthcheckArgs } from "../../../components/image/runtime";
import { CONTAINER_PORTS } from "../../../components/platform/constants";
import { PGBOUNCER_IMAGE, POSTGRES_EXPORTER_IMAGE, type PinnedImage } from "../../../components/platform/images";
import { renderServices } from "../../../components/render";
import { exporterArgs, exporterEnvironment } from "../../../components/render/exporter";
import { SUPERUSER } from "../../../components/render/hba";
import { CONTAINER_LAYOUT, SERVICE_HOSTS, filePaths } from "../../../components/render/layout";
import { loginRoles } from "../../../components/render/roles";
import { POSTGRES_OWNER, type FileOwner } from "../../../components/self-hosted/files";
import { DATA_MOUNT, SECRET_FILES, postgresCommand } from "../../../components/self-hosted/server";
import { endpointRoles } from "../../../components/self-hosted/services";
import {
    createNetwork,
    createVolume,
    docker,
    engineStatus,
    runContainer,
    useLocalImages,
    type ContainerFile,
    type TestContainer,
} from "../../helpers/containers";

// The engine scripts/docker-engine.sh starts and the images scripts/build-images.sh makes from
// Debian's packages, run the way the Docker target runs them: the platform's image with the
// environment, files, entrypoint and command the target gives a primary; the PgBouncer and
// exporter stand-ins with the pinned images' entrypoints, users and rendered files.

// pg_cron is left out of the deployment: the rendered init SQL creates it with `SCHEMA public`,
// which pg_cron refuses (its control file fixes pg_catalog), so apply-init-sql.sh fails and the
// server never turns healthy. The image's own pg_cron is proven by the bare run below.
const spec = parseSpec({
    target: "docker",
    topology: "primary",
    replicas: 0,
    postgres: { memory: "1GiB", cpus: 1, extensions: ["pg_stat_statements", "pgaudit"] },
});
const passwords = Object.fromEntries([SUPERUSER, ...loginRoles(spec)].map((role) => [role, randomBytes(18).toString("hex")]));
const services = renderServices(spec, { passwords });
const roles = endpointRoles(spec);

/** A service's rendered files, owned as the target uploads them. */
function filesOf(service: string, owner: FileOwner): ContainerFile[] {
    const found = services.find((s) => s.name === service);
    if (!found) throw new Error(`no rendered service ${service}`);
    return found.files.map((file) => ({ path: file.path, content: file.content, mode: file.mode, uid: owner.uid, gid: owner.gid }));
}

/** A connected client as the application role into its database, at a port published on 127.0.0.1 (the server's or a pool's). */
async function applicationClient(port: number): Promise<Client> {
    const client = new Client({ host: "127.0.0.1", port, user: roles.application, password: passwords[roles.application], database: roles.database });
    await client.connect();
    return client;
}

/** `x.y.z` of an image tag such as `v1.25.1-p0`. */
function pinnedVersion(image: PinnedImage): number[] {
    const match = /:v(\d+)\.(\d+)\.(\d+)/.exec(image.ref);
    if (!match) throw new Error(`no version in ${image.ref}`);
    return match.slice(1).map(Number);
}
const atLeast = (version: number[], floor: number[]) =>
    version[0] !== floor[0] ? version[0] > floor[0] : version[1] !== floor[1] ? version[1] > floor[1] : version[2] >= floor[2];

const images = useLocalImages();
let network: string;

beforeAll(async () => {
    network = await createNetwork();
});

describe("the container engine the test run starts", () => {
    it("answers on its unix socket only, with the local registry on 127.0.0.1", async () => {
        const status = await engineStatus();
        expect(status.engine).toMatch(/^\d+\.\d+\.\d+/);
        expect(status.registry).toBe(images.registry);
        expect(status.registry).toMatch(/^127\.0\.0\.1:\d+$/);
        const response = await fetch(`http://${status.registry}/v2/`);
        expect(response.status).toBe(200);
        expect(response.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
        // No TCP socket of dockerd at all, and the registry's on loopback only.
        const listening = execFileSync("ss", ["-Htlnp"], { encoding: "utf8" }).split("\n");
        expect(listening.filter((line) => line.includes('"dockerd"'))).toEqual([]);
        const registry = listening.filter((line) => line.includes('"docker-registry"'));
        expect(registry.length).toBeGreaterThan(0);
        for (const line of registry) expect(line).toMatch(/\s127\.0\.0\.1:\d+\s/);
    });
});

describe("the stand-in images, by digest from the local registry", () => {
    it("are served by digest and pulled by it", async () => {
        for (const ref of [images.debian, images.postgresBase, images.postgres, images.pgbouncer, images.exporter]) {
            expect(ref).toMatch(new RegExp(`^${images.registry.replace(/\./g, "\\.")}/pg-platform/[a-z-]+@sha256:[0-9a-f]{64}$`));
            const pulled = await docker(["pull", ref], { timeoutMs: 300_000 });
            expect(pulled.code, pulled.stderr).toBe(0);
            const inspected = await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", ref]);
            expect(JSON.parse(inspected.stdout) as string[]).toContain(ref);
        }
    });

    it("PgBouncer: the pinned image's binary and user, the pinned release or newer, pg_isready for the healthcheck", async () => {
        const version = await runContainer({ image: images.pgbouncer, entrypoint: [PGBOUNCER_IMAGE.binary], command: ["--version"] });
        expect(await version.waitExit()).toBe(0);
        const release = /^PgBouncer (\d+)\.(\d+)\.(\d+)/m.exec(await version.logs());
        expect(release, await version.logs()).not.toBeNull();
        console.log(`stand-in ${release?.[0]} (pinned: ${PGBOUNCER_IMAGE.ref.split("@")[0]})`);
        expect(atLeast((release ?? []).slice(1).map(Number), pinnedVersion(PGBOUNCER_IMAGE))).toBe(true);
        const user = await runContainer({
            image: images.pgbouncer,
            entrypoint: ["/bin/sh"],
            command: ["-c", "echo $(id -u):$(id -g) && pg_isready --version"],
        });
        expect(await user.waitExit()).toBe(0);
        expect(await user.logs()).toMatch(new RegExp(`^${PGBOUNCER_IMAGE.uid}:${PGBOUNCER_IMAGE.gid}\\npg_isready \\(PostgreSQL\\) \\d+`));
    });

    it("postgres_exporter: the pinned image's binary and user, the pinned release or newer", async () => {
        const version = await runContainer({ image: images.exporter, entrypoint: [POSTGRES_EXPORTER_IMAGE.binary], command: ["--version"] });
        expect(await version.waitExit()).toBe(0);
        const release = /postgres_exporter, version (\d+)\.(\d+)\.(\d+)/.exec(await version.logs());
        expect(release, await version.logs()).not.toBeNull();
        console.log(`stand-in ${release?.[0]} (pinned: ${POSTGRES_EXPORTER_IMAGE.ref.split("@")[0]})`);
        expect(atLeast((release ?? []).slice(1).map(Number), pinnedVersion(POSTGRES_EXPORTER_IMAGE))).toBe(true);
        const user = await runContainer({ image: images.exporter, entrypoint: ["/bin/sh"], command: ["-c", "echo $(id -u):$(id -g) && command -v wget"] });
        expect(await user.waitExit()).toBe(0);
        expect(await user.logs()).toBe(`${POSTGRES_EXPORTER_IMAGE.uid}:${POSTGRES_EXPORTER_IMAGE.gid}\n/usr/bin/wget\n`);
    });
});

describe("the platform's PostgreSQL image on its own", () => {
    it("starts with only a password file, and its pg_cron and pgAudit load into PostgreSQL 18", async () => {
        const server = await runContainer({
            image: images.postgres,
            command: ["postgres", "-c", "shared_preload_libraries=pg_cron,pgaudit"],
            env: { [SERVER_ENV.passwordFile]: SECRET_FILES.superuserPassword },
            files: [{ path: SECRET_FILES.superuserPassword, content: passwords[SUPERUSER], mode: 0o600, uid: POSTGRES_OWNER.uid, gid: POSTGRES_OWNER.gid }],
            memoryMb: 1024,
            healthcheck: { test: [HEALTHCHECK_PATH, "--available", "pg_cron,pgaudit", "--preloaded", "pg_cron,pgaudit"] },
        });
        await server.waitHealthy(180_000);
        // The image's USER is postgres: psql goes over the socket, where pg_hba lets postgres in by peer.
        const sql =
            "CREATE EXTENSION pg_cron; CREATE EXTENSION pgaudit; SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname IN ('pg_cron', 'pgaudit'); SELECT version();";
        const result = await server.exec(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/^pg_cron,pgaudit\nPostgreSQL 18\.\d+/);
    });
});

describe("a primary, a transaction pool and the exporter, run as the Docker target runs them", () => {
    let primary: TestContainer;

    beforeAll(async () => {
        // What writableServer() gives a primary: rendered files and the superuser's password
        // file owned by postgres, the _FILE and init SQL variables, the image's entrypoint with
        // postgresCommand(), a data volume, a memory limit the auto-tuning reads back.
        primary = await runContainer({
            image: images.postgres,
            network,
            aliases: [SERVICE_HOSTS.primary],
            entrypoint: [ENTRYPOINT_PATH],
            command: postgresCommand(spec, "writer"),
            env: { [SERVER_ENV.passwordFile]: SECRET_FILES.superuserPassword, [INIT_SQL_ENV.name]: INIT_SQL_ENV.value },
            files: [
                ...filesOf("primary", POSTGRES_OWNER),
                { path: SECRET_FILES.superuserPassword, content: passwords[SUPERUSER], mode: 0o600, uid: POSTGRES_OWNER.uid, gid: POSTGRES_OWNER.gid },
            ],
            volumes: [{ name: await createVolume(), path: DATA_MOUNT }],
            memoryMb: 1024,
            cpus: 1,
            shmSizeMb: 256,
            publish: [CONTAINER_PORTS.postgres],
            healthcheck: { test: [HEALTHCHECK_PATH, ...healthcheckArgs(spec, "primary")] },
        });
        await primary.waitHealthy(240_000);
    }, 300_000);

    it("PostgreSQL 18 answers SELECT version() over a port published on 127.0.0.1, with pg_cron and pgAudit available", async () => {
        const client = await applicationClient(await primary.hostPort(CONTAINER_PORTS.postgres));
        try {
            const version = await client.query<{ version: string }>("SELECT version()");
            console.log(`platform image: ${version.rows[0].version}`);
            expect(version.rows[0].version).toMatch(/^PostgreSQL 18\.\d+/);
            const available = await client.query<{ name: string }>(
                "SELECT name FROM pg_available_extensions WHERE name IN ('pg_cron', 'pgaudit') ORDER BY name",
            );
            expect(available.rows.map((row) => row.name)).toEqual(["pg_cron", "pgaudit"]);
            // The init SQL ran: it created the preloaded extensions in the application database
            // (the healthcheck, healthy above, checked they are preloaded).
            const created = await client.query<{ extname: string }>(
                "SELECT extname FROM pg_extension WHERE extname IN ('pg_stat_statements', 'pgaudit') ORDER BY extname",
            );
            expect(created.rows.map((row) => row.extname)).toEqual(["pg_stat_statements", "pgaudit"]);
            // The auto-tuning read the 1 GiB limit from cgroups (v1 on this host): 25 % of it.
            expect((await client.query<{ shared_buffers: string }>("SHOW shared_buffers")).rows[0].shared_buffers).toBe("256MB");
        } finally {
            await client.end();
        }
    });

    it("runs as the official image's postgres user (uid 999) with its PGDATA and locale", async () => {
        const result = await primary.exec([
            "sh",
            "-c",
            'echo "$(id -u):$(id -g) $PGDATA $LANG" && psql -XAtc "SELECT datcollate FROM pg_database WHERE datname = current_database()"',
        ]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toBe(`${POSTGRES_OWNER.uid}:${POSTGRES_OWNER.gid} /var/lib/postgresql/18/docker en_US.utf8\nen_US.utf8\n`);
    });

    it("the PgBouncer stand-in serves the transaction pool from the rendered pgbouncer.ini", async () => {
        const pool = await runContainer({
            image: images.pgbouncer,
            network,
            aliases: [SERVICE_HOSTS.pooler("transaction")],
            entrypoint: [PGBOUNCER_IMAGE.binary],
            command: [filePaths(CONTAINER_LAYOUT).pgbouncerIni],
            files: filesOf("pooler-transaction", PGBOUNCER_IMAGE),
            memoryMb: 256,
            publish: [CONTAINER_PORTS.pooler],
            healthcheck: { test: ["pg_isready", "-q", "-h", "127.0.0.1", "-p", String(CONTAINER_PORTS.pooler)] },
        });
        await pool.waitHealthy();
        const client = await applicationClient(await pool.hostPort(CONTAINER_PORTS.pooler));
        try {
            const row = await client.query<{ user: string; version: string }>("SELECT current_user AS user, version()");
            expect(row.rows[0].user).toBe(roles.application);
            expect(row.rows[0].version).toMatch(/^PostgreSQL 18\./);
        } finally {
            await client.end();
        }
    });

    it("the postgres_exporter stand-in scrapes the primary with the rendered queries and password file", async () => {
        const exporter = await runContainer({
            image: images.exporter,
            network,
            aliases: [SERVICE_HOSTS.exporter],
            entrypoint: [POSTGRES_EXPORTER_IMAGE.binary],
            command: exporterArgs(CONTAINER_LAYOUT),
            env: exporterEnvironment(spec, CONTAINER_LAYOUT),
            files: filesOf("exporter", POSTGRES_EXPORTER_IMAGE),
            memoryMb: 256,
            publish: [CONTAINER_PORTS.exporter],
            healthcheck: { test: ["wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${CONTAINER_PORTS.exporter}/`] },
        });
        await exporter.waitHealthy();
        const metrics = await (await fetch(`http://127.0.0.1:${await exporter.hostPort(CONTAINER_PORTS.exporter)}/metrics`)).text();
        expect(metrics).toMatch(/^pg_up 1$/m);
        expect(metrics).toMatch(/^postgres_exporter_build_info\{.*version="\d+\.\d+\.\d+".*\} 1$/m);
    });
});
