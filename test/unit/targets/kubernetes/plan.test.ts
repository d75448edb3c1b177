import { describe, expect, it } from "vitest";
import { SECRET_FILES } from "../../../../components/self-hosted/server";
import { secretBearingPaths, type ServiceName } from "../../../../components/self-hosted/services";
import { HEALTHCHECK_PATH } from "../../../../components/image/runtime";
import {
    LABELS,
    SERVER_START_SECONDS,
    configHash,
    fileKey,
    fileStore,
    kubernetesCertificateNames,
    objectName,
    podKind,
    podLabels,
    securityContexts,
    selectorLabels,
    serverEnv,
    serverProbes,
    serverResources,
    serviceDnsName,
    tlsMount,
    volumeClaims,
    validateKubernetes,
    type FileStore,
} from "../../../../components/targets/kubernetes/plan";
import { renderServices } from "../../../../components/render";
import { ConfigError, parseSpec, type PlatformConfigInput } from "../../../../components/config";

const K8S = { target: "kubernetes", kubernetes: { namespace: "db" }, image: { push: true, repository: "ghcr.io/acme/postgres" } } as const;
const spec = (extra: Partial<PlatformConfigInput> = {}) => parseSpec({ ...K8S, ...extra } as Record<string, unknown>);

describe("names and DNS", () => {
    it.each<[ServiceName, string, string]>([
        ["single", "primary", "primary.db.svc.cluster.local"],
        ["primary", "primary", "primary.db.svc.cluster.local"],
        ["replica-2", "replica-2", "replica-2.db.svc.cluster.local"],
        ["pooler-transaction", "pooler-transaction", "pooler-transaction.db.svc.cluster.local"],
        ["pooler-session", "pooler-session", "pooler-session.db.svc.cluster.local"],
        ["exporter", "exporter", "exporter.db.svc.cluster.local"],
    ])("%s is the object %s, reached as %s", (service, name, dns) => {
        expect(objectName(service)).toBe(name);
        expect(serviceDnsName(service, "db")).toBe(dns);
    });
});

describe("labels", () => {
    it.each<[ServiceName, string, string]>([
        ["primary", "server", "postgresql"],
        ["replica-1", "server", "postgresql"],
        ["pooler-session", "pooler", "pgbouncer"],
        ["exporter", "exporter", "postgres-exporter"],
    ])("%s pods are of kind %s running %s; the selector is a subset of the labels", (service, kind, program) => {
        expect(podKind(service)).toBe(kind);
        const labels = podLabels(service);
        expect(labels).toMatchObject({ ...selectorLabels(service), [LABELS.kind]: kind, [LABELS.name]: program });
    });

    it("selects each service's pods only (no two selectors alike)", () => {
        const services: ServiceName[] = ["primary", "replica-1", "replica-2", "pooler-transaction", "pooler-session", "exporter"];
        expect(new Set(services.map((s) => JSON.stringify(selectorLabels(s)))).size).toBe(services.length);
    });
});

describe("which store a rendered file goes to", () => {
    const none = new Set<string>();
    it.each<[string, number, ReadonlySet<string>, FileStore]>([
        ["/etc/postgresql/postgresql.conf", 0o644, none, "configMap"],
        ["/etc/postgresql/pg_hba.conf", 0o644, none, "configMap"],
        ["/docker-entrypoint-initdb.d/10-pg-platform.sql", 0o644, new Set(["/docker-entrypoint-initdb.d/10-pg-platform.sql"]), "secret"],
        ["/etc/pgbouncer/userlist.txt", 0o600, none, "secret"],
        ["/etc/postgres_exporter/password", 0o600, none, "secret"],
        ["/etc/postgresql/replication.pgpass", 0o600, none, "bootstrap"],
    ])("%s (mode %o) → %s", (path, mode, dependent, store) => {
        expect(fileStore({ path, mode }, dependent)).toBe(store);
    });

    it("on a real render, every file holding or derived from a password goes to a Secret", () => {
        const s = spec({ topology: "primary", replicas: 1 });
        const stores = Object.fromEntries(
            renderServices(s).map((service) => {
                const dependent = secretBearingPaths(s, service.name as ServiceName);
                return [service.name, service.files.filter((f) => fileStore(f, dependent) === "secret").map((f) => fileKey(f.path))];
            }),
        );
        expect(stores).toEqual({
            primary: ["10-pg-platform.sql"],
            "replica-1": [],
            "pooler-transaction": ["userlist.txt"],
            "pooler-session": ["userlist.txt"],
            exporter: ["password"],
        });
    });
});

describe("resources, probes, security", () => {
    it.each<[string, number, string, string]>([
        ["1GiB", 1, "1024Mi", "1"],
        ["2GiB", 2, "2048Mi", "2"],
        ["512MB", 0.5, "512Mi", "0.5"],
    ])("memory %s, cpus %s → requests = limits = %s / %s (the auto-tuning reads the limit)", (memory, cpus, mem, cpu) => {
        const resources = serverResources(spec({ postgres: { memory, cpus } }));
        expect(resources.limits).toEqual({ cpu, memory: mem });
        expect(resources.requests).toEqual(resources.limits);
    });

    it("probes a server with the image's healthcheck for its role, and gives it the start time of initdb or a base backup", () => {
        const probes = serverProbes(spec({ topology: "primary", replicas: 1 }), "replica");
        for (const probe of [probes.startupProbe, probes.readinessProbe, probes.livenessProbe]) {
            expect(probe.exec?.command.slice(0, 3)).toEqual([HEALTHCHECK_PATH, "--role", "replica"]);
        }
        expect(probes.startupProbe.periodSeconds * probes.startupProbe.failureThreshold).toBeGreaterThanOrEqual(SERVER_START_SECONDS);
        expect(probes.livenessProbe.failureThreshold).toBeGreaterThan(probes.readinessProbe.failureThreshold);
    });

    it("runs as the image's user, never root, with no privilege escalation and no capabilities", () => {
        expect(securityContexts({ uid: 70, gid: 70 })).toEqual({
            pod: { runAsNonRoot: true, runAsUser: 70, runAsGroup: 70, fsGroup: 70, seccompProfile: { type: "RuntimeDefault" } },
            container: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        });
    });
});

describe("server environment: secrets only as file paths", () => {
    it("a writer gets the superuser password file for initdb and the init SQL to re-apply on every start", () => {
        const writers: [Partial<PlatformConfigInput>, ServiceName][] = [
            [{}, "single"],
            [{ topology: "primary", replicas: 1 }, "primary"],
        ];
        for (const [config, service] of writers) {
            expect(serverEnv(spec(config), service)).toEqual([
                { name: "POSTGRES_PASSWORD_FILE", value: SECRET_FILES.superuserPassword },
                { name: "PG_PLATFORM_INIT_SQL", value: "/docker-entrypoint-initdb.d/10-pg-platform.sql" },
            ]);
        }
    });

    it("a replica gets the bootstrap's settings: primary Service, its own slot, and where to write the passfile", () => {
        const env = Object.fromEntries(serverEnv(spec({ topology: "primary", replicas: 2 }), "replica-2").map((e) => [e.name, e.value]));
        expect(env).toEqual({
            PRIMARY_HOST: "primary",
            PRIMARY_PORT: "5432",
            REPLICATION_USER: "replicator",
            REPLICATION_PASSWORD_FILE: SECRET_FILES.replicationPassword,
            REPLICATION_SLOT: "replica_2",
            PRIMARY_SSLMODE: "prefer",
            REPLICATION_PASSFILE: "/etc/postgresql/replication.pgpass",
        });
    });

    it("with TLS on, a replica verifies the primary (verify-full) against the CA at the rendered path, which PGSSLROOTCERT names for pg_basebackup's conninfo too", () => {
        const tls = { topology: "primary", replicas: 1, postgres: { tls: { enabled: true } } } as const;
        const env = Object.fromEntries(serverEnv(spec(tls), "replica-1").map((e) => [e.name, e.value]));
        expect(env).toMatchObject({ PRIMARY_SSLMODE: "verify-full", PGSSLROOTCERT: "/etc/postgresql/tls/ca.crt" });
        expect(serverEnv(spec(tls), "primary").map((e) => e.name)).not.toContain("PGSSLROOTCERT");
        expect(serverEnv(spec({ topology: "primary", replicas: 1 }), "replica-1").map((e) => e.name)).not.toContain("PGSSLROOTCERT");
    });
});

describe("TLS certificates", () => {
    it.each<[Parameters<typeof kubernetesCertificateNames>[0], string]>([
        ["single", "primary"],
        ["primary", "primary"],
        ["replica-2", "replica-2"],
        ["pooler-transaction", "pooler-transaction"],
        ["pooler-session", "pooler-session"],
    ])("%s's certificate covers its Service name %s in the namespace, from other namespaces, and loopback", (service, name) => {
        expect(kubernetesCertificateNames(service, "db")).toEqual({
            commonName: name,
            dnsNames: [name, `${name}.db.svc`, `${name}.db.svc.cluster.local`, "localhost"],
            ipAddresses: ["127.0.0.1", "::1"],
        });
    });

    it("mounts a server's Secret where postgresql.conf names the files and a pool's where pgbouncer.ini does; the key 0600, the rest 0644", () => {
        const items = [
            { key: "tls.crt", path: "server.crt", mode: 0o644 },
            { key: "ca.crt", path: "ca.crt", mode: 0o644 },
            { key: "tls.key", path: "server.key", mode: 0o600 },
        ];
        expect(tlsMount("replica-1")).toEqual({ mountPath: "/etc/postgresql/tls", items });
        expect(tlsMount("pooler-session")).toEqual({ mountPath: "/etc/pgbouncer/tls", items });
    });

    it("asks no more than PostgreSQL accepts for a root-owned key once kubelet adds group read for fsGroup (0640)", () => {
        const key = tlsMount("primary").items.find((item) => item.key === "tls.key");
        expect(((key?.mode ?? 0o777) | 0o440) & ~0o640).toBe(0);
    });
});

describe("volume claims", () => {
    it.each<[string, Partial<PlatformConfigInput>, ServiceName, string[]]>([
        ["default: data 5Gi and WAL archive 5Gi on the writer", {}, "single", ["data:5Gi", "wal-archive:5Gi"]],
        [
            "storageSize and walArchiveSize",
            { kubernetes: { namespace: "db", storageSize: "20Gi", walArchiveSize: "50Gi" } },
            "primary",
            ["data:20Gi", "wal-archive:50Gi"],
        ],
        ["backups off: data only", { backup: { enabled: false } }, "single", ["data:5Gi"]],
        ["a replica archives nothing", { topology: "primary", replicas: 1 }, "replica-1", ["data:5Gi"]],
    ])("%s", (_, extra, service, claims) => {
        expect(volumeClaims(spec(extra), service).map((c) => `${c.name}:${c.size}`)).toEqual(claims);
    });
});

describe("validation before any resource", () => {
    const problems = (extra: Partial<PlatformConfigInput>): string[] => {
        try {
            validateKubernetes(spec(extra));
            return [];
        } catch (error) {
            if (error instanceof ConfigError) return error.problems.map((p) => p.split(":").slice(0, 2).join(":"));
            throw error;
        }
    };

    it.each<[string, Partial<PlatformConfigInput>, string[]]>([
        ["a pushed build", {}, []],
        ["a prebuilt image", { image: { prebuilt: `ghcr.io/acme/postgres@sha256:${"0".repeat(64)}` } }, []],
        ["a local build the cluster cannot pull", { image: {} }, ["pg-platform:image.push"]],
        ["TLS on (the target issues the certificates)", { postgres: { tls: { enabled: true } } }, []],
    ])("%s → %j", (_, extra, expected) => {
        expect(problems(extra)).toEqual(expected);
    });
});

describe("config hash", () => {
    it("is stable for the same files and changes with any of them", () => {
        expect(configHash(["a", "b"])).toBe(configHash(["a", "b"]));
        expect(configHash(["a", "b"])).not.toBe(configHash(["a", "c"]));
        expect(configHash(["ab", ""])).not.toBe(configHash(["a", "b"]));
    });
});
