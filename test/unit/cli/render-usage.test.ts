import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../../cli/stack-config";

const render = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(PROJECT_DIR, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_DIR, "cli/render.ts"), ...args], {
        encoding: "utf8",
        cwd: PROJECT_DIR,
    });

describe("npm run render with a bad option", () => {
    it("exits 2 naming the option and the usage, rather than crashing", () => {
        const result = render("--stak", "dev", "--out", "/tmp/never-written");
        expect(result.status).toBe(2);
        expect(result.stderr).toContain("'--stak'");
        expect(result.stderr).toContain("usage: npm run render -- --stack <name> --out <dir>");
        expect(result.stderr).not.toMatch(/\n\s+at /);
    });
});
