// The dev stack's containers on a real Docker engine: the program's Docker resources, started
// from the images built here from Debian's packages (run by digest from the local registry),
// then used only through the stack's outputs, updated, refused when it would bind every
// interface, and removed. The docker and tls provider plugins cannot be built on these machines
// (their Go modules are not served), so the program runs under mocks with real certificates
// and its Docker resources are created with exactly the inputs it gave the provider.
import type * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gateResource } from "../../cli/check";
import { run as runProcess } from "../../cli/local/processes";
import { runUnderMocks, type MockedResource, type ProgramRun } from "../../cli/offline/harness";
import { loadStackConfig } from "../../cli/stack-config";
import { readRawConfig, runProgram } from "../../components/program";
import { PROJECT } from "../../components/platform/constants";
import type { PlatformOutputs } from "../../components/targets/outputs";
import { loadPolicyConfig, runPolicies } from "../../policies/offline";
import { migrationFailure } from "../../components/self-hosted/migrations";
import { CRONTAB_PATH } from "../../components/self-hosted/backup-jobs";
import { RUN_ID, docker, localImages, removeAll, type LocalImages } from "../helpers/containers";
import { applyContainer, applyDockerResources, containersOf, freeStackPorts, oneShotState, removeContainer, waitHealthy } from "../helpers/docker-apply";
import { eventually } from "../helpers/eventually";
import { realTlsState } from "../helpers/real-tls";

type Run = ProgramRun<pulumi.Unwrap<PlatformOutputs>>;
type Outputs = Run["outputs"];

const STACK = "e2e";
const NETWORK = `pgp-e2e-${RUN_ID}`;
const MIGRATIONS = `${NETWORK}-migrations`;
const SCHEDULER = `${NETWORK}-backup-scheduler`;
/** The dev stack's backups with schedules of its own, to find them in the scheduler's crontab. */
const BACKUP = { enabled: true, schedule: { full: "30 1 * * 0", differential: "15 */6 * * *" }, verify: { schedule: "45 4 * * 6" } };

/** The dev stack's configuration, with the local images, free host ports and this run's network. */
async function e2eConfig(images: LocalImages, overrides: Record<string, unknown> = {}): Promise<Record<string, string>> {
    // The program's own reading of the stack file: keys without the namespace, JSON decoded.
    const decoded = readRawConfig(loadStackConfig("dev").config);
    const network = decoded.network as { bindAddress: string; ports: Record<string, number> };
    const ports = await freeStackPorts();
    const merged: Record<string, unknown> = {
        ...decoded,
        image: { prebuilt: images.postgres, pgbouncer: images.pgbouncer, exporter: images.exporter },
        network: { ...network, ports },
        docker: { ...(decoded.docker as object), networkName: NETWORK },
        ...overrides,
    };
    return Object.fromEntries(Object.entries(merged).map(([key, value]) => [`${PROJECT}:${key}`, typeof value === "string" ? value : JSON.stringify(value)]));
}

/**
 * The program run under mocks with real certificates. With `ran`, the one-shot containers also
 * report what they did on the engine (their exit codes), as the provider reports them once it
 * attached to them to their end: the run after an apply, whose outputs the program gates on them.
 */
function deployed(config: Record<string, string>, ran = false): Promise<Run> {
    const computed = async (type: string, name: string, inputs: Record<string, unknown>) =>
        realTlsState(type, name, inputs) ?? (ran ? await oneShotState(type, inputs) : undefined);
    return runUnderMocks(runProgram, { stack: STACK, config, computed });
}

/** The config with the migration job's command replaced (the image and the rest unchanged). */
function withMigrationCommand(config: Record<string, string>, command: string[]): Record<string, string> {
    const migrations = JSON.parse(config["pg-platform:migrations"]) as Record<string, unknown>;
    return { ...config, "pg-platform:migrations": JSON.stringify({ ...migrations, command }) };
}

/** A URL of the outputs with another role's credentials (from `secretReferences`). */
function asRole(url: string | undefined, role: string, secrets: Record<string, string>): string {
    if (!url) throw new Error("the stack has no such URL");
    const parsed = new URL(url);
    parsed.username = role;
    parsed.password = encodeURIComponent(secrets[role]);
    return parsed.toString();
}

const caDir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-e2e-ca-"));

/**
 * A client for an output URL used as a user would: the URL unchanged but for where the stack's
 * CA certificate (the `caCertificate` output) was saved, named by its `sslrootcert`.
 */
async function connect(url: string | undefined, ca: string | undefined): Promise<Client> {
    if (!url || !ca) throw new Error("the stack has no such URL or no CA certificate");
    const parsed = new URL(url);
    const file = path.join(caDir, parsed.searchParams.get("sslrootcert") ?? "ca.crt");
    fs.writeFileSync(file, ca);
    parsed.searchParams.set("sslrootcert", file);
    const client = new Client({ connectionString: parsed.toString() });
    await client.connect();
    return client;
}

async function query<T>(url: string | undefined, ca: string | undefined, sql: string, values: unknown[] = []): Promise<T[]> {
    const client = await connect(url, ca);
    try {
        return (await client.query(sql, values)).rows as T[];
    } finally {
        await client.end();
    }
}

/** The long-running containers (one-shots such as the pools' auth writers run to completion and stop). */
const containerNames = (resources: readonly MockedResource[]) =>
    [...containersOf(resources)]
        .filter(([, inputs]) => !inputs.attach)
        .map(([name]) => name)
        .sort();

async function engineList(kind: "container" | "network" | "volume"): Promise<string[]> {
    const args = kind === "container" ? ["ps", "--all", "--format", "{{.Names}}"] : [kind, "ls", "--format", "{{.Name}}"];
    const listed = await docker(args);
    return listed.stdout.split("\n").filter((name) => name.startsWith(NETWORK));
}

describe("the dev stack on a real Docker engine", () => {
    let images: LocalImages;
    let run: Run;
    let out: Outputs;
    let baseConfig: Record<string, string>;

    beforeAll(async () => {
        images = await localImages();
        // The migration job: the test's migration image (node-pg-migrate), by digest, with its own command.
        baseConfig = await e2eConfig(images, { migrations: { image: images.migrations }, backup: BACKUP });
        await applyDockerResources((await deployed(baseConfig)).resources);
        // The outputs as the update hands them out: after the job's container reported its exit.
        run = await deployed(baseConfig, true);
        out = run.outputs;
    }, 1_800_000);

    afterAll(async () => {
        await removeAll();
        fs.rmSync(caDir, { recursive: true, force: true });
    }, 300_000);

    it("passes the policy gate with no finding, advisory ones included", async () => {
        const violations = await runPolicies(run.resources.map(gateResource), loadPolicyConfig("dev"));
        expect(violations).toEqual([]);
    });

    it("brings every container to healthy", async () => {
        expect(containerNames(run.resources)).toEqual([
            SCHEDULER,
            `${NETWORK}-exporter`,
            `${NETWORK}-pooler-session`,
            `${NETWORK}-pooler-transaction`,
            `${NETWORK}-primary`,
            `${NETWORK}-replica-1`,
        ]);
        for (const name of containerNames(run.resources)) {
            const health = await docker(["inspect", "--format", "{{.State.Health.Status}}", name]);
            expect(health.stdout.trim(), name).toBe("healthy");
        }
    });

    it("ran the migration job once, as app_migrate through the session pool with TLS verified, after the primary and pools, before the outputs", async () => {
        const job = containersOf(run.resources).get(MIGRATIONS);
        expect(job?.envs?.[0]).toMatch(/^DATABASE_URL=postgresql:\/\/app_migrate:[^@]+@pooler-session:6432\/app\?sslmode=verify-full&sslrootcert=\/etc\//);
        // The provider creates it only once the writer's containers are (their URNs are its dependencies).
        const urns = new Map(run.resources.map((r) => [String(r.inputs.name), r.urn]));
        const dependencies = run.resources.find((r) => r.inputs.name === MIGRATIONS)?.dependencies ?? [];
        expect(dependencies).toEqual(expect.arrayContaining([urns.get(`${NETWORK}-primary`), urns.get(`${NETWORK}-pooler-session`)]));
        const inspect = async (name: string) =>
            JSON.parse((await docker(["inspect", "--format", "{{json .State}}", name])).stdout) as {
                Status: string;
                ExitCode: number;
                StartedAt: string;
                FinishedAt: string;
            };
        const state = await inspect(MIGRATIONS);
        expect(state).toMatchObject({ Status: "exited", ExitCode: 0 });
        for (const name of [`${NETWORK}-primary`, `${NETWORK}-pooler-session`])
            expect(Date.parse(state.StartedAt)).toBeGreaterThan(Date.parse((await inspect(name)).StartedAt));
        console.log(`migration job: ${Date.parse(state.FinishedAt) - Date.parse(state.StartedAt)} ms from start to exit`);
        expect((await docker(["logs", MIGRATIONS])).stdout).toMatch(/Migrations complete!/);
        // node-pg-migrate recorded its one migration; the schema is the migrate role's.
        expect(await query(out.primaryUrl, out.caCertificate, "SELECT name FROM public.pgmigrations")).toEqual([{ name: "1700000000000_sales" }]);
        expect(await query(out.primaryUrl, out.caCertificate, "SELECT tableowner FROM pg_tables WHERE schemaname = 'sales'")).toEqual([
            { tableowner: "app_migrate" },
        ]);
    });

    it("lets app_app read and write the migration's tables and app_readonly read them, neither changing the schema", async () => {
        const readonlyOnPrimary = asRole(out.primaryUrl, "app_readonly", out.secretReferences);
        const [order] = await query<{ id: string }>(
            out.transactionPoolUrl,
            out.caCertificate,
            "INSERT INTO sales.orders (customer) VALUES ('acme') RETURNING id",
        );
        await query(out.transactionPoolUrl, out.caCertificate, "UPDATE sales.orders SET customer = 'acme ltd' WHERE id = $1", [order.id]);
        const replicated = await eventually("the order on the replica", async () => {
            const rows = await query<{ customer: string }>(out.readOnlyUrl, out.caCertificate, "SELECT customer FROM sales.orders WHERE id = $1", [order.id]);
            return rows[0];
        });
        expect(replicated.customer).toBe("acme ltd");
        expect(await query(readonlyOnPrimary, out.caCertificate, "SELECT count(*)::int AS n FROM sales.orders")).toEqual([{ n: 1 }]);
        await expect(query(readonlyOnPrimary, out.caCertificate, "DELETE FROM sales.orders")).rejects.toThrow(/permission denied/);
        for (const url of [out.transactionPoolUrl, readonlyOnPrimary]) {
            await expect(query(url, out.caCertificate, "CREATE TABLE sales.denied (id int)")).rejects.toThrow(/permission denied/);
            await expect(query(url, out.caCertificate, "ALTER TABLE sales.orders ADD COLUMN denied int")).rejects.toThrow(/must be owner/);
        }
    });

    it("fails the update when a migration fails: the job exits non-zero, its done rejects with the platform's message, the schema is untouched", async () => {
        // Release 2 of the migrations adds one that cannot run (an index on a missing column).
        const failing = withMigrationCommand(baseConfig, ["up", "--use-glob", "-m", "/srv/migrations/*/*.sql"]);
        const before = containersOf(run.resources);
        const after = containersOf((await deployed(failing)).resources);
        const changed = [...after.keys()].filter((name) => JSON.stringify(after.get(name)) !== JSON.stringify(before.get(name)));
        expect(changed).toEqual([MIGRATIONS]);
        const [old, next] = [before.get(MIGRATIONS), after.get(MIGRATIONS)];
        if (!old || !next) throw new Error("no migration job");
        await removeContainer(old);
        await expect(applyContainer(next)).rejects.toThrow(/exited 1[\s\S]*column "region" does not exist/);
        await expect(deployed(failing, true)).rejects.toThrow(migrationFailure(1, `docker logs ${MIGRATIONS}`));
        // node-pg-migrate ran it in a transaction: nothing of it is left, and the stack still serves.
        expect(await query(out.primaryUrl, out.caCertificate, "SELECT name FROM public.pgmigrations")).toEqual([{ name: "1700000000000_sales" }]);
        expect(await query(out.primaryUrl, out.caCertificate, "SELECT to_regclass('sales.orders_by_region') AS index")).toEqual([{ index: null }]);
    });

    it("publishes every port on 127.0.0.1 only, and none of the backup scheduler", async () => {
        for (const name of containerNames(run.resources)) {
            const ports = await docker(["port", name]);
            const bindings = ports.stdout.split("\n").filter(Boolean);
            expect(bindings.length, name).toBe(name === SCHEDULER ? 0 : 1);
            if (name === SCHEDULER) continue;
            expect(bindings[0], name).toMatch(/-> 127\.0\.0\.1:\d+$/);
        }
    });

    it("runs the backup scheduler with the configured schedules; its full job, run now as cron runs it, leaves a backup the backup output lists", async () => {
        const inspected = JSON.parse((await docker(["inspect", "--format", "{{json .}}", SCHEDULER])).stdout) as {
            State: { Running: boolean };
            Config: { User: string };
            HostConfig: { CapAdd: string[]; CapDrop: string[] };
        };
        expect(inspected.State.Running).toBe(true);
        expect(inspected.Config.User).toBe("0");
        expect(inspected.HostConfig.CapDrop).toEqual(["ALL"]);
        expect([...inspected.HostConfig.CapAdd].sort()).toEqual(["SETGID", "SETUID"]);
        const crontab = (await docker(["exec", SCHEDULER, "cat", CRONTAB_PATH])).stdout;
        const lines = crontab.split("\n").filter((line) => /^[\d*]/.test(line));
        const schedule = (line: string) => line.split(" ").slice(0, 5).join(" ");
        expect(lines.map(schedule)).toEqual([BACKUP.schedule.full, BACKUP.schedule.differential, BACKUP.verify.schedule]);
        // crond runs the rest of the line with sh -c as postgres: so does this.
        const full = lines[0].split(" ").slice(5).join(" ");
        expect(full).toMatch(/\/backup\.sh full$/);
        const started = Date.now();
        const ran = await docker(["exec", "--user", "postgres", SCHEDULER, "sh", "-c", full], { timeoutMs: 300_000 });
        expect(ran.code, ran.stderr).toBe(0);
        const label = /backup: done: (\d{8}-\d{6}F)/.exec(ran.stdout + ran.stderr)?.[1];
        expect(label, ran.stdout + ran.stderr).toBeDefined();
        console.log(`backup scheduler: full backup job run now in ${Date.now() - started} ms (${label})`);
        const backup = out.backup;
        expect(backup?.repository).toBe(`${NETWORK}-primary-wal-archive`);
        const [cli, ...list] = (backup?.listCommand ?? "").split(" ");
        expect(cli).toBe("docker");
        const info = await docker(list);
        expect(info.code, info.stderr).toBe(0);
        expect(info.stdout).toContain(`full backup: ${label}`);
    });

    it("migrates through the session pool, writes through the transaction pool over TLS verified against the stack's CA, and the replica serves the row", async () => {
        // The schema is the migrate role's (session pool); the application's role may write rows, not DDL.
        await query(out.sessionPoolUrl, out.caCertificate, "CREATE TABLE IF NOT EXISTS e2e_notes (id int PRIMARY KEY, body text NOT NULL)");
        await expect(query(out.transactionPoolUrl, out.caCertificate, "CREATE TABLE e2e_denied (id int)")).rejects.toThrow(/permission denied/);
        await query(out.transactionPoolUrl, out.caCertificate, "INSERT INTO e2e_notes VALUES (1, 'written through the pool') ON CONFLICT (id) DO NOTHING");
        const replicated = await eventually("the row on the replica", async () => {
            const rows = await query<{ body: string }>(out.readOnlyUrl, out.caCertificate, "SELECT body FROM e2e_notes WHERE id = 1");
            return rows[0];
        });
        expect(replicated.body).toBe("written through the pool");
        // The read-only URL is a standby and its role cannot write.
        await expect(query(out.readOnlyUrl, out.caCertificate, "INSERT INTO e2e_notes VALUES (2, 'no')")).rejects.toThrow(
            /read-only transaction|permission denied/,
        );
    });

    it("refuses a client that trusts another CA than the stack's", async () => {
        const other = realTlsState("tls:index/selfSignedCert:SelfSignedCert", "other-ca", {
            privateKeyPem: realTlsState("tls:index/privateKey:PrivateKey", "other-ca-key", { algorithm: "ECDSA", ecdsaCurve: "P256" })?.privateKeyPem,
            subject: { commonName: "another CA" },
            isCaCertificate: true,
            allowedUses: ["cert_signing"],
            validityPeriodHours: 24,
        });
        await expect(connect(out.transactionPoolUrl, String(other?.certPem))).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    });

    it("keeps a prepared statement across transactions on the session pool", async () => {
        const client = await connect(out.sessionPoolUrl, out.caCertificate);
        try {
            await client.query("PREPARE e2e_plus_one(int) AS SELECT $1 + 1 AS n");
            for (let i = 0; i < 3; i++) expect((await client.query("EXECUTE e2e_plus_one(41)")).rows).toEqual([{ n: 42 }]);
        } finally {
            await client.end();
        }
    });

    it("serves pg_up 1 and the replica's lag on the metrics URL", async () => {
        const metrics = await eventually("replication lag in the exporter", async () => {
            const text = await (await fetch(out.metricsUrl as string)).text();
            return /replay_lag_seconds\{[^}]*replica="[^"]+"/.test(text) ? text : undefined;
        });
        expect(metrics).toMatch(/^pg_up 1$/m);
    });

    it("tunes shared_buffers for the container's 2 GiB memory limit (cgroup v1 here), not the host's RAM", async () => {
        const memory = await docker(["inspect", "--format", "{{.HostConfig.Memory}}", `${NETWORK}-primary`]);
        expect(Number(memory.stdout.trim())).toBe(2048 * 1024 * 1024);
        expect(await query(out.primaryUrl, out.caCertificate, "SELECT current_setting('shared_buffers') AS sb")).toEqual([{ sb: "512MB" }]);
    });

    it("keeps every password out of the containers' configuration (only files carry them)", async () => {
        const passwords = Object.values(out.secretReferences);
        expect(passwords.length).toBeGreaterThan(3);
        for (const name of containerNames(run.resources)) {
            const inspected = (await docker(["inspect", name])).stdout;
            for (const password of passwords) expect(inspected, name).not.toContain(password);
        }
    });

    it("applies a parameter change by replacing exactly the server containers, and the data survives", async () => {
        const postgres = JSON.parse(baseConfig["pg-platform:postgres"]) as Record<string, unknown>;
        const next = await deployed({ ...baseConfig, "pg-platform:postgres": JSON.stringify({ ...postgres, parameters: { work_mem: "8MB" } }) });
        const before = containersOf(run.resources);
        const after = containersOf(next.resources);
        const changed = [...after.keys()].filter((name) => JSON.stringify(after.get(name)) !== JSON.stringify(before.get(name))).sort();
        expect(changed).toEqual([`${NETWORK}-primary`, `${NETWORK}-replica-1`]);
        expect(containerNames(next.resources)).toEqual(containerNames(run.resources));

        // Delete before replace, in dependency order (the primary first, as the provider would).
        for (const name of changed) {
            const old = before.get(name);
            if (old) await removeContainer(old);
            const inputs = after.get(name);
            if (inputs) await applyContainer(inputs);
        }
        const rows = await query<{ body: string; wm: string }>(
            next.outputs.primaryUrl,
            next.outputs.caCertificate,
            "SELECT body, current_setting('work_mem') AS wm FROM e2e_notes WHERE id = 1",
        );
        expect(rows).toEqual([{ body: "written through the pool", wm: "8MB" }]);
        // The scheduler, left as it was, reaches the new primary through the socket volume they share.
        await waitHealthy(SCHEDULER, 60);
        run = next;
        out = next.outputs;
    });

    it("brings a killed primary back (restart policy, stale lock file cleared) with its data", async () => {
        const primary = `${NETWORK}-primary`;
        // A crash, not a stop through Docker's API (which would suspend the restart policy): the
        // container's init process killed from the host, as the OOM killer would.
        const pid = Number((await docker(["inspect", "--format", "{{.State.Pid}}", primary])).stdout.trim());
        expect(pid).toBeGreaterThan(1);
        process.kill(pid, "SIGKILL");
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await waitHealthy(primary, 300);
        expect(await query<{ body: string }>(out.primaryUrl, out.caCertificate, "SELECT body FROM e2e_notes WHERE id = 1")).toEqual([
            { body: "written through the pool" },
        ]);
    });

    it("restores the primary to a time T with the backup output's restore command: rows committed before T are back, none after", async () => {
        const backup = out.backup;
        if (!backup?.restoreCommand) throw new Error("the stack has no backup restore command");
        const insert = (id: number, body: string) => query(out.primaryUrl, out.caCertificate, "INSERT INTO e2e_notes VALUES ($1, $2)", [id, body]);
        const pause = () => new Promise((resolve) => setTimeout(resolve, 1100));
        await insert(10, "before T");
        await pause();
        const [{ t }] = await query<{ t: Date }>(out.primaryUrl, out.caCertificate, "SELECT now() AS t");
        await pause();
        await insert(11, "after T");
        // pgBackRest check switches WAL and waits for it in the repository, so recovery reaches past T.
        const [cli, ...check] = backup.listCommand.replace(/ info$/, " check").split(" ");
        expect(cli).toBe("docker");
        expect((await docker(check)).code).toBe(0);
        const started = Date.now();
        // pgBackRest's --target format: "YYYY-MM-DD HH:MM:SS.mmm+00".
        const target = `${t.toISOString().slice(0, 10)} ${t.toISOString().slice(11, 23)}+00`;
        const restored = await runProcess("bash", ["-c", backup.restoreCommand.replace("<time>", target)], {
            unprivileged: false,
            timeoutMs: 600_000,
        });
        expect(restored.code, restored.stdout + restored.stderr).toBe(0);
        await waitHealthy(`${NETWORK}-primary`, 300);
        console.log(`restore to T with the backup output's command: ${Date.now() - started} ms until the primary is healthy again`);
        const rows = await query<{ id: number }>(out.primaryUrl, out.caCertificate, "SELECT id FROM e2e_notes WHERE id IN (1, 10, 11) ORDER BY id");
        expect(rows).toEqual([{ id: 1 }, { id: 10 }]);
        await waitHealthy(SCHEDULER, 60);
    });

    it("refuses a copy bound to 0.0.0.0 in the policy gate, naming the binding rule, before anything is created", async () => {
        const copy = await deployed(
            await e2eConfig(images, {
                network: {
                    bindAddress: "0.0.0.0",
                    ports: { postgres: 15433, transactionPool: 16432, sessionPool: 16433, exporter: 19187, replicaBase: 15442 },
                },
                docker: { networkName: `${NETWORK}-open` },
            }),
        );
        const violations = await runPolicies(copy.resources.map(gateResource), loadPolicyConfig("dev"));
        expect(violations.filter((v) => v.level === "mandatory").map((v) => v.policy)).toContain("localhost-binding");
        expect((await engineList("container")).filter((name) => name.startsWith(`${NETWORK}-open`))).toEqual([]);
    });

    it("leaves no container, network or volume of the stack after removal", async () => {
        await removeAll();
        expect(await engineList("container")).toEqual([]);
        expect(await engineList("network")).toEqual([]);
        expect(await engineList("volume")).toEqual([]);
    });
});
