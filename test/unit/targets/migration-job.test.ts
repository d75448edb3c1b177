// The migration job under mocks: a one-shot container on Docker, a Job on Kubernetes, as the
// first database's migrate role through the session pool, after the writer's stack, with the
// outputs waiting for it; the config's refusals; and the policy pack's view of it.
import { describe, expect, it } from "vitest";
import { MIGRATION_CA_PATH, migrationFailure } from "../../../components/self-hosted/migrations";
import { parseSpec, type PlatformConfigInput } from "../../../components/config";
import { isSecretOutput, named, ofType } from "../../../cli/offline/harness";
import { deployedUnderMocks } from "../../helpers/self-hosted";
import { runPolicies } from "../../../policies/offline";

const IMAGE = `ghcr.io/acme/app-migrations@sha256:${"ab".repeat(32)}`;
const JOB: PlatformConfigInput = {
    topology: "primary",
    postgres: { tls: { enabled: true } },
    migrations: { image: IMAGE, command: ["npx", "node-pg-migrate", "up"], env: { MIGRATIONS_DIR: "migrations" }, timeoutSeconds: 300 },
};

async function deployed(target: "docker" | "kubernetes", config: PlatformConfigInput) {
    const run = await deployedUnderMocks(target, config, { imagePullSecrets: ["regcred"] });
    return { ...run, pw: (run.outputs as unknown as { secretReferences: Record<string, string> }).secretReferences };
}

describe("the migration job on Docker", () => {
    it("runs the pinned image once, attached to the end, as app_migrate through the session pool, verifying it against the CA", async () => {
        const run = await deployed("docker", JOB);
        const job = named(run.resources, "docker:index/container:Container", "pg-migrations");
        const component = named(run.resources, "pg-platform:docker:MigrationJob", "pg-migrations");
        expect(job.parent).toBe(component.urn);
        expect(job.inputs).toMatchObject({
            name: "test-pg-migrations",
            attach: true,
            logs: true,
            mustRun: false,
            rm: false,
            restart: "no",
            command: ["npx", "node-pg-migrate", "up"],
            networksAdvanced: [{ name: "test-pg" }],
        });
        expect(job.inputs.ports).toBeUndefined();
        expect(job.inputs.envs).toEqual([
            `DATABASE_URL=postgresql://app_migrate:${encodeURIComponent(run.pw.app_migrate)}@pooler-session:6432/app?sslmode=verify-full&sslrootcert=${MIGRATION_CA_PATH}`,
            "MIGRATIONS_DIR=migrations",
        ]);
        expect(job.inputs.uploads).toEqual([expect.objectContaining({ file: MIGRATION_CA_PATH })]);
        expect(named(run.resources, "docker:index/remoteImage:RemoteImage", "pg-migrations-image").inputs.name).toBe(IMAGE);
    });

    it("keeps the outputs secret and resolving (the mocked run succeeded)", async () => {
        const run = await deployed("docker", JOB);
        expect(await isSecretOutput(run.raw.primaryUrl)).toBe(true);
        expect(await isSecretOutput(run.raw.sessionPoolUrl!)).toBe(true);
        expect((run.outputs as unknown as { sessionPoolUrl: string }).sessionPoolUrl).toMatch(/^postgresql:\/\/app_migrate:/);
    });

    it("connects straight to the primary when the stack runs no pools, and makes no job without an image", async () => {
        const single = await deployed("docker", { migrations: { image: IMAGE } });
        expect(String((named(single.resources, "docker:index/container:Container", "pg-migrations").inputs.envs as string[])[0])).toMatch(
            /@primary:5432\/app$/,
        );
        const none = await deployed("docker", { topology: "primary" });
        expect(ofType(none.resources, "pg-platform:docker:MigrationJob")).toEqual([]);
    });

    it("passes the policy pack with no finding (pinned image, nothing published, TLS)", async () => {
        const run = await deployed("docker", JOB);
        const gate = run.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent, props: r.inputs }));
        expect((await runPolicies(gate, {})).map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
    });
});

describe("the migration job on Kubernetes", () => {
    it("is a Job of one pod, no retries, bounded in time, with the URL from a Secret and the CA mounted", async () => {
        const run = await deployed("kubernetes", JOB);
        const job = named(run.resources, "kubernetes:batch/v1:Job", "pg-migrations");
        const spec = job.inputs.spec as {
            backoffLimit: number;
            activeDeadlineSeconds: number;
            template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
        };
        expect(spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 300 });
        expect((job.inputs.metadata as { annotations: Record<string, string> }).annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
        expect(spec.template.metadata.labels["pg-platform.io/client"]).toBe("true");
        expect(spec.template.spec).toMatchObject({ restartPolicy: "Never", automountServiceAccountToken: false, imagePullSecrets: [{ name: "regcred" }] });
        const container = (spec.template.spec.containers as Record<string, unknown>[])[0];
        expect(container).toMatchObject({
            image: IMAGE,
            args: ["npx", "node-pg-migrate", "up"],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        });
        expect(container.env).toEqual([
            { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "migrations-connection", key: "DATABASE_URL" } } },
            { name: "MIGRATIONS_DIR", value: "migrations" },
        ]);
        expect(container.volumeMounts).toEqual([{ name: "ca", mountPath: "/etc/pg-platform/migrations", readOnly: true }]);
        const secret = named(run.resources, "kubernetes:core/v1:Secret", "pg-migrations-connection");
        expect((secret.inputs.stringData as Record<string, string>).DATABASE_URL).toBe(
            `postgresql://app_migrate:${encodeURIComponent(run.pw.app_migrate)}@pooler-session:6432/app?sslmode=verify-full&sslrootcert=${MIGRATION_CA_PATH}`,
        );
    });
});

describe("migrations in the stack config", () => {
    const problems = (config: PlatformConfigInput) => {
        try {
            parseSpec(config as Record<string, unknown>);
            return "";
        } catch (error) {
            return (error as Error).message;
        }
    };

    it("refuses a tag, an image on a managed target, and a command without an image", () => {
        expect(problems({ migrations: { image: "ghcr.io/acme/app-migrations:latest" } })).toMatch(/migrations\.image: must be pinned by digest/);
        expect(problems({ target: "aws", migrations: { image: IMAGE } })).toMatch(
            /migrations\.image: the aws target runs no migration job: run the migration image in your pipeline/,
        );
        expect(problems({ migrations: { command: ["true"] } })).toMatch(/migrations\.image: is required when migrations\.command or migrations\.env is set/);
    });

    it("fails the deployment when a run exits non-zero, naming where its output is", () => {
        expect(migrationFailure(0, "docker logs x")).toBeUndefined();
        expect(migrationFailure(undefined, "docker logs x")).toBeUndefined();
        expect(migrationFailure(3, "docker logs test-pg-migrations")).toMatch(/^the migration job exited with code 3: .*docker logs test-pg-migrations/);
    });
});
