// The pack ships alone (`pulumi policy publish` uploads policies/ only), so the modules the
// config layer and the pack both judge with (PostgreSQL's reading of a setting's value, address
// ranges) live twice: components/platform/ for the config layer, policies/shared/ for the pack.
// This holds each pair byte for byte equal, so the gate and the config layer can never disagree.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const SHARED = fs.readdirSync(path.join(ROOT, "policies/shared")).filter((file) => file.endsWith(".ts"));

describe("policies/shared mirrors components/platform", () => {
    it("has files to compare (the check is not vacuous)", () => {
        expect(SHARED).toEqual(expect.arrayContaining(["setting-values.ts", "address-ranges.ts"]));
    });

    it.each(SHARED)("policies/shared/%s equals components/platform/%s", (file) => {
        const platform = fs.readFileSync(path.join(ROOT, "components/platform", file), "utf8");
        const pack = fs.readFileSync(path.join(ROOT, "policies/shared", file), "utf8");
        expect(pack).toBe(platform);
    });
});
