// How a rotated password reaches a running pool on Docker: the auth file lives in a volume that a
// one-shot writer fills; a new password replaces the writer only, never the pool.
import { describe, expect, it } from "vitest";
import { deploy } from "../../../../components/targets/docker";
import { AUTH_SHAPE_LABEL, AUTH_STAGING_DIR, authWriterScript } from "../../../../components/targets/docker/pooler";
import { PGBOUNCER_IMAGE } from "../../../../components/platform/images";
import { parseSpec, type PlatformConfigInput } from "../../../../components/config";
import { named, runUnderMocks, type MockedResource } from "../../../../cli/offline/harness";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

interface Inputs {
    name: string;
    image: string;
    user?: string;
    entrypoints: string[];
    command: string[];
    uploads: { file: string; content: string; permissions: string; owner: string }[];
    volumes?: { volumeName: string; containerPath: string; readOnly?: boolean }[];
    labels?: { label: string; value: string }[];
    networkMode?: string;
    networksAdvanced?: unknown[];
    ports?: unknown[];
    attach?: boolean;
    mustRun?: boolean;
    restart?: string;
}
const inputsOf = (r: MockedResource) => r.inputs as unknown as Inputs;

/** Deploys a stack under mocks; `rotated` gives those roles another generated password. */
async function deployed(config: PlatformConfigInput, rotated: readonly string[] = []) {
    const spec = parseSpec(config as Record<string, unknown>);
    return runUnderMocks(() => deploy(spec, { stack: "test" }), {
        stack: "test",
        computed: (type, name) =>
            type === RANDOM_PASSWORD && rotated.some((role) => name.endsWith(`-${role}-password`)) ? { result: `rotated-${name}` } : undefined,
    });
}

describe("a pool on Docker", async () => {
    const run = await deployed({ topology: "primary" });
    const pool = named(run.resources, CONTAINER, "pg-pooler-transaction");
    const writer = named(run.resources, CONTAINER, "pg-pooler-transaction-auth-writer");
    const volume = named(run.resources, VOLUME, "pg-pooler-transaction-auth");

    it("runs PgBouncer under the rendered supervisor, its auth file from a volume mounted read-only", () => {
        expect(inputsOf(pool).entrypoints).toEqual(["/bin/sh"]);
        expect(inputsOf(pool).command).toEqual([
            "/etc/pgbouncer/run-pgbouncer.sh",
            PGBOUNCER_IMAGE.binary,
            "/etc/pgbouncer/pgbouncer.ini",
            "/etc/pgbouncer/auth/userlist.txt",
            "5",
        ]);
        expect(inputsOf(pool).volumes).toEqual([{ volumeName: "test-pg-pooler-transaction-auth", containerPath: "/etc/pgbouncer/auth", readOnly: true }]);
        expect(volume.inputs.name).toBe("test-pg-pooler-transaction-auth");
        expect(
            inputsOf(pool)
                .uploads.map((u) => u.file)
                .sort(),
        ).toEqual(["/etc/pgbouncer/pgbouncer.ini", "/etc/pgbouncer/run-pgbouncer.sh"]);
        expect(pool.dependencies).toContain(writer.urn);
    });

    it("has a one-shot writer with no network that moves the auth file into the volume for the pool's user", () => {
        expect(inputsOf(writer)).toMatchObject({
            name: "test-pg-pooler-transaction-auth-writer",
            user: "0:0",
            networkMode: "none",
            attach: true,
            mustRun: false,
            restart: "no",
        });
        expect(inputsOf(writer).image).toBe(inputsOf(pool).image);
        expect(inputsOf(writer).ports ?? []).toEqual([]);
        expect(inputsOf(writer).networksAdvanced ?? []).toEqual([]);
        expect(inputsOf(writer).volumes).toEqual([{ volumeName: "test-pg-pooler-transaction-auth", containerPath: "/etc/pgbouncer/auth" }]);
        expect(inputsOf(writer).uploads.map(({ file, permissions, owner }) => ({ file, permissions, owner }))).toEqual([
            { file: `${AUTH_STAGING_DIR}/userlist.txt`, permissions: "0600", owner: "0" },
        ]);
        expect(writer.secretInputs).toContain("uploads[0].content");
        expect(inputsOf(writer).entrypoints).toEqual(["/bin/sh", "-c"]);
        expect(inputsOf(writer).command).toEqual([authWriterScript(["/etc/pgbouncer/auth/userlist.txt"], PGBOUNCER_IMAGE)]);
    });

    it("writes the file atomically, owned by the pool's user, mode 0600", () => {
        expect(authWriterScript(["/etc/pgbouncer/auth/userlist.txt"], { uid: 70, gid: 70 })).toBe(
            [
                "set -eu",
                "cp /run/pg-platform/auth/userlist.txt /etc/pgbouncer/auth/.userlist.txt.new && chown 70:70 /etc/pgbouncer/auth/.userlist.txt.new" +
                    " && chmod 0600 /etc/pgbouncer/auth/.userlist.txt.new && mv -f /etc/pgbouncer/auth/.userlist.txt.new /etc/pgbouncer/auth/userlist.txt",
            ].join("\n"),
        );
    });
});

describe("a password rotation and a role change on Docker", async () => {
    const before = await deployed({ topology: "primary" });
    const rotated = await deployed({ topology: "primary" }, ["app_app"]);
    const withRole = await deployed({ topology: "primary", postgres: { roles: [{ name: "reporting", database: "app", access: "readonly" }] } });
    const container = (run: typeof before, name: string) => inputsOf(named(run.resources, CONTAINER, name));
    const label = (run: typeof before) => container(run, "pg-pooler-session").labels?.find((l) => l.label === AUTH_SHAPE_LABEL)?.value;

    it("changes only the writers' uploads when a password changes: the pools stay as they are (no restart)", () => {
        for (const mode of ["transaction", "session"]) {
            expect(container(rotated, `pg-pooler-${mode}`)).toEqual(container(before, `pg-pooler-${mode}`));
            const userlist = (run: typeof before) => container(run, `pg-pooler-${mode}-auth-writer`).uploads[0].content;
            expect(userlist(rotated)).not.toBe(userlist(before));
            expect(
                userlist(rotated)
                    .split("\n")
                    .filter((line) => line.startsWith('"app_app"')),
            ).not.toEqual(
                userlist(before)
                    .split("\n")
                    .filter((line) => line.startsWith('"app_app"')),
            );
        }
        expect(label(rotated)).toBe(label(before));
    });

    it("labels a pool with which roles its auth file lists, so another set of roles replaces the pool (replaceOnChanges: labels)", () => {
        expect(label(before)).toMatch(/^[0-9a-f]{16}$/);
        expect(label(withRole)).not.toBe(label(before));
        expect(container(withRole, "pg-pooler-session-auth-writer").uploads[0].content).toMatch(/^"reporting" "SCRAM-SHA-256\$/m);
    });
});
