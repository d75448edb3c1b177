import { describe, expect, it } from "vitest";
import { ConfigError, parseSpec } from "../../../components/config";
import { buildArgs, resolveImage } from "../../../components/image";

function problems(raw: Record<string, unknown>): readonly string[] {
    try {
        parseSpec(raw);
        return [];
    } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
    }
}

const PREBUILT = `registry.example.com/postgres@sha256:${"a".repeat(64)}`;

describe("postgres.upgradeFrom", () => {
    it("is unset by default, and accepts a lower supported major on the self-hosted targets", () => {
        expect(parseSpec({}).postgres.upgradeFrom).toBeUndefined();
        expect(parseSpec({ postgres: { version: 18, upgradeFrom: 17 } }).postgres.upgradeFrom).toBe(17);
        expect(parseSpec({ target: "kubernetes", kubernetes: { namespace: "db" }, postgres: { version: 18, upgradeFrom: 15 } }).postgres.upgradeFrom).toBe(15);
    });

    it("refuses a downgrade, the same major and an unsupported one, naming the setting", () => {
        expect(problems({ postgres: { version: 17, upgradeFrom: 18 }, image: { prebuilt: PREBUILT } })).toEqual([
            "pg-platform:postgres.upgradeFrom: is 18, above postgres.version 17: a downgrade is refused (pg_upgrade only goes forward; restore a backup taken on 17 instead) (got 18)",
        ]);
        expect(problems({ postgres: { version: 18, upgradeFrom: 18 } })).toEqual([
            "pg-platform:postgres.upgradeFrom: is 18, the same as postgres.version: nothing to upgrade; remove it once the old cluster is deleted (got 18)",
        ]);
        expect(problems({ postgres: { upgradeFrom: 14 } })).toEqual(["pg-platform:postgres.upgradeFrom: must be one of 15, 16, 17, 18 (got 14)"]);
    });

    it("is refused on the managed targets, which upgrade in place", () => {
        const aws = { vpcId: "vpc-0a1b2c3d", subnetIds: ["subnet-0a1b2c3d", "subnet-0e1f2a3b"], allowedCidrs: ["10.0.0.0/16"] };
        expect(problems({ target: "aws", aws, postgres: { version: 18, upgradeFrom: 17 } })).toEqual([
            expect.stringMatching(/^pg-platform:postgres\.upgradeFrom: means nothing on aws: the provider upgrades the instance in place/),
        ]);
    });

    it("builds the old major's server into the platform image (UPGRADE_FROM) under its own tag", () => {
        const spec = parseSpec({ postgres: { version: 18, upgradeFrom: 17 } });
        expect(buildArgs(spec).UPGRADE_FROM).toBe("17");
        expect(buildArgs(parseSpec({})).UPGRADE_FROM).toBeUndefined();
        const source = resolveImage(spec);
        expect(source.kind === "build" && source.plan.tag).toMatch(/-from17$/);
    });
});
