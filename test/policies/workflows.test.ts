import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_DIR } from "../../cli/stack-config";

interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly if?: string;
    readonly "continue-on-error"?: boolean | string;
    readonly with?: Record<string, string | boolean>;
    readonly env?: Record<string, string>;
}
interface MatrixEntry {
    readonly stack: string;
    readonly "secrets-provider"?: string;
}
interface Job {
    readonly environment?: string;
    readonly strategy?: { readonly matrix: { readonly include: readonly MatrixEntry[] } };
    readonly steps: readonly Step[];
}

const workflow = (file: string): { on: Record<string, unknown>; jobs: Record<string, Job> } =>
    parse(fs.readFileSync(path.join(PROJECT_DIR, ".github/workflows", file), "utf8"));

const committedStacks = fs
    .readdirSync(PROJECT_DIR)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();

const pulumiSteps = (job: Job) => job.steps.filter((step) => step.uses?.startsWith("pulumi/actions@"));
const pulumiStep = (job: Job) => pulumiSteps(job)[0];

/** The secrets provider a stack file names (`secretsprovider:`), or the Pulumi Cloud's own key. */
const secretsProviderOf = (stack: string): string =>
    (parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as { secretsprovider?: string }).secretsprovider ?? "default";

/**
 * Every pulumi/actions step of a job creates its stack if missing (upsert), with the secrets
 * provider the stack file names, and passphrase stacks get their passphrase.
 */
function expectStacksCreated(job: Job): void {
    const matrix = job.strategy?.matrix.include ?? [];
    for (const entry of matrix) expect(entry["secrets-provider"], entry.stack).toBe(secretsProviderOf(entry.stack));
    for (const step of pulumiSteps(job)) {
        expect(step.with).toMatchObject({ "stack-name": "${{ matrix.stack }}", upsert: true, "secrets-provider": "${{ matrix.secrets-provider }}" });
        if (matrix.some((entry) => entry["secrets-provider"] === "passphrase")) {
            expect(step.env?.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
        }
    }
}
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
        expect(up.steps.map((step) => step.run)).toContain("npm run check -- --stack ${{ matrix.stack }} --preview");
        expect(pulumiSteps(up).find((step) => step.with?.command === "up")?.with).toMatchObject({
            policyPacks: "policies",
            policyPackConfigs: "policies/config/${{ matrix.stack }}.json",
        });
    });

    it("deploy.yml: previews with the same packs first, and updates only after a clean preview", () => {
        const up = workflow("deploy.yml").jobs.up;
        const steps = pulumiSteps(up);
        expect(steps.map((step) => step.with?.command)).toEqual(["preview", "up"]);
        const [preview, update] = steps;
        for (const key of ["stack-name", "policyPacks", "policyPackConfigs", "secrets-provider"]) expect(preview.with?.[key], key).toEqual(update.with?.[key]);
        // A step runs only when every step before it succeeded, unless told otherwise: neither may be.
        for (const step of [preview, update]) {
            expect(step.if, step.name).toBeUndefined();
            expect(step["continue-on-error"], step.name).toBeUndefined();
        }
        expect(up.steps.indexOf(preview)).toBeLessThan(up.steps.indexOf(update));
    });

    it("the workflows create the stacks they use, with the secrets provider each stack file names", () => {
        expectStacksCreated(workflow("pr.yml").jobs.preview);
        expectStacksCreated(workflow("deploy.yml").jobs.up);
    });
});
