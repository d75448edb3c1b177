import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { checkStack, exitCode } from "../../../../cli/check";
import { PROJECT_DIR } from "../../../../cli/stack-config";
import { PGBOUNCER_IMAGE, POSTGRES_EXPORTER_IMAGE } from "../../../../components/platform/images";
import { ReplicaStack, deploy } from "../../../../components/targets/kubernetes";
import { ConfigError, parseSpec } from "../../../../components/config";
import { isPinned } from "../../../../policies/rules/pinned-images";
import { isSecretOutput, named, ofType, runUnderMocks, type MockedResource } from "../../../../cli/offline/harness";
import { redactSecrets } from "../../../../cli/offline/secrets";
import { PUSHED_IMAGE, deployed } from "./deploy";

const T = {
    namespace: "kubernetes:core/v1:Namespace",
    configMap: "kubernetes:core/v1:ConfigMap",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    deployment: "kubernetes:apps/v1:Deployment",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
} as const;

interface Container {
    name: string;
    image: string;
    command: string[];
    args: string[];
    env: { name: string; value?: string }[];
    ports: { containerPort: number }[];
    readinessProbe?: unknown;
    livenessProbe?: unknown;
    startupProbe?: unknown;
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    securityContext: { allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
    volumeMounts: { name: string; mountPath: string; subPath?: string }[];
}
interface Workload {
    metadata: { name: string; namespace: string };
    spec: {
        serviceName?: string;
        template: { spec: { containers: Container[]; securityContext: { runAsNonRoot: boolean; runAsUser: number; fsGroup: number } } };
        volumeClaimTemplates?: { metadata: { name: string }; spec: { storageClassName?: string; resources: { requests: { storage: string } } } }[];
    };
}
const workload = (r: MockedResource) => r.inputs as unknown as Workload;
const container = (r: MockedResource) => workload(r).spec.template.spec.containers[0];
const workloads = (resources: readonly MockedResource[]) => [...ofType(resources, T.statefulSet), ...ofType(resources, T.deployment)];
const objectNames = (resources: readonly MockedResource[], type: string) => ofType(resources, type).map((r) => (r.inputs.metadata as { name: string }).name);

const BASE = { target: "kubernetes", image: PUSHED_IMAGE } as const;

/** Unique URNs, every custom resource under a platform component, no password in clear anywhere in the inputs. */
function expectSound(resources: readonly MockedResource[], duplicateUrns: readonly string[], passwords: readonly string[]) {
    expect(duplicateUrns).toEqual([]);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    for (const resource of resources.filter((r) => r.custom)) {
        const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
        expect(parent?.type, `${resource.name} has no component parent`).toMatch(/^pg-platform:/);
    }
    expect(passwords.length).toBeGreaterThan(0);
    for (const resource of resources) {
        const visible = JSON.stringify(redactSecrets(resource.rawInputs));
        for (const password of passwords) expect(visible, `${resource.name} carries a password in clear`).not.toContain(password);
    }
}

describe("single topology", async () => {
    const run = await deployed({ kubernetes: { namespace: "db", storageClass: "fast-ssd" }, postgres: { memory: "2GiB", cpus: 2 } });

    it("creates the namespace, one StatefulSet behind the ClusterIP Service `primary`, and nothing for pools or exporter", () => {
        expect(objectNames(run.resources, T.namespace)).toEqual(["db"]);
        expect(objectNames(run.resources, T.statefulSet)).toEqual(["primary"]);
        expect(objectNames(run.resources, T.service)).toEqual(["primary"]);
        expect(ofType(run.resources, T.deployment)).toEqual([]);
        expect(ofType(run.resources, T.pdb)).toEqual([]);
        for (const r of [...workloads(run.resources), ...ofType(run.resources, T.service)]) expect(workload(r).metadata.namespace).toBe("db");
    });

    it("claims storageSize on storageClass for data and the WAL archive, mounted where the image expects them", () => {
        const set = workload(named(run.resources, T.statefulSet, "pg-single-statefulset"));
        expect(set.spec.volumeClaimTemplates?.map((c) => [c.metadata.name, c.spec.resources.requests.storage, c.spec.storageClassName])).toEqual([
            ["data", "5Gi", "fast-ssd"],
            ["wal-archive", "5Gi", "fast-ssd"],
        ]);
        const mounts = Object.fromEntries(set.spec.template.spec.containers[0].volumeMounts.filter((m) => !m.subPath).map((m) => [m.name, m.mountPath]));
        expect(mounts).toMatchObject({ data: "/var/lib/postgresql", "wal-archive": "/var/lib/postgresql-wal-archive" });
    });

    it("stops PostgreSQL with a fast shutdown before SIGTERM (a smart one would wait for the pools until SIGKILL)", () => {
        const c = container(named(run.resources, T.statefulSet, "pg-single-statefulset")) as Container & {
            lifecycle?: { preStop: { exec: { command: string[] } } };
        };
        expect(c.lifecycle?.preStop.exec.command.join(" ")).toMatch(/pg_ctl stop --mode=fast --wait --timeout=110 /);
        expect(
            (workload(named(run.resources, T.statefulSet, "pg-single-statefulset")).spec.template.spec as { terminationGracePeriodSeconds?: number })
                .terminationGracePeriodSeconds,
        ).toBe(120);
    });

    it("limits memory and CPU so the auto-tuning reads them, with requests equal to limits", () => {
        expect(container(named(run.resources, T.statefulSet, "pg-single-statefulset")).resources).toEqual({
            requests: { cpu: "2", memory: "2048Mi" },
            limits: { cpu: "2", memory: "2048Mi" },
        });
    });

    it("is sound: unique URNs, parented, no password in clear", () => {
        expectSound(run.resources, run.duplicateUrns, Object.values(run.outputs.secretReferences));
    });

    it("outputs the in-cluster DNS name and says which endpoints a single node lacks", async () => {
        expect(run.outputs).toMatchObject({ host: "primary.db.svc.cluster.local", port: 5432 });
        expect(run.outputs.primaryUrl).toBe(`postgresql://app_app:${run.outputs.secretReferences.app_app}@primary.db.svc.cluster.local:5432/app`);
        expect(Object.keys(run.outputs.unavailable).sort()).toEqual(["metricsUrl", "readOnlyUrl", "sessionPoolUrl", "transactionPoolUrl"]);
        expect(await isSecretOutput(run.raw.primaryUrl)).toBe(true);
    });

    it("uses an existing namespace when createNamespace is false", async () => {
        const existing = await deployed({ kubernetes: { namespace: "shared", createNamespace: false } });
        expect(ofType(existing.resources, T.namespace)).toEqual([]);
        expect(workload(named(existing.resources, T.statefulSet, "pg-single-statefulset")).metadata.namespace).toBe("shared");
    });
});

describe("primary with two replicas, production", async () => {
    const run = await deployed({ topology: "primary", replicas: 2, production: true, kubernetes: { namespace: "pg", imagePullSecrets: ["ghcr"] } });
    const passwords = Object.values(run.outputs.secretReferences);

    it("runs each server as its own StatefulSet and the pools and exporter as Deployments", () => {
        expect(objectNames(run.resources, T.statefulSet)).toEqual(["primary", "replica-1", "replica-2"]);
        expect(objectNames(run.resources, T.deployment).sort()).toEqual(["exporter", "pooler-session", "pooler-transaction"]);
    });

    it("names the Services exactly as the rendered files name the hosts, all ClusterIP", () => {
        expect(objectNames(run.resources, T.service).sort()).toEqual(["exporter", "pooler-session", "pooler-transaction", "primary", "replica-1", "replica-2"]);
        for (const r of ofType(run.resources, T.service)) expect((r.inputs.spec as { type: string }).type, r.name).toBe("ClusterIP");
    });

    it("is sound: unique URNs, parented, no password in clear", () => {
        expectSound(run.resources, run.duplicateUrns, passwords);
    });

    it("runs only digest-pinned images: the pushed build, and the pinned PgBouncer and exporter", () => {
        const images = workloads(run.resources).map((r) => container(r).image);
        for (const image of images) expect(isPinned(image), image).toBe(true);
        expect(images).toEqual(expect.arrayContaining([PGBOUNCER_IMAGE.ref, POSTGRES_EXPORTER_IMAGE.ref]));
        expect(container(named(run.resources, T.statefulSet, "pg-primary-statefulset")).image).toMatch(/^ghcr\.io\/acme\/postgres@sha256:/);
        for (const r of workloads(run.resources))
            expect((workload(r).spec.template.spec as { imagePullSecrets?: unknown }).imagePullSecrets, r.name).toEqual([{ name: "ghcr" }]);
    });

    it("probes every container, and runs each as its image's non-root user without privileges", () => {
        for (const r of workloads(run.resources)) {
            const c = container(r);
            expect([c.startupProbe, c.readinessProbe, c.livenessProbe].every(Boolean), r.name).toBe(true);
            expect(c.securityContext, r.name).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
            expect(workload(r).spec.template.spec.securityContext.runAsNonRoot, r.name).toBe(true);
        }
        const uid = (name: string) =>
            workload(named(run.resources, workloads(run.resources).find((r) => r.name === name)?.type as string, name)).spec.template.spec.securityContext
                .runAsUser;
        expect([uid("pg-primary-statefulset"), uid("pg-pooler-session-deployment"), uid("pg-exporter-deployment")]).toEqual([
            999,
            PGBOUNCER_IMAGE.uid,
            POSTGRES_EXPORTER_IMAGE.uid,
        ]);
    });

    it("keeps passwords out of ConfigMaps and env values: they live in Secrets, sent as Pulumi secrets", () => {
        for (const r of ofType(run.resources, T.configMap)) {
            const data = JSON.stringify(r.inputs.data);
            for (const password of passwords) expect(data, r.name).not.toContain(password);
            expect(r.secretInputs, r.name).toEqual([]);
        }
        for (const r of workloads(run.resources)) {
            for (const e of container(r).env) for (const password of passwords) expect(e.value ?? "", `${r.name} ${e.name}`).not.toContain(password);
        }
        for (const r of ofType(run.resources, T.secret)) expect(r.secretInputs, r.name).toContain("stringData");
        const files = (name: string) => Object.keys(named(run.resources, T.secret, name).inputs.stringData as Record<string, string>).sort();
        // Production encrypts the backup repository: pgBackRest's cipher pass is a secret file too.
        expect(files("pg-primary-files")).toEqual(["10-pg-platform.sql", "pgbackrest-secrets.conf", "superuser.password"]);
        expect(files("pg-pooler-transaction-files")).toEqual(["userlist.txt"]);
        expect(files("pg-exporter-files")).toEqual(["password"]);
        expect(files("pg-replica-2-server-files")).toEqual(["replication.password"]);
        expect(named(run.resources, T.secret, "pg-credentials").inputs.stringData).toEqual(run.outputs.secretReferences);
        const primaryConfig = named(run.resources, T.configMap, "pg-primary-config").inputs.data as Record<string, string>;
        expect(Object.keys(primaryConfig).sort()).toEqual(["pg_hba.conf", "pgbackrest.conf", "postgresql.conf"]);
    });

    it("mounts every file at its rendered path", () => {
        const mounts = container(named(run.resources, T.deployment, "pg-pooler-session-deployment")).volumeMounts.map((m) => `${m.name}:${m.mountPath}`);
        // The auth file by its folder (no subPath), so kubelet swaps in a new version (see pooler tests).
        expect(mounts).toEqual(["config:/etc/pgbouncer/pgbouncer.ini", "config:/etc/pgbouncer/run-pgbouncer.sh", "live-secrets:/etc/pgbouncer/auth"]);
        const pool = container(named(run.resources, T.deployment, "pg-pooler-session-deployment"));
        expect([...pool.command, ...pool.args]).toEqual([
            "/bin/sh",
            "/etc/pgbouncer/run-pgbouncer.sh",
            "/usr/bin/pgbouncer",
            "/etc/pgbouncer/pgbouncer.ini",
            "/etc/pgbouncer/auth/userlist.txt",
            "5",
        ]);
    });

    it("bootstraps each replica from the primary after it is ready, through the image's script", () => {
        const primary = named(run.resources, T.statefulSet, "pg-primary-statefulset");
        const replica = named(run.resources, T.statefulSet, "pg-replica-2-server-statefulset");
        expect(container(replica).command).toEqual(["/usr/local/bin/replica-bootstrap.sh", "/usr/local/bin/docker-auto-config-entrypoint.sh"]);
        expect(container(primary).command).toEqual(["/usr/local/bin/docker-auto-config-entrypoint.sh"]);
        expect(container(replica).env).toContainEqual({ name: "REPLICATION_SLOT", value: "replica_2" });
        expect(replica.dependencies).toContain(primary.urn);
        expect(workload(replica).spec.volumeClaimTemplates?.map((c) => c.metadata.name)).toEqual(["data"]);
    });

    it("admits PostgreSQL only from the platform's pods and labelled clients, and guards the primary against drains", () => {
        const policy = named(run.resources, T.networkPolicy, "pg-network-policy").inputs.spec as {
            podSelector: unknown;
            ingress: { from: unknown[]; ports: { port: number }[] }[];
        };
        expect(policy.podSelector).toEqual({ matchLabels: { "pg-platform.io/kind": "server" } });
        expect(policy.ingress).toHaveLength(1);
        expect(policy.ingress[0].ports).toEqual([{ protocol: "TCP", port: 5432 }]);
        expect(policy.ingress[0].from).toEqual([
            { podSelector: { matchExpressions: [{ key: "pg-platform.io/kind", operator: "In", values: ["server", "pooler", "exporter"] }] } },
            { namespaceSelector: {}, podSelector: { matchLabels: { "pg-platform.io/client": "true" } } },
        ]);
        expect(named(run.resources, T.pdb, "pg-disruption-budget").inputs.spec).toEqual({
            maxUnavailable: 0,
            selector: { matchLabels: { "app.kubernetes.io/part-of": "pg-platform", "app.kubernetes.io/component": "primary" } },
        });
    });

    it("outputs in-cluster URLs, secret", async () => {
        const pw = run.outputs.secretReferences;
        expect(run.outputs).toMatchObject({
            host: "primary.pg.svc.cluster.local",
            port: 5432,
            metricsUrl: "http://exporter.pg.svc.cluster.local:9187/metrics",
            unavailable: {},
        });
        expect(run.outputs.transactionPoolUrl).toBe(`postgresql://app_app:${pw.app_app}@pooler-transaction.pg.svc.cluster.local:6432/app`);
        expect(run.outputs.sessionPoolUrl).toBe(`postgresql://app_migrate:${pw.app_migrate}@pooler-session.pg.svc.cluster.local:6432/app`);
        expect(run.outputs.readOnlyUrl).toBe(`postgresql://app_readonly:${pw.app_readonly}@replica-1.pg.svc.cluster.local:5432/app`);
        for (const key of ["primaryUrl", "transactionPoolUrl", "sessionPoolUrl", "readOnlyUrl"] as const)
            expect(await isSecretOutput(run.raw[key] as pulumi.Output<string>), key).toBe(true);
        for (const [role, value] of Object.entries(run.raw.secretReferences)) expect(await isSecretOutput(value), role).toBe(true);
    });
});

describe("a configuration change rolls the pods", async () => {
    const before = await deployed({ kubernetes: { namespace: "db" } });
    const withDatabase = await deployed({ kubernetes: { namespace: "db" }, postgres: { databases: [{ name: "app" }, { name: "billing" }] } });
    const after = await deployed({ kubernetes: { namespace: "db" }, postgres: { parameters: { statement_timeout: "30s" } } });
    const hash = (run: typeof before) =>
        (named(run.resources, T.statefulSet, "pg-single-statefulset").inputs.spec as { template: { metadata: { annotations: Record<string, string> } } })
            .template.metadata.annotations["pg-platform.io/config-hash"];

    it("changes the ConfigMap and the pod template's config hash, not the claims", () => {
        expect((named(after.resources, T.configMap, "pg-single-config").inputs.data as Record<string, string>)["postgresql.conf"]).toContain(
            "statement_timeout = '30s'",
        );
        expect(hash(after)).not.toBe(hash(before));
        const claims = (run: typeof before) => workload(named(run.resources, T.statefulSet, "pg-single-statefulset")).spec.volumeClaimTemplates;
        expect(claims(after)).toEqual(claims(before));
    });

    it("rolls the writer when only the init SQL changes (a database added), so its restart re-applies it", () => {
        expect((named(withDatabase.resources, T.configMap, "pg-single-config").inputs.data as Record<string, string>)["postgresql.conf"]).toBe(
            (named(before.resources, T.configMap, "pg-single-config").inputs.data as Record<string, string>)["postgresql.conf"],
        );
        expect(hash(withDatabase)).not.toBe(hash(before));
        // The file the entrypoint re-applies is the one mounted from the Secret.
        const c = container(named(withDatabase.resources, T.statefulSet, "pg-single-statefulset"));
        const initSql = c.env.find((e) => e.name === "PG_PLATFORM_INIT_SQL")?.value;
        expect(c.volumeMounts).toContainEqual(expect.objectContaining({ name: "secrets", mountPath: initSql, subPath: "10-pg-platform.sql" }));
    });
});

describe("refusals before any resource", () => {
    it("an unpushed build is a ConfigError, and nothing is registered", async () => {
        const spec = parseSpec({ target: "kubernetes", kubernetes: { namespace: "db" } });
        let thrown: unknown;
        const run = await runUnderMocks(() => {
            try {
                deploy(spec, { stack: "test" });
            } catch (error) {
                thrown = error;
            }
        });
        expect(thrown).toBeInstanceOf(ConfigError);
        expect((thrown as ConfigError).problems.join("\n")).toContain("pg-platform:image.push");
        expect(run.resources).toEqual([]);
    });

    it("a replica number the spec has no slot for", () => {
        const spec = parseSpec({ ...BASE, topology: "primary", replicas: 1, kubernetes: { namespace: "db" } });
        expect(() => new ReplicaStack("dr", { spec, replica: 2, image: "x", namespace: "db", replicationPassword: pulumi.secret("pw") })).toThrow(ConfigError);
    });
});

describe("the k8s stack (Pulumi.k8s.yaml), as `npm run check -- --stack k8s` runs it", async () => {
    const result = await checkStack("k8s");

    it("passes the gate with zero findings, advisory ones included (TLS is on): exit 0, no duplicate URN", () => {
        expect(result.violations).toEqual([]);
        expect(result.duplicateUrns).toEqual([]);
        expect(exitCode(result)).toBe(0);
    });

    it("issues the stack's CA and a certificate for each server and pool", () => {
        expect(ofType(result.resources, "tls:index/selfSignedCert:SelfSignedCert").map((r) => r.name)).toEqual(["pg-ca"]);
        expect(
            ofType(result.resources, "tls:index/locallySignedCert:LocallySignedCert")
                .map((r) => r.name)
                .sort(),
        ).toEqual(["pg-pooler-session-tls", "pg-pooler-transaction-tls", "pg-primary-tls", "pg-replica-1-server-tls"]);
    });

    it("runs a primary and one replica, each on a 5Gi claim, behind ClusterIP Services", () => {
        const sets = ofType(result.resources, T.statefulSet).map((r) => [
            workload(r).metadata.name,
            workload(r).spec.volumeClaimTemplates?.find((c) => c.metadata.name === "data")?.spec.resources.requests.storage,
        ]);
        expect(sets).toEqual([
            ["primary", "5Gi"],
            ["replica-1", "5Gi"],
        ]);
        expect(ofType(result.resources, T.service).every((r) => (r.inputs.spec as { type: string }).type === "ClusterIP")).toBe(true);
    });
});

describe("the gate reads the Kubernetes objects: a bad k8s stack exits 1 naming the rule and the object", () => {
    const dirs: string[] = [];
    afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

    /** A project with the real Pulumi.yaml and a `k8s` stack of a primary and one replica plus `extra` config (checked with k8s's policy config). */
    function k8sStack(extra: string): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-k8s-"));
        dirs.push(dir);
        fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        const base =
            "config:\n  pg-platform:target: kubernetes\n  pg-platform:topology: primary\n  pg-platform:replicas: 1\n  pg-platform:kubernetes:\n    namespace: pg\n";
        fs.writeFileSync(path.join(dir, "Pulumi.k8s.yaml"), `${base}${extra}`);
        return dir;
    }

    it("an md5 rule in postgres.hba: scram-only-auth on the servers' ConfigMaps", async () => {
        const dir = k8sStack(
            "  pg-platform:image:\n    push: true\n    repository: ghcr.io/example/postgres\n  pg-platform:postgres:\n    hba:\n      - { type: host, database: all, user: all, address: 10.0.0.0/8, method: md5 }\n",
        );
        const result = await checkStack("k8s", { projectDir: dir });
        const scram = result.violations.filter((v) => v.policy === "scram-only-auth");
        expect(exitCode(result)).toBe(1);
        expect([...new Set(scram.map((v) => v.urn?.split("::").pop()))].sort()).toEqual(["pg-primary-config", "pg-replica-1-server-config"]);
    });

    it("a prebuilt image by tag: pinned-images on both StatefulSets (the primary's for its backup scheduler too)", async () => {
        const dir = k8sStack("  pg-platform:image:\n    prebuilt: postgres:18\n");
        const result = await checkStack("k8s", { projectDir: dir });
        const pinned = result.violations.filter((v) => v.policy === "pinned-images" && v.level === "mandatory");
        expect(exitCode(result)).toBe(1);
        expect(pinned.map((v) => v.urn?.split("::").pop()).sort()).toEqual([
            "pg-primary-statefulset",
            "pg-primary-statefulset",
            "pg-replica-1-server-statefulset",
        ]);
    });
});
