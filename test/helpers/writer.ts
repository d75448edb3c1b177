import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import type { PlatformSpec } from "../../components/config";
import { HEALTHCHECK_PATH, SERVER_ENV, healthcheckArgs } from "../../components/image/runtime";
import { SUPERUSER } from "../../components/platform/identifiers";
import { renderServices } from "../../components/render";
import { loginRoles } from "../../components/render/roles";
import { POSTGRES_OWNER } from "../../components/self-hosted/files";
import { SECRET_FILES, postgresCommand } from "../../components/self-hosted/server";
import { runContainer, type ContainerFile, type ContainerOptions, type TestContainer } from "./containers";

/** The postgres user of the platform's image, which owns every file the writer reads. */
export const OWNER = { uid: POSTGRES_OWNER.uid, gid: POSTGRES_OWNER.gid } as const;

/** A fresh random password for the superuser and every login role of `spec`. */
export function randomPasswords(spec: PlatformSpec): Record<string, string> {
    return Object.fromEntries([SUPERUSER, ...loginRoles(spec)].map((role) => [role, randomBytes(18).toString("hex")]));
}

/** The writer's files as the Docker target uploads them: its rendered files and the superuser's password file. */
export function writerFiles(spec: PlatformSpec, passwords: Readonly<Record<string, string>>): ContainerFile[] {
    return [
        ...renderServices(spec, { passwords })[0].files.map((file) => ({ path: file.path, content: file.content, mode: file.mode, ...OWNER })),
        { path: SECRET_FILES.superuserPassword, content: passwords[SUPERUSER], mode: 0o600, ...OWNER },
    ];
}

/** What a test gives {@link runWriter}: the entrypoint, further environment, files, volumes, network; and how long it may take to turn healthy (default 240 s). */
export type WriterOptions = Omit<ContainerOptions, "image" | "command" | "memoryMb" | "cpus" | "shmSizeMb" | "healthcheck"> & {
    readonly healthyWithinMs?: number;
};

/**
 * The writer as the Docker target runs it, started and healthy: `image` with `spec`'s writer
 * command, the superuser's password file named in its environment, 1 GiB, one CPU, 256 MiB of
 * shared memory and the primary's healthcheck every second.
 */
export async function runWriter(image: string, spec: PlatformSpec, options: WriterOptions): Promise<TestContainer> {
    const { healthyWithinMs = 240_000, env, ...rest } = options;
    const server = await runContainer({
        ...rest,
        image,
        command: postgresCommand(spec, "writer"),
        env: { [SERVER_ENV.passwordFile]: SECRET_FILES.superuserPassword, ...env },
        memoryMb: 1024,
        cpus: 1,
        shmSizeMb: 256,
        healthcheck: { test: [HEALTHCHECK_PATH, ...healthcheckArgs(spec, "primary")], intervalSeconds: 1 },
    });
    await server.waitHealthy(healthyWithinMs);
    return server;
}

/** Runs a shell script in the container (as its user) and fails the test, with its output, unless it exits 0. */
export async function sh(container: TestContainer, script: string, timeoutMs = 600_000): Promise<string> {
    const result = await container.exec(["sh", "-ec", script], { timeoutMs });
    expect(result.code, `${script}\n${result.stdout}\n${result.stderr}`).toBe(0);
    return result.stdout;
}

/** psql over the container's socket into `database`, unaligned and quiet, stopping on the first error. */
export function psqlIn(database: string): (container: TestContainer, sql: string) => Promise<string> {
    return (container, sql) => sh(container, `psql -XAtq -v ON_ERROR_STOP=1 -d ${database} <<'SQL'\n${sql}\nSQL`);
}
