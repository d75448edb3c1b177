import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tlsMount } from "../../../../components/targets/kubernetes/plan";
import { startPostgres } from "../../../../cli/local/postgres";
import { SERVICE_USER, stopAll } from "../../../../cli/local/processes";
import { bootPrimary, testSpec, type BootedPrimary } from "../../../../cli/local/stack";

afterAll(stopAll);

/** A file of a Secret volume: its key's item and content. */
interface SecretFile {
    readonly path: string;
    readonly content: string;
    readonly mode: number;
}

/**
 * Lays out `files` in `dir` the way kubelet writes a read-only Secret volume under a pod's
 * fsGroup: the files in a timestamped folder, owned by root with group `gid`, each with its
 * item's mode plus group read (kubelet ORs 0440 into a read-only volume's files), behind a
 * `..data` symlink and one symlink per file.
 */
function kubeletSecretVolume(dir: string, files: readonly SecretFile[], gid: number, owner = 0): void {
    for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    const payload = path.join(dir, "..2026_01_01_00_00_00.000000001");
    fs.mkdirSync(payload, { mode: 0o750 });
    fs.chownSync(payload, 0, gid);
    for (const file of files) {
        const target = path.join(payload, file.path);
        fs.writeFileSync(target, file.content);
        fs.chownSync(target, owner, gid);
        fs.chmodSync(target, file.mode | 0o440);
        fs.symlinkSync(path.join("..data", file.path), path.join(dir, file.path));
    }
    fs.symlinkSync(path.basename(payload), path.join(dir, "..data"));
}

const serviceGid = () => Number(execFileSync("id", ["-g", SERVICE_USER], { encoding: "utf8" }).trim());
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("the Kubernetes TLS mount on a real PostgreSQL 18 (kubelet's Secret layout, simulated)", () => {
    let booted: BootedPrimary;
    let secretFiles: SecretFile[];
    const spec = testSpec(18, { postgres: { tls: { enabled: true } } });

    beforeAll(async () => {
        // A server with TLS on at the rendered paths; its certificate and key then move into a
        // Secret-volume layout and the server starts again on them.
        booted = await bootPrimary(spec);
        await booted.server.stop();
        const dir = booted.layout.tlsDir;
        const read = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");
        const contents: Record<string, string> = { "tls.crt": read("server.crt"), "tls.key": read("server.key"), "ca.crt": read("server.crt") };
        secretFiles = tlsMount("single").items.map((item) => ({ path: item.path, content: contents[item.key], mode: item.mode }));
    });

    const restart = () =>
        startPostgres({ version: 18, dataDir: booted.server.dataDir, superuserPassword: booted.server.superuserPassword, port: booted.server.port });

    it("starts with the key as kubelet leaves it (root:<server's group> 0640) and serves TLS", async () => {
        kubeletSecretVolume(booted.layout.tlsDir, secretFiles, serviceGid());
        const keyMode = fs.statSync(path.join(booted.layout.tlsDir, "server.key")).mode & 0o777;
        expect(keyMode).toBe(0o640);
        const server = await restart();
        try {
            const rows = await server.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", [], {
                ssl: { rejectUnauthorized: false },
            });
            expect(rows[0].ssl).toBe(true);
        } finally {
            await server.stop();
        }
    });

    it("would refuse the same 0640 key owned by the server's own user (why the mount relies on root ownership)", async () => {
        kubeletSecretVolume(booted.layout.tlsDir, secretFiles, serviceGid(), Number(execFileSync("id", ["-u", SERVICE_USER], { encoding: "utf8" }).trim()));
        await expect(restart()).rejects.toThrow(/has group or world access/);
    });
});
