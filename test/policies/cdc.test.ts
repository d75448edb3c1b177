// The CDC role is held to the same rules as every other login: SCRAM only, TLS, private.
import { describe, expect, it } from "vitest";
import { deploy as dockerDeploy } from "../../components/targets/docker";
import { runPolicies } from "../../policies/offline";
import { containerWithFiles, deployed, messages } from "./gate";

const CDC = {
    topology: "primary",
    replicas: 1,
    postgres: { tls: { enabled: true }, cdc: { databases: [{ name: "app", tables: "all" }] } },
};

describe("policies on a stack that declares CDC", () => {
    it("find nothing in the Docker stack with TLS on: the CDC rule is hostssl with SCRAM, nothing new is published", async () => {
        const resources = await deployed(dockerDeploy, CDC);
        expect((await runPolicies(resources, {})).map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
    });

    it("catch a CDC rule turned to md5 or to plain TCP", async () => {
        const hba = (line: string) =>
            containerWithFiles("pg-primary", { "pg_hba.conf": `local all postgres peer\n${line}\nhostssl all all all scram-sha-256\n` });
        expect(await messages("scram-only-auth", hba('hostssl "app" "app_cdc" all md5'))).not.toEqual([]);
        expect(await messages("tls-required", hba('host "app" "app_cdc" all scram-sha-256'))).not.toEqual([]);
    });
});
