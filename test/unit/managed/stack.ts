import { runProgram } from "../../../components/program";
import type { PlatformOutputs } from "../../../components/targets/outputs";
import { PROJECT } from "../../../components/platform/constants";
import { loadStackConfig } from "../../../cli/stack-config";
import { runUnderMocks, type MockedResource, type ProgramRun } from "../../../cli/offline/harness";
import { redactSecrets } from "../../../cli/offline/secrets";

/** A stack run: the resolved outputs plus the raw ones, whose secret-ness can be checked. */
export interface StackRun extends ProgramRun<unknown> {
    /** The program's outputs before resolution. */
    readonly raw: PlatformOutputs;
}

/** Runs the whole program under mocks for a config given as `pg-platform:*` values. */
export async function runStack(values: Record<string, unknown>, stack = "test"): Promise<StackRun> {
    const config = Object.fromEntries(
        Object.entries(values).map(([key, value]) => [`${PROJECT}:${key}`, typeof value === "string" ? value : JSON.stringify(value)]),
    );
    return run(config, stack);
}

/** Runs a committed stack file (`Pulumi.<stack>.yaml`) under mocks. */
export async function runCommittedStack(stack: string): Promise<StackRun> {
    return run(loadStackConfig(stack).config, stack);
}

async function run(config: Record<string, string>, stack: string): Promise<StackRun> {
    let raw: PlatformOutputs | undefined;
    const result = await runUnderMocks(async () => (raw = await runProgram()), { project: PROJECT, stack, config });
    return { ...result, raw: raw as PlatformOutputs };
}

/** Custom resources whose parent is not one of the run's components. */
export function orphans(resources: readonly MockedResource[]): MockedResource[] {
    const components = new Set(resources.filter((r) => !r.custom).map((r) => r.urn));
    return resources.filter((r) => r.custom && !components.has(r.parent ?? ""));
}

/** Every input of every resource with secrets redacted, as one text to search for leaks. */
export function nonSecretInputs(resources: readonly MockedResource[]): string {
    return JSON.stringify(resources.map((r) => redactSecrets(r.rawInputs)));
}
