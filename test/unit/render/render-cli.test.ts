import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../../cli/stack-config";

const out = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-render-cli-"));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const render = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(PROJECT_DIR, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_DIR, "cli/render.ts"), ...args], {
        encoding: "utf8",
        cwd: PROJECT_DIR,
    });

describe("npm run render", () => {
    it("writes one folder per service of the dev stack, secrets as placeholders in 0600 files", () => {
        const result = render("--stack", "dev", "--out", out);
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(fs.readdirSync(out).sort()).toEqual(["exporter", "pooler-session", "pooler-transaction", "primary", "replica-1"]);
        expect(fs.readdirSync(path.join(out, "primary")).sort()).toEqual(["10-pg-platform.sql", "pg_hba.conf", "pgbackrest.conf", "postgresql.conf"]);
        const userlist = path.join(out, "pooler-transaction", "userlist.txt");
        expect(fs.statSync(userlist).mode & 0o777).toBe(0o600);
        expect(fs.readFileSync(userlist, "utf8")).toContain("<<pg-platform secret for pgbouncer_auth>>");
        expect(fs.readFileSync(path.join(out, "primary", "postgresql.conf"), "utf8")).toContain("password_encryption = 'scram-sha-256'");
    });

    it("writes nothing for a managed target and says why", () => {
        const result = render("--stack", "prod", "--out", path.join(out, "prod"));
        expect(result.status).toBe(0);
        expect(result.stdout).toContain("runs on aws");
        expect(fs.existsSync(path.join(out, "prod"))).toBe(false);
    });

    it("exits 2 with usage or a missing stack", () => {
        expect(render("--stack", "dev").status).toBe(2);
        const missing = render("--stack", "nope", "--out", out);
        expect(missing.status).toBe(2);
        expect(missing.stderr).toContain("no stack file Pulumi.nope.yaml");
    });
});
