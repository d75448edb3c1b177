import { describe, expect, it } from "vitest";
import { named, ofType, type MockedResource } from "../../../../cli/offline/harness";
import { CRONTAB_PATH, SCHEDULER_COMMAND, SCHEDULER_SECRET_FILE, SOCKET_DIR } from "../../../../components/self-hosted/backup-jobs";
import { SECRET_FILES } from "../../../../components/self-hosted/server";
import { deployed } from "./deploy";

// The backup scheduler on Kubernetes (issue 13) is a second container of the writer's pod: what
// the rendered StatefulSet gives it, under mocks (no cluster runs here; the same image, crond and
// jobs run on the real Docker engine in the dev-stack e2e and test/integration/backup).

const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

interface Mount {
    name: string;
    mountPath: string;
    subPath?: string;
    readOnly?: boolean;
}
interface Container {
    name: string;
    image: string;
    command: string[];
    ports?: unknown[];
    readinessProbe?: unknown;
    livenessProbe?: unknown;
    startupProbe?: unknown;
    securityContext: Record<string, unknown>;
    volumeMounts: Mount[];
}
interface PodTemplate {
    metadata: { annotations: Record<string, string> };
    spec: { containers: Container[]; volumes: { name: string; emptyDir?: object; configMap?: { name: string } }[] };
}
const pod = (r: MockedResource) => (r.inputs.spec as { template: PodTemplate }).template;
const SCHEDULE = { full: "30 1 * * 0", differential: "15 */6 * * *" };

describe("the writer's pod runs the backup scheduler beside PostgreSQL", async () => {
    const run = await deployed({ topology: "primary", replicas: 1, kubernetes: { namespace: "db" }, backup: { encrypted: true, schedule: SCHEDULE } });
    const writer = pod(named(run.resources, STATEFUL_SET, "pg-primary-statefulset"));
    const [server, scheduler] = writer.spec.containers;

    it("runs busybox crond from the server's image, as root with only SETUID and SETGID, no escalation, no port, no probe", () => {
        expect(writer.spec.containers.map((c) => c.name)).toEqual(["postgresql", "backup-scheduler"]);
        expect(scheduler.image).toBe(server.image);
        expect(scheduler.command).toEqual([...SCHEDULER_COMMAND]);
        expect(scheduler.securityContext).toEqual({
            runAsUser: 0,
            runAsGroup: 0,
            runAsNonRoot: false,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"], add: ["SETUID", "SETGID"] },
        });
        expect([scheduler.ports, scheduler.readinessProbe, scheduler.livenessProbe, scheduler.startupProbe]).toEqual([
            undefined,
            undefined,
            undefined,
            undefined,
        ]);
    });

    it("shares the data and repository claims and an emptyDir socket folder with the server", () => {
        const at = (c: Container, path: string) => c.volumeMounts.find((m) => m.mountPath === path);
        for (const path of ["/var/lib/postgresql", "/var/lib/postgresql-wal-archive", SOCKET_DIR]) {
            expect(at(scheduler, path), path).toBeDefined();
            expect(at(scheduler, path)?.name, path).toBe(at(server, path)?.name);
        }
        expect(writer.spec.volumes.find((v) => v.name === at(server, SOCKET_DIR)?.name)).toEqual({ name: "socket", emptyDir: {} });
    });

    it("mounts its crontab with the configured schedules, and only the server's pgbackrest.conf and pgBackRest secret file", () => {
        const crontab = scheduler.volumeMounts.find((m) => m.mountPath === CRONTAB_PATH);
        const volume = writer.spec.volumes.find((v) => v.name === crontab?.name);
        const map = ofType(run.resources, CONFIG_MAP).find((r) => (r.inputs.metadata as { name: string }).name === "primary-backup-schedule");
        expect(volume?.configMap?.name).toBe("primary-backup-schedule");
        const lines = Object.values(map?.inputs.data as Record<string, string>)[0].split("\n");
        expect(lines.filter((line) => /^[\d*]/.test(line)).map((line) => line.split(" ").slice(0, 5).join(" "))).toEqual([
            SCHEDULE.full,
            SCHEDULE.differential,
            "0 5 * * 0",
        ]);
        const fromServer = scheduler.volumeMounts.filter((m) => m.name === "config" || m.name === "secrets");
        expect(fromServer.map((m) => m.mountPath).sort()).toEqual(["/etc/postgresql/pgbackrest.conf", SCHEDULER_SECRET_FILE]);
        for (const mount of fromServer) expect(server.volumeMounts).toContainEqual(mount);
        expect(scheduler.volumeMounts.map((m) => m.mountPath)).not.toContain(SECRET_FILES.superuserPassword);
    });

    it("gives replicas no scheduler", () => {
        expect(pod(named(run.resources, STATEFUL_SET, "pg-replica-1-server-statefulset")).spec.containers.map((c) => c.name)).toEqual(["postgresql"]);
    });

    it("rolls the writer's pod when a schedule changes (the crontab is mounted by subPath)", async () => {
        const hash = (template: PodTemplate) => template.metadata.annotations["pg-platform.io/backup-schedule-hash"];
        const changed = await deployed({
            topology: "primary",
            replicas: 1,
            kubernetes: { namespace: "db" },
            backup: { encrypted: true, schedule: { ...SCHEDULE, full: "0 2 * * *" } },
        });
        expect(hash(writer)).toMatch(/^[0-9a-f]+$/);
        expect(hash(pod(named(changed.resources, STATEFUL_SET, "pg-primary-statefulset")))).not.toBe(hash(writer));
    });

    it("outputs the repository claim and the command listing the backups as postgres, and why no one command restores", () => {
        expect(run.outputs.backup).toEqual({
            repository: "wal-archive-primary-0",
            retentionDays: 7,
            listCommand:
                "kubectl exec --namespace db primary-0 --container backup-scheduler -- setpriv --reuid=postgres --regid=postgres --init-groups " +
                "pgbackrest --config=/etc/postgresql/pgbackrest.conf --config-path=/run/pg-platform/pgbackrest --stanza=pg-platform info",
            restoreUnavailable: expect.stringMatching(/scale the StatefulSet primary to 0/),
        });
    });
});

describe("without backups", async () => {
    const run = await deployed({ kubernetes: { namespace: "db" }, backup: { enabled: false } });

    it("runs PostgreSQL alone, makes no schedule, and says why there is no backup output", () => {
        expect(pod(named(run.resources, STATEFUL_SET, "pg-single-statefulset")).spec.containers.map((c) => c.name)).toEqual(["postgresql"]);
        expect(ofType(run.resources, CONFIG_MAP).map((r) => (r.inputs.metadata as { name: string }).name)).not.toContain("primary-backup-schedule");
        expect(run.outputs.backup).toBeUndefined();
        expect(run.outputs.unavailable.backup).toMatch(/backup\.enabled is false/);
    });
});
