import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { checkStack } from "../../../../cli/check";
import { PGBOUNCER_IMAGE, POSTGRES_EXPORTER_IMAGE, ReplicaStack, deploy } from "../../../../components/targets/docker";
import { DATA_MOUNT, SECRET_FILES, WAL_ARCHIVE_MOUNT } from "../../../../components/self-hosted/server";
import { CRONTAB_PATH, SCHEDULER_COMMAND, SCHEDULER_SECRET_FILE, SOCKET_DIR } from "../../../../components/self-hosted/backup-jobs";
import { POSTGRES_OWNER } from "../../../../components/self-hosted/files";
import { isPinned } from "../../../../policies/rules/pinned-images";
import type { PlatformOutputs } from "../../../../components/targets/outputs";
import { ConfigError, parseSpec, type PlatformConfigInput } from "../../../../components/config";
import { isSecretOutput, named, ofType, runUnderMocks, type MockedResource } from "../../../../cli/offline/harness";
import { redactSecrets } from "../../../../cli/offline/secrets";
import { primaryFromOtherStack } from "../../../helpers/self-hosted";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";

/** The containers of stack `pg`'s primary with both pools, the exporter and the backup scheduler, sorted; its replicas' sort after them. */
const PRIMARY_STACK_CONTAINERS = [
    "pg-exporter",
    "pg-pooler-session",
    "pg-pooler-session-auth-writer",
    "pg-pooler-transaction",
    "pg-pooler-transaction-auth-writer",
    "pg-primary",
    "pg-primary-backup-scheduler",
];

interface Upload {
    file: string;
    content: string;
    permissions: string;
    owner: string;
}
interface ContainerInputs {
    name: string;
    image: string;
    ports: { internal: number; external: number; ip: string }[];
    uploads: Upload[];
    envs?: string[];
    entrypoints: string[];
    command: string[];
    volumes?: { volumeName: string; containerPath: string }[];
    networksAdvanced: { name: string; aliases: string[] }[];
    healthcheck?: { tests: string[] };
    restart: string;
    wait: boolean;
    memory?: number;
    cpus?: string;
}
const inputsOf = (r: MockedResource) => r.inputs as unknown as ContainerInputs;
const names = (resources: readonly MockedResource[], type: string) => ofType(resources, type).map((r) => r.name);
/** The containers that run a service (not the pools' one-shot auth writers, see pooler.test.ts, nor the backup scheduler). */
const serviceContainers = (resources: readonly MockedResource[]) =>
    ofType(resources, CONTAINER).filter((r) => !r.name.endsWith("-auth-writer") && !r.name.endsWith("-backup-scheduler"));

/** Runs deploy() under mocks; keeps the raw outputs too, to check which are secret. */
async function deployed(config: PlatformConfigInput, stack = "test") {
    const spec = parseSpec(config as Record<string, unknown>);
    let raw: PlatformOutputs | undefined;
    const run = await runUnderMocks(
        () => {
            raw = deploy(spec, { stack });
            return raw;
        },
        { stack },
    );
    return { ...run, raw: raw as PlatformOutputs };
}

/**
 * Every password the stack generated: the login roles' from its outputs, and the superuser's
 * (no output carries it) from the writer's uploaded password file.
 */
function passwordsOf(run: { resources: readonly MockedResource[]; outputs: { secretReferences: Record<string, string> } }): string[] {
    const writer = ofType(run.resources, CONTAINER).find((r) => inputsOf(r).uploads.some((u) => u.file === SECRET_FILES.superuserPassword));
    const superuser = writer ? inputsOf(writer).uploads.find((u) => u.file === SECRET_FILES.superuserPassword)?.content : undefined;
    expect(superuser, "the writer's superuser password upload").toMatch(/^pw-/);
    return [...Object.values(run.outputs.secretReferences), superuser ?? ""];
}

/** Shared invariants: unique URNs, every custom resource under a platform component, no clear secret in any input. */
function expectSound(resources: readonly MockedResource[], duplicateUrns: readonly string[], passwords: readonly string[]) {
    expect(duplicateUrns).toEqual([]);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    for (const resource of resources.filter((r) => r.custom)) {
        const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
        expect(parent?.custom, `${resource.name} has no component parent`).toBe(false);
        expect(parent?.type).toMatch(/^pg-platform:/);
    }
    expect(passwords.length).toBeGreaterThan(0);
    for (const resource of resources) {
        const visible = JSON.stringify(redactSecrets(resource.rawInputs));
        for (const password of passwords) expect(visible, `${resource.name} carries a password in clear`).not.toContain(password);
    }
}

describe("single topology", async () => {
    const run = await deployed({ network: { ports: { postgres: 5500 } } });

    it("creates one network, the server and its backup scheduler, and the data, WAL archive and socket volumes", () => {
        expect(names(run.resources, NETWORK)).toEqual(["pg-network"]);
        expect(names(run.resources, CONTAINER)).toEqual(["pg-single", "pg-single-backup-scheduler"]);
        expect(names(run.resources, VOLUME)).toEqual(["pg-single-data", "pg-single-wal-archive", "pg-single-socket"]);
        expect(names(run.resources, REMOTE_IMAGE)).toEqual([]);
        expect(named(run.resources, NETWORK, "pg-network").inputs).toMatchObject({ name: "test-pg", driver: "bridge" });
    });

    it("is sound: unique URNs, parented, no password (the superuser's too) in clear", () => {
        expectSound(run.resources, run.duplicateUrns, passwordsOf(run));
    });

    it("publishes 127.0.0.1:5500 and says which endpoints a single node lacks", async () => {
        expect(inputsOf(named(run.resources, CONTAINER, "pg-single")).ports).toEqual([{ internal: 5432, external: 5500, ip: "127.0.0.1", protocol: "tcp" }]);
        expect(run.outputs).toMatchObject({ host: "127.0.0.1", port: 5500 });
        expect(run.outputs.primaryUrl).toMatch(/^postgresql:\/\/app_app:pw-[0-9a-f]+@127\.0\.0\.1:5500\/app$/);
        expect(run.outputs.transactionPoolUrl).toBeUndefined();
        expect(Object.keys(run.outputs.unavailable).sort()).toEqual(["metricsUrl", "readOnlyUrl", "sessionPoolUrl", "transactionPoolUrl"]);
        expect(await isSecretOutput(run.raw.primaryUrl)).toBe(true);
    });

    it("names the uploaded init SQL for the entrypoint to re-apply on every start of an existing cluster", () => {
        const single = inputsOf(named(run.resources, CONTAINER, "pg-single"));
        const initSql = single.envs?.find((env) => env.startsWith("PG_PLATFORM_INIT_SQL="))?.split("=")[1];
        expect(initSql).toBe("/docker-entrypoint-initdb.d/10-pg-platform.sql");
        expect(single.uploads.find((upload) => upload.file === initSql)?.content).toContain("CREATE DATABASE");
    });

    it("creates no WAL archive or socket volume and no scheduler when backups are off", async () => {
        const off = await deployed({ backup: { enabled: false } });
        expect(names(off.resources, VOLUME)).toEqual(["pg-single-data"]);
        expect(names(off.resources, CONTAINER)).toEqual(["pg-single"]);
        expect(inputsOf(named(off.resources, CONTAINER, "pg-single")).volumes).toEqual([
            { volumeName: "test-pg-single-data", containerPath: "/var/lib/postgresql" },
        ]);
    });
});

describe("the backup scheduler beside the writer", async () => {
    const run = await deployed({
        backup: { encrypted: true, schedule: { full: "30 1 * * 0", differential: "15 */6 * * *" }, verify: { schedule: "45 4 * * 6" } },
    });
    const writer = named(run.resources, CONTAINER, "pg-single");
    const scheduler = named(run.resources, CONTAINER, "pg-single-backup-scheduler");
    const inputs = scheduler.inputs as unknown as ContainerInputs & { user: string; capabilities: { drops: string[]; adds: string[] } };
    const upload = (r: MockedResource, file: string) => inputsOf(r).uploads.find((u) => u.file === file);

    it("runs busybox crond from the writer's image as root with only SETUID and SETGID, unpublished, on the private network", () => {
        expect(inputs).toMatchObject({ name: "test-pg-backup-scheduler", image: inputsOf(writer).image, user: "0", restart: "unless-stopped", wait: true });
        expect(inputs.entrypoints).toEqual([...SCHEDULER_COMMAND]);
        expect(inputs.capabilities).toEqual({ drops: ["ALL"], adds: ["SETUID", "SETGID"] });
        expect(inputs.ports).toBeUndefined();
        expect(inputs.networksAdvanced).toEqual([{ name: "test-pg" }]);
        expect(inputs.healthcheck?.tests).toEqual(["CMD", "pg_isready", "--quiet", "--host", SOCKET_DIR, "--port", "5432"]);
        expect(scheduler.dependencies).toContain(writer.urn);
    });

    it("mounts the writer's data, repository and socket volumes where the writer has them", () => {
        expect(inputs.volumes).toEqual([
            { volumeName: "test-pg-single-data", containerPath: DATA_MOUNT },
            { volumeName: "test-pg-single-wal-archive", containerPath: WAL_ARCHIVE_MOUNT },
            { volumeName: "test-pg-single-socket", containerPath: SOCKET_DIR },
        ]);
        expect(inputsOf(writer).volumes).toEqual(inputs.volumes);
    });

    it("gets the configured schedules in root's crontab, and the writer's pgbackrest.conf and cipher pass (one pass for both)", () => {
        const crontab = upload(scheduler, CRONTAB_PATH);
        expect(crontab).toMatchObject({ owner: "0", permissions: "0600" });
        expect(crontab?.content.split("\n").filter((line) => /^[\d*]/.test(line))).toEqual([
            expect.stringMatching(
                /^30 1 \* \* 0 PGBACKREST_CONFIG=\S+ PGBACKREST_CONFIG_PATH=\S+ PGBACKREST_STANZA=pg-platform .* \/usr\/local\/bin\/backup\.sh full$/,
            ),
            expect.stringMatching(/^15 \*\/6 \* \* \* .* \/usr\/local\/bin\/backup\.sh diff$/),
            expect.stringMatching(/^45 4 \* \* 6 .* \/usr\/local\/bin\/verify-restore\.sh$/),
        ]);
        const conf = "/etc/postgresql/pgbackrest.conf";
        expect(upload(scheduler, conf)?.content).toBe(upload(writer, conf)?.content);
        expect(upload(scheduler, conf)?.owner).toBe(String(POSTGRES_OWNER.uid));
        expect(upload(scheduler, SCHEDULER_SECRET_FILE)?.content).toMatch(/repo1-cipher-pass=pw-/);
        expect(upload(scheduler, SCHEDULER_SECRET_FILE)?.content).toBe(upload(writer, SCHEDULER_SECRET_FILE)?.content);
        expect(scheduler.secretInputs.filter((p) => p.startsWith("uploads["))).toHaveLength(1);
        expect(ofType(run.resources, "random:index/randomPassword:RandomPassword").filter((r) => r.name.endsWith("backup-cipher-pass"))).toHaveLength(1);
    });
});

describe("primary with two replicas", async () => {
    const run = await deployed({ topology: "primary", replicas: 2, network: { bindAddress: "::1" }, postgres: { memory: "2GiB", cpus: 2 } }, "stage");
    const container = (name: string) => named(run.resources, CONTAINER, name);
    const primary = container("pg-primary");

    it("creates exactly the primary, both pools, the exporter and two replicas, each with its volumes", () => {
        // Sorted: a pool registers once its auth writer has (it depends on it), so creation order says little.
        expect(names(run.resources, CONTAINER).sort()).toEqual([...PRIMARY_STACK_CONTAINERS, "pg-replica-1-server", "pg-replica-2-server"]);
        expect(names(run.resources, VOLUME).sort()).toEqual([
            "pg-pooler-session-auth",
            "pg-pooler-transaction-auth",
            "pg-primary-data",
            "pg-primary-socket",
            "pg-primary-wal-archive",
            "pg-replica-1-server-data",
            "pg-replica-2-server-data",
        ]);
        expect(names(run.resources, NETWORK)).toEqual(["pg-network"]);
        expect(ofType(run.resources, REMOTE_IMAGE).map((r) => r.inputs.name)).toEqual([PGBOUNCER_IMAGE.ref, POSTGRES_EXPORTER_IMAGE.ref]);
        expect(
            ofType(run.resources, CONTAINER)
                .map((r) => inputsOf(r).name)
                .sort(),
        ).toEqual([
            "stage-pg-backup-scheduler",
            "stage-pg-exporter",
            "stage-pg-pooler-session",
            "stage-pg-pooler-session-auth-writer",
            "stage-pg-pooler-transaction",
            "stage-pg-pooler-transaction-auth-writer",
            "stage-pg-primary",
            "stage-pg-replica-1",
            "stage-pg-replica-2",
        ]);
    });

    it("is sound: unique URNs, parented, no password (the superuser's too) in clear", () => {
        expectSound(run.resources, run.duplicateUrns, passwordsOf(run));
    });

    it("publishes every port on network.bindAddress, explicitly", () => {
        const published = serviceContainers(run.resources).flatMap((r) => inputsOf(r).ports.map((p) => [r.name, p.ip, p.internal, p.external]));
        const byPort = (a: unknown[], b: unknown[]) => Number(a[3]) - Number(b[3]);
        expect(published.sort(byPort)).toEqual([
            ["pg-primary", "::1", 5432, 5432],
            ["pg-replica-1-server", "::1", 5432, 5442],
            ["pg-replica-2-server", "::1", 5432, 5443],
            ["pg-pooler-transaction", "::1", 6432, 6432],
            ["pg-pooler-session", "::1", 6432, 6433],
            ["pg-exporter", "::1", 9187, 9187],
        ]);
    });

    it("joins every container to the private network under the renderer's host names", () => {
        const aliases = serviceContainers(run.resources).map((r) => inputsOf(r).networksAdvanced.map((n) => `${n.name}/${n.aliases.join(",")}`));
        expect(aliases.map(String).sort()).toEqual([
            "stage-pg/exporter",
            "stage-pg/pooler-session",
            "stage-pg/pooler-transaction",
            "stage-pg/primary",
            "stage-pg/replica-1",
            "stage-pg/replica-2",
        ]);
    });

    it("starts pools, exporter and replicas after the primary, which waits to be healthy", () => {
        for (const r of serviceContainers(run.resources)) {
            expect(inputsOf(r).healthcheck?.tests[0], r.name).toBe("CMD");
            expect(inputsOf(r).wait, r.name).toBe(true);
            expect(inputsOf(r).restart, r.name).toBe("unless-stopped");
            if (r !== primary) expect(r.dependencies, r.name).toContain(primary.urn);
        }
        expect(primary.dependencies).not.toContain(container("pg-replica-1-server").urn);
    });

    it("limits the servers' memory and CPUs, which the image's auto-tuning reads", () => {
        for (const name of ["pg-primary", "pg-replica-1-server"]) expect(inputsOf(container(name))).toMatchObject({ memory: 2048, cpus: "2" });
        expect(inputsOf(container("pg-pooler-transaction")).memory).toBeUndefined();
    });

    it("runs only digest-pinned images", () => {
        for (const r of ofType(run.resources, CONTAINER)) expect(isPinned(inputsOf(r).image), `${r.name}: ${inputsOf(r).image}`).toBe(true);
    });

    it("uploads secret-bearing files as secrets, readable only by the service's user, and configuration in clear", () => {
        const uploads = (name: string) => inputsOf(container(name)).uploads;
        const secretFiles = (r: MockedResource) =>
            r.secretInputs.filter((p) => p.startsWith("uploads[")).map((p) => (r.inputs.uploads as Upload[])[Number(/\[(\d+)\]/.exec(p)?.[1])].file);
        expect(secretFiles(primary).sort()).toEqual(["/docker-entrypoint-initdb.d/10-pg-platform.sql", SECRET_FILES.superuserPassword].sort());
        expect(secretFiles(container("pg-pooler-session"))).toEqual([]);
        expect(secretFiles(container("pg-pooler-session-auth-writer"))).toEqual(["/run/pg-platform/auth/userlist.txt"]);
        expect(secretFiles(container("pg-exporter"))).toEqual(["/etc/postgres_exporter/password"]);
        expect(secretFiles(container("pg-replica-2-server")).sort()).toEqual(["/etc/postgresql/replication.pgpass", SECRET_FILES.replicationPassword].sort());

        // The auth file reaches the pool through its volume (the writer hands it to the pool's user, mode 0600).
        expect(uploads("pg-pooler-session").map((u) => u.file)).not.toContain("/etc/pgbouncer/auth/userlist.txt");
        const userlist = uploads("pg-pooler-session-auth-writer").find((u) => u.file === "/run/pg-platform/auth/userlist.txt");
        expect(userlist).toMatchObject({ permissions: "0600", owner: "0" });
        expect(userlist?.content.split("\n")[0]).toBe(`"pgbouncer_auth" "${run.outputs.secretReferences.pgbouncer_auth}"`);
        expect(userlist?.content).toMatch(/^"app_app" "SCRAM-SHA-256\$4096:/m);
        expect(userlist?.content).not.toContain(run.outputs.secretReferences.app_app);
        expect(uploads("pg-exporter").find((u) => u.file.endsWith("/password"))).toMatchObject({
            permissions: "0600",
            owner: String(POSTGRES_EXPORTER_IMAGE.uid),
            content: run.outputs.secretReferences.postgres_exporter,
        });
        expect(uploads("pg-primary").find((u) => u.file === "/etc/postgresql/postgresql.conf")).toMatchObject({
            permissions: "0644",
            owner: String(POSTGRES_OWNER.uid),
        });
        const initSql = uploads("pg-primary").find((u) => u.file.endsWith(".sql"))?.content ?? "";
        expect(initSql).toMatch(/SCRAM-SHA-256\$4096:/);
        expect(initSql).not.toContain("<<pg-platform secret");
    });

    it("bootstraps replicas from the primary through their own slots, passwords by file only", () => {
        const replica = inputsOf(container("pg-replica-2-server"));
        expect(replica.entrypoints).toEqual(["/usr/local/bin/replica-bootstrap.sh", "/usr/local/bin/docker-auto-config-entrypoint.sh"]);
        expect(replica.envs).toEqual([
            "PRIMARY_HOST=primary",
            "PRIMARY_PORT=5432",
            "REPLICATION_USER=replicator",
            `REPLICATION_PASSWORD_FILE=${SECRET_FILES.replicationPassword}`,
            "REPLICATION_SLOT=replica_2",
            "PRIMARY_SSLMODE=prefer",
        ]);
        const conf = replica.uploads.find((u) => u.file === "/etc/postgresql/postgresql.conf")?.content ?? "";
        expect(conf).toContain("primary_slot_name = 'replica_2'");
        expect(conf).toContain("host=primary port=5432");
        expect(inputsOf(primary).envs).toEqual([
            `POSTGRES_PASSWORD_FILE=${SECRET_FILES.superuserPassword}`,
            "PG_PLATFORM_INIT_SQL=/docker-entrypoint-initdb.d/10-pg-platform.sql",
        ]);
    });

    it("outputs every endpoint on the host side, URLs as secrets", async () => {
        expect(run.outputs).toMatchObject({ host: "::1", port: 5432, metricsUrl: "http://[::1]:9187/metrics", unavailable: {} });
        const pw = run.outputs.secretReferences;
        expect(run.outputs.transactionPoolUrl).toBe(`postgresql://app_app:${pw.app_app}@[::1]:6432/app`);
        expect(run.outputs.sessionPoolUrl).toBe(`postgresql://app_migrate:${pw.app_migrate}@[::1]:6433/app`);
        expect(run.outputs.readOnlyUrl).toBe(`postgresql://app_readonly:${pw.app_readonly}@[::1]:5442/app`);
        for (const key of ["primaryUrl", "transactionPoolUrl", "sessionPoolUrl", "readOnlyUrl"] as const)
            expect(await isSecretOutput(run.raw[key] as pulumi.Output<string>), key).toBe(true);
        for (const [role, value] of Object.entries(run.raw.secretReferences)) expect(await isSecretOutput(value), role).toBe(true);
        expect(Object.keys(pw).sort()).toEqual(["app_app", "app_migrate", "app_readonly", "pgbouncer_auth", "postgres_exporter", "replicator"]);
    });
});

describe("image overrides for a mirror registry", async () => {
    const mirror = (name: string) => `registry.internal:5000/mirror/${name}@sha256:${"b".repeat(64)}`;
    const { resources } = await deployed({
        topology: "primary",
        image: { prebuilt: mirror("postgres"), pgbouncer: mirror("pgbouncer"), exporter: mirror("exporter") },
    });

    it("pulls the mirrored PgBouncer and exporter images instead of the pins, running the pins' binaries as their users", () => {
        expect(
            ofType(resources, REMOTE_IMAGE)
                .map((r) => (r.inputs as { name: string }).name)
                .sort(),
        ).toEqual([mirror("exporter"), mirror("pgbouncer")]);
        const pool = named(resources, CONTAINER, "pg-pooler-transaction");
        expect(inputsOf(pool).entrypoints).toEqual(["/bin/sh"]);
        expect(inputsOf(pool).command.slice(0, 2)).toEqual(["/etc/pgbouncer/run-pgbouncer.sh", PGBOUNCER_IMAGE.binary]);
        expect(new Set(inputsOf(pool).uploads.map((u) => u.owner))).toEqual(new Set([String(PGBOUNCER_IMAGE.uid)]));
        expect(inputsOf(named(resources, CONTAINER, "pg-exporter")).entrypoints).toEqual([POSTGRES_EXPORTER_IMAGE.binary]);
    });

    it("is refused by the pinned-images policy when a mirror is a tag", async () => {
        const tagged = await deployed({
            topology: "primary",
            image: { prebuilt: mirror("postgres"), pgbouncer: "registry.internal:5000/mirror/pgbouncer:1.25" },
        });
        const names = ofType(tagged.resources, REMOTE_IMAGE).map((r) => (r.inputs as { name: string }).name);
        expect(names.filter((name) => !isPinned(name))).toEqual(["registry.internal:5000/mirror/pgbouncer:1.25"]);
    });
});

describe("a PostgreSQL parameter change", async () => {
    const before = await deployed({ topology: "primary" });
    const after = await deployed({ topology: "primary", postgres: { parameters: { statement_timeout: "30s" } } });

    it("changes the primary's uploaded postgresql.conf (a container replacement: a restart) but no volume", () => {
        const conf = (run: typeof before) =>
            inputsOf(named(run.resources, CONTAINER, "pg-primary")).uploads.find((u) => u.file.endsWith("postgresql.conf"))?.content;
        expect(conf(after)).toContain("statement_timeout = '30s'");
        expect(conf(after)).not.toBe(conf(before));
        expect(ofType(after.resources, VOLUME).map((v) => v.inputs)).toEqual(ofType(before.resources, VOLUME).map((v) => v.inputs));
    });
});

describe("ReplicaStack from another stack", () => {
    const primary = primaryFromOtherStack();
    const spec = parseSpec({ topology: "primary", replicas: 1, network: { ports: { replicaBase: 15442 } } });

    it("joins the primary's network, streams from its slot and keeps the password secret", async () => {
        const run = await runUnderMocks(() => new ReplicaStack("dr", { spec, replica: 1, image: "pg@sha256:" + "a".repeat(64), primary }));
        expect(names(run.resources, CONTAINER)).toEqual(["dr-server"]);
        const inputs = inputsOf(named(run.resources, CONTAINER, "dr-server"));
        expect(inputs.networksAdvanced).toEqual([{ name: "prod-pg", aliases: ["replica-1"] }]);
        expect(inputs.ports).toEqual([{ internal: 5432, external: 15442, ip: "127.0.0.1", protocol: "tcp" }]);
        expect(inputs.envs).toContain("REPLICATION_SLOT=replica_1");
        expectSound(run.resources, run.duplicateUrns, ["from-the-other-stack"]);
    });

    it("refuses a replica number the spec has no slot for", () => {
        expect(() => new ReplicaStack("dr2", { spec, replica: 2, image: "x", primary })).toThrow(ConfigError);
    });
});

describe("the dev stack (Pulumi.dev.yaml), as `npm run check -- --stack dev` runs it", async () => {
    const result = await checkStack("dev");

    it("builds the image, a primary with both pools, the exporter and one replica, all on 127.0.0.1", () => {
        expect(names(result.resources, CONTAINER).sort()).toEqual([...PRIMARY_STACK_CONTAINERS, "pg-replica-1-server"]);
        expect(names(result.resources, "pg-platform:image:PostgresImage")).toEqual(["pg-image"]);
        const ports = serviceContainers(result.resources).flatMap((r) => inputsOf(r).ports.map((p) => `${p.ip}:${p.external}`));
        expect(ports.sort()).toEqual(["127.0.0.1:5433", "127.0.0.1:5442", "127.0.0.1:6432", "127.0.0.1:6433", "127.0.0.1:9187"]);
        expect(result.duplicateUrns).toEqual([]);
    });

    it("passes every mandatory policy", () => {
        expect(result.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    });
});
