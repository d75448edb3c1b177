import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_DIR } from "../../cli/stack-config";

interface Step {
    readonly uses?: string;
    readonly run?: string;
    readonly with?: Record<string, string | boolean>;
}
interface Job {
    readonly environment?: string;
    readonly strategy?: { readonly matrix: { readonly include: readonly { readonly stack: string }[] } };
    readonly steps: readonly Step[];
}

const workflow = (file: string): { on: Record<string, unknown>; jobs: Record<string, Job> } =>
    parse(fs.readFileSync(path.join(PROJECT_DIR, ".github/workflows", file), "utf8"));

const committedStacks = fs
    .readdirSync(PROJECT_DIR)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();

const pulumiStep = (job: Job) => job.steps.find((step) => step.uses?.startsWith("pulumi/actions@"));
const stacksOf = (job: Job) => (job.strategy?.matrix.include ?? []).map((entry) => entry.stack).sort();

describe("CI workflows run the policy gate", () => {
    it("pr.yml: npm test, check on every stack file, and a preview of every committed stack with its policy config and a PR comment", () => {
        const pr = workflow("pr.yml");
        expect(Object.keys(pr.on)).toEqual(["pull_request"]);
        const runs = pr.jobs.test.steps.map((step) => step.run ?? "");
        expect(runs).toContain("npm test");
        expect(runs.some((run) => run.includes("for file in Pulumi.*.yaml") && run.includes('npm run check -- --stack "$stack"'))).toBe(true);

        expect(stacksOf(pr.jobs.preview)).toEqual(committedStacks);
        expect(pulumiStep(pr.jobs.preview)?.with).toMatchObject({
            command: "preview",
            policyPacks: "policies",
            policyPackConfigs: "policies/config/${{ matrix.stack }}.json",
            "comment-on-pr": true,
        });
    });

    it("deploy.yml: pulumi up with the pack on merge, each cloud stack in its own (approval-gated) environment", () => {
        const deploy = workflow("deploy.yml");
        expect(deploy.on).toEqual({ push: { branches: ["main"] } });
        const up = deploy.jobs.up;
        expect(up.environment).toBe("${{ matrix.stack }}");
        expect(stacksOf(up)).toEqual(committedStacks.filter((stack) => stack !== "dev"));
        expect(up.steps.map((step) => step.run)).toContain("npm run check -- --stack ${{ matrix.stack }}");
        expect(pulumiStep(up)?.with).toMatchObject({ command: "up", policyPacks: "policies", policyPackConfigs: "policies/config/${{ matrix.stack }}.json" });
    });
});
