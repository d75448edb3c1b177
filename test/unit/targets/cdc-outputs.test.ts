// The `cdc` output on the self-hosted targets: per CDC database, a secret URL to the writer as
// its CDC role, the publication and slot names; its password in secretReferences like any role.
import { describe, expect, it } from "vitest";
import type { PlatformConfigInput } from "../../../components/config";
import { isSecretOutput } from "../../../cli/offline/harness";
import { deployedUnderMocks } from "../../helpers/self-hosted";

const CDC: PlatformConfigInput = {
    topology: "primary",
    postgres: {
        tls: { enabled: true },
        databases: [{ name: "app" }, { name: "shop" }],
        cdc: {
            databases: [
                { name: "app", tables: ["public.orders"] },
                { name: "shop", tables: "all" },
            ],
        },
    },
};

const deployed = (target: "docker" | "kubernetes", config: PlatformConfigInput) => deployedUnderMocks(target, config);

describe.each(["docker", "kubernetes"] as const)("the cdc output (%s)", (target) => {
    it("names each CDC database's role, publication and slot, with a secret URL to the writer as that role", async () => {
        const run = await deployed(target, CDC);
        const outputs = run.outputs as unknown as {
            cdc: Record<string, { url: string; user: string; publication: string; slot: string }>;
            secretReferences: Record<string, string>;
        };
        expect(Object.keys(outputs.cdc)).toEqual(["app", "shop"]);
        const host = target === "docker" ? "127.0.0.1:5432" : "primary.db.svc.cluster.local:5432";
        for (const db of ["app", "shop"]) {
            const role = `${db}_cdc`;
            expect(outputs.cdc[db]).toMatchObject({ user: role, publication: role, slot: role });
            expect(outputs.cdc[db].url.startsWith(`postgresql://${role}:${encodeURIComponent(outputs.secretReferences[role])}@${host}/${db}?`)).toBe(true);
        }
        expect(await isSecretOutput(run.raw.cdc!)).toBe(true);
        expect(await isSecretOutput(run.raw.secretReferences.app_cdc)).toBe(true);
    });

    it("is absent when postgres.cdc names no database", async () => {
        const run = await deployed(target, { topology: "primary" });
        expect(run.raw.cdc).toBeUndefined();
        expect(run.raw.unavailable).not.toHaveProperty("cdc");
    });
});
