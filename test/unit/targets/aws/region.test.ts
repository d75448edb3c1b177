// A local `pulumi preview --stack prod` must work with the credentials alone: the aws provider
// takes its region from the stack file (aws:region), never from AWS_REGION in the shell.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConfigError } from "../../../../components/config";
import { loadStackConfig } from "../../../../cli/stack-config";
import { runCommittedStack, runStack } from "../../managed/stack";

const AWS = { vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"], allowedCidrs: ["10.0.0.0/16"] };
const saved: Record<string, string | undefined> = {};

beforeEach(() => {
    for (const key of ["AWS_REGION", "AWS_DEFAULT_REGION"]) {
        saved[key] = process.env[key];
        delete process.env[key];
    }
});
afterEach(() => {
    for (const [key, value] of Object.entries(saved))
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
});

async function refusal(run: Promise<unknown>): Promise<readonly string[]> {
    try {
        await run;
    } catch (error) {
        return (error as ConfigError).problems;
    }
    return [];
}

describe("the aws provider's region", () => {
    it("the committed prod stack names it in its file, and deploys with no AWS_REGION", async () => {
        expect(loadStackConfig("prod").config["aws:region"]).toBe("eu-west-1");
        const run = await runCommittedStack("prod");
        expect(run.resources.filter((r) => r.type.startsWith("aws:")).length).toBeGreaterThan(10);
    });

    it("a stack without aws:region is refused before any resource, naming the key; pg-platform:aws.region alone does not configure the provider", async () => {
        for (const aws of [AWS, { ...AWS, region: "eu-west-1" }]) {
            expect(await refusal(runStack({ target: "aws", aws }, "staging", {}))).toEqual([
                expect.stringMatching(/^aws:region: the aws provider has no region: set aws:region in Pulumi\.staging\.yaml .*AWS_REGION/),
            ]);
        }
    });
});
