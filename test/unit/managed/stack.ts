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

/** The aws provider's region, which every aws stack file sets (the aws target refuses a stack without it). */
export const PROVIDER_CONFIG: Readonly<Record<string, string>> = { "aws:region": "eu-west-1" };

/**
 * Runs the whole program under mocks for a config given as `pg-platform:*` values (keys with a
 * namespace of their own, such as `aws:region`, as they are), with {@link PROVIDER_CONFIG} beside them.
 */
export async function runStack(
    values: Record<string, unknown>,
    stack = "test",
    providerConfig: Readonly<Record<string, string>> = PROVIDER_CONFIG,
): Promise<StackRun> {
    const config = Object.fromEntries(
        Object.entries(values).map(([key, value]) => [
            key.includes(":") ? key : `${PROJECT}:${key}`,
            typeof value === "string" ? value : JSON.stringify(value),
        ]),
    );
    return run({ ...providerConfig, ...config }, stack);
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
