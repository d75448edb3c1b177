import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import type { PlatformSpec } from "../../components/config";
import { SUPERUSER } from "../../components/platform/identifiers";
import { renderServices } from "../../components/render";
import { loginRoles } from "../../components/render/roles";
import { POSTGRES_OWNER } from "../../components/self-hosted/files";
import { SECRET_FILES } from "../../components/self-hosted/server";
import type { ContainerFile, TestContainer } from "./containers";

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
