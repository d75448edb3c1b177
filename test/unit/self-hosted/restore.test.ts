import { describe, expect, it } from "vitest";
import { parseSpec } from "../../../components/config";
import { ENTRYPOINT_PATH, RESTORE_ENV, RESTORE_PATH } from "../../../components/image/runtime";
import { CONTAINER_LAYOUT } from "../../../components/render/layout";
import {
    PGBACKREST_RESTORE_SECRETS_CONFIG_PATH,
    PGBACKREST_SECRETS_CONFIG_PATH,
    pgbackrestConfPath,
    pgbackrestRestoreConfPath,
} from "../../../components/render/pgbackrest";
import { restoreEnvironment, writerEntrypoint } from "../../../components/self-hosted/restore";
import { deploy as deployDocker } from "../../../components/targets/docker";
import { deploy as deployKubernetes } from "../../../components/targets/kubernetes";
import { ofType, runUnderMocks } from "../../../cli/offline/harness";

const env = (raw: Record<string, unknown>) => Object.fromEntries(restoreEnvironment(parseSpec(raw)).map((e) => [e.name, e.value]));

describe("restore as configuration: the writer's entrypoint and environment", () => {
    it("without backup.restore: the image's entrypoint alone, no restore environment", () => {
        expect(writerEntrypoint(parseSpec({}))).toEqual([ENTRYPOINT_PATH]);
        expect(restoreEnvironment(parseSpec({}))).toEqual([]);
    });

    it("to a time from this stack's repository: the restore step first, its own pgbackrest.conf and secret folder", () => {
        const raw = { backup: { restore: { target: { time: "2026-11-29T22:40:00Z" } } } };
        expect(writerEntrypoint(parseSpec(raw))).toEqual([RESTORE_PATH, ENTRYPOINT_PATH]);
        expect(env(raw)).toEqual({
            [RESTORE_ENV.type]: "time",
            [RESTORE_ENV.target]: "2026-11-29 22:40:00+00",
            [RESTORE_ENV.config]: pgbackrestConfPath(CONTAINER_LAYOUT),
            [RESTORE_ENV.configPath]: PGBACKREST_SECRETS_CONFIG_PATH,
            [RESTORE_ENV.stanza]: "pg-platform",
        });
    });

    it("to the end of another stack's repository: no target, the restore-only conf and secrets", () => {
        const from = { type: "s3", bucket: "other", endpoint: "s3.eu-west-1.amazonaws.com", region: "eu-west-1" };
        const e = env({ backup: { restore: { from, target: { latest: true } } } });
        expect(e[RESTORE_ENV.type]).toBe("default");
        expect(e[RESTORE_ENV.target]).toBeUndefined();
        expect(e[RESTORE_ENV.config]).toBe(pgbackrestRestoreConfPath(CONTAINER_LAYOUT));
        expect(e[RESTORE_ENV.configPath]).toBe(PGBACKREST_RESTORE_SECRETS_CONFIG_PATH);
    });

    it("to a restore point: pgBackRest's type name", () => {
        expect(env({ backup: { restore: { target: { restorePoint: "before-release-42" } } } })[RESTORE_ENV.type]).toBe("name");
    });
});

describe("restore as configuration on the targets (under mocks)", () => {
    const RESTORE = { backup: { restore: { target: { restorePoint: "before-release-42" } } } };

    it("Docker: the writer container runs the restore step first, with its environment", async () => {
        const run = await runUnderMocks(() => deployDocker(parseSpec(RESTORE), { stack: "test" }));
        const writer = ofType(run.resources, "docker:index/container:Container").find((r) => r.name.endsWith("-single"));
        expect(writer?.inputs.entrypoints).toEqual([RESTORE_PATH, ENTRYPOINT_PATH]);
        expect(writer?.inputs.envs).toEqual(expect.arrayContaining([`${RESTORE_ENV.type}=name`, `${RESTORE_ENV.target}=before-release-42`]));
    });

    it("Kubernetes: the writer's container command and environment are the same", async () => {
        const spec = parseSpec({
            target: "kubernetes",
            kubernetes: { namespace: "db" },
            image: { push: true, repository: "ghcr.io/acme/postgres" },
            ...RESTORE,
        });
        const run = await runUnderMocks(() => deployKubernetes(spec, { stack: "test" }));
        const sets = ofType(run.resources, "kubernetes:apps/v1:StatefulSet");
        const containers = sets.flatMap(
            (r) =>
                (r.inputs.spec as { template: { spec: { containers: { name: string; command?: string[]; env?: { name: string; value?: string }[] }[] } } })
                    .template.spec.containers,
        );
        const server = containers.find((c) => c.command?.includes(ENTRYPOINT_PATH));
        expect(server?.command).toEqual([RESTORE_PATH, ENTRYPOINT_PATH]);
        expect(server?.env).toEqual(
            expect.arrayContaining([
                { name: RESTORE_ENV.type, value: "name" },
                { name: RESTORE_ENV.target, value: "before-release-42" },
            ]),
        );
    });
});
