import { describe, expect, it } from "vitest";
import { parseSpec } from "../../../components/config";
import { UPGRADE_FROM_ENV } from "../../../components/image/runtime";
import { writerEnvironment } from "../../../components/self-hosted/server";
import { serverEnv } from "../../../components/targets/kubernetes/plan";

describe("writerEnvironment", () => {
    it("names the major to upgrade from only when postgres.upgradeFrom is set", () => {
        const names = (raw: Record<string, unknown>) => writerEnvironment(parseSpec(raw)).map((e) => e.name);
        expect(names({})).not.toContain(UPGRADE_FROM_ENV);
        expect(writerEnvironment(parseSpec({ postgres: { upgradeFrom: 17 } }))).toContainEqual({ name: UPGRADE_FROM_ENV, value: "17" });
    });

    it("is the Kubernetes writer's environment too (the same entrypoint upgrades in the pod)", () => {
        const spec = parseSpec({ target: "kubernetes", kubernetes: { namespace: "db" }, postgres: { upgradeFrom: 17 } });
        expect(serverEnv(spec, "primary")).toEqual(writerEnvironment(spec));
        expect(serverEnv(spec, "replica-1").map((e) => e.name)).not.toContain(UPGRADE_FROM_ENV);
    });
});
