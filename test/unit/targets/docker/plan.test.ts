import { describe, expect, it } from "vitest";
import { AUTO_TUNED_PARAMETERS } from "../../../../components/image/runtime";
import { WAL_ARCHIVE_MOUNT, postgresCommand } from "../../../../components/self-hosted/server";
import { REPOSITORY_MOUNT } from "../../../../components/render/pgbackrest";
import { dockerServices, hostPort, networkName, publishedPort, serverLimits, volumeName } from "../../../../components/targets/docker/plan";
import { endpointRoles, holdsPlaceholder, secretBearingPaths, unavailableEndpoints } from "../../../../components/self-hosted/services";
import { secretPlaceholder } from "../../../../components/render/layout";
import { parseSpec, type PlatformConfigInput } from "../../../../components/config";

const spec = (config: PlatformConfigInput = {}) => parseSpec(config as Record<string, unknown>);

describe("Docker names", () => {
    it("derive from the stack unless docker.networkName is set, and carry it so stacks never collide", () => {
        expect(networkName(spec(), "dev")).toBe("dev-pg");
        expect(networkName(spec({ docker: { networkName: "shared" } }), "dev")).toBe("shared");
        expect(volumeName("dev-pg", "replica-2", "data")).toBe("dev-pg-replica-2-data");
        expect(volumeName("dev-pg", "primary", "wal-archive")).toBe("dev-pg-primary-wal-archive");
    });
});

describe("published ports", () => {
    const primary = spec({ topology: "primary", replicas: 3, network: { bindAddress: "::1", ports: { postgres: 5433, replicaBase: 6000 } } });

    it("map each service to its network.ports entry, replica N to replicaBase + N - 1", () => {
        expect(dockerServices(primary).map((s) => [s, hostPort(primary, s)])).toEqual([
            ["primary", 5433],
            ["pooler-transaction", 6432],
            ["pooler-session", 6433],
            ["exporter", 9187],
            ["replica-1", 6000],
            ["replica-2", 6001],
            ["replica-3", 6002],
        ]);
    });

    it("bind network.bindAddress on the host and the fixed service port inside the container", () => {
        expect(publishedPort(primary, "pooler-session")).toEqual({ internal: 6432, external: 6433, ip: "::1", protocol: "tcp" });
        expect(publishedPort(spec(), "single")).toEqual({ internal: 5432, external: 5432, ip: "127.0.0.1", protocol: "tcp" });
    });
});

describe("services and endpoints", () => {
    it("run one container for single, and only the enabled companions (pools, exporter) for primary", () => {
        expect(dockerServices(spec())).toEqual(["single"]);
        expect(dockerServices(spec({ topology: "primary", pooler: { enabled: false }, exporter: { enabled: false } }))).toEqual(["primary"]);
    });

    it("say why an endpoint is missing and what to use instead", () => {
        expect(Object.keys(unavailableEndpoints(spec())).sort()).toEqual(["metricsUrl", "readOnlyUrl", "sessionPoolUrl", "transactionPoolUrl"]);
        expect(unavailableEndpoints(spec()).transactionPoolUrl).toMatch(/topology "single" runs no PgBouncer.*primaryUrl/);
        expect(unavailableEndpoints(spec({ topology: "primary", replicas: 1 }))).toEqual({});
        expect(unavailableEndpoints(spec({ topology: "primary", exporter: { enabled: false } }))).toEqual({
            readOnlyUrl: expect.stringMatching(/replicas is 0/),
            metricsUrl: "exporter.enabled is false: set it to true",
        });
    });

    it("log in as the app role (primary, transaction pool), migrate role (session pool), read-only role (replica)", () => {
        expect(endpointRoles(spec({ postgres: { databases: [{ name: "shop" }, { name: "crm" }] } }))).toEqual({
            database: "shop",
            application: "shop_app",
            migrate: "shop_migrate",
            readOnly: "shop_readonly",
        });
    });
});

describe("server container settings", () => {
    it("limit memory (no swap) and CPUs from postgres.memory and postgres.cpus", () => {
        expect(serverLimits(spec({ postgres: { memory: "2GiB", cpus: 1.5 } }))).toEqual({ memory: 2048, memorySwap: 2048, cpus: "1.5" });
    });

    it("start postgres with the rendered postgresql.conf and archive WAL into the archive volume on a writer", () => {
        const command = postgresCommand(spec(), "writer");
        expect(command.slice(0, 3)).toEqual(["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"]);
        expect(command).toContain("archive_mode=on");
        expect(command).toContain(
            `archive_command={ test -f pg-platform-stanza-created || { { test -f pg-platform-stanza-upgrade && pgbackrest --config=/etc/postgresql/pgbackrest.conf --config-path=/run/pg-platform/pgbackrest --stanza=pg-platform stanza-upgrade || pgbackrest --config=/etc/postgresql/pgbackrest.conf --config-path=/run/pg-platform/pgbackrest --stanza=pg-platform stanza-create; } && touch pg-platform-stanza-created && rm -f pg-platform-stanza-upgrade; }; } && pgbackrest --config=/etc/postgresql/pgbackrest.conf --config-path=/run/pg-platform/pgbackrest --stanza=pg-platform archive-push %p`,
        );
        expect(command).toContain("archive_timeout=60");
        expect(WAL_ARCHIVE_MOUNT).toBe(REPOSITORY_MOUNT);
        expect(postgresCommand(spec(), "replica")).not.toContain("archive_mode=on");
        expect(postgresCommand(spec({ backup: { enabled: false } }), "writer")).not.toContain("archive_mode=on");
    });

    it("pass user parameters the entrypoint tunes as -c flags, so they win over the tuning; others stay in the file", () => {
        expect(AUTO_TUNED_PARAMETERS).toContain("work_mem");
        const command = postgresCommand(
            spec({ backup: { enabled: false }, postgres: { parameters: { work_mem: "64MB", jit: false, statement_timeout: 0 } } }),
            "writer",
        );
        expect(command.slice(3)).toEqual(["-c", "work_mem=64MB"]);
    });
});

describe("which rendered files carry a secret", () => {
    it("are those whose content changes with the passwords, escaped placeholders included", () => {
        const primary = spec({ topology: "primary", replicas: 1 });
        expect([...secretBearingPaths(primary, "primary")]).toEqual(["/docker-entrypoint-initdb.d/10-pg-platform.sql"]);
        expect([...secretBearingPaths(primary, "replica-1")]).toEqual(["/etc/postgresql/replication.pgpass"]);
        expect([...secretBearingPaths(primary, "pooler-transaction")]).toEqual(["/etc/pgbouncer/auth/userlist.txt"]);
        expect([...secretBearingPaths(primary, "exporter")]).toEqual(["/etc/postgres_exporter/password"]);
    });

    it("a left-over placeholder is found, and the global pattern carries no state between calls", () => {
        expect(holdsPlaceholder(`"pgbouncer_auth" "${secretPlaceholder("pgbouncer_auth")}"\n`)).toBe(true);
        expect(holdsPlaceholder("listen_addresses = '*'\n")).toBe(false);
        expect(holdsPlaceholder(secretPlaceholder("a"))).toBe(true);
        expect(holdsPlaceholder(secretPlaceholder("a"))).toBe(true);
    });
});
