/**
 * The committed example stacks name this repository's own cloud resources (a VPC and its
 * subnets, a GCP project and network, an image repository). They validate, so a copy that keeps
 * them passes every offline check and fails only at `pulumi up`, with a provider error far from
 * the cause. `npm run check` refuses such a copy instead, naming each setting to replace.
 */
import * as path from "node:path";
import { ConfigError } from "../components/config";
import { PROJECT } from "../components/platform/constants";
import { PROJECT_DIR, loadStackConfig } from "./stack-config";

/**
 * Settings (under `pg-platform:`) whose values identify one organisation's resources: an example
 * value left in a copy can only be a mistake. Each committed stack file that sets one says so in
 * its header. (Values such as `aws.allowedCidrs: [10.0.0.0/16]` or a range name are common to
 * many networks, so the header asks to review them, and nothing refuses them.)
 */
export const SITE_SETTINGS: Readonly<Record<string, string>> = {
    "aws.vpcId": "your VPC",
    "aws.subnetIds": "private subnets of your VPC, in two or more availability zones",
    "aws.allowedSecurityGroupIds": "your client security groups",
    "aws.kmsKeyId": "your KMS key",
    "gcp.project": "your GCP project",
    "gcp.network": "your VPC network, with private services access",
    "image.repository": "a registry repository you can push to",
};

/** The repository's example stacks: the committed files whose site settings are placeholders anywhere else. */
export const EXAMPLE_STACKS: readonly string[] = ["k8s", "prod", "gcp-prod"];

/** The value at a dotted path of the decoded `pg-platform:<top>` values. */
function valueAt(config: Record<string, string>, key: string): unknown {
    const [top, ...rest] = key.split(".");
    const text = config[`${PROJECT}:${top}`];
    if (text === undefined) return undefined;
    let node: unknown;
    try {
        node = JSON.parse(text);
    } catch {
        return undefined;
    }
    for (const part of rest) node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[part] : undefined;
    return node;
}

/** The values of a setting, one per list item. */
function items(value: unknown): string[] {
    if (value === undefined || value === null) return [];
    return (Array.isArray(value) ? value : [value]).map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
}

/** Example value → the example stack it belongs to, per site setting. */
function exampleValues(): Map<string, Map<string, string>> {
    const found = new Map<string, Map<string, string>>();
    for (const stack of EXAMPLE_STACKS) {
        const { config } = loadStackConfig(stack, PROJECT_DIR);
        for (const key of Object.keys(SITE_SETTINGS)) {
            for (const value of items(valueAt(config, key))) {
                const values = found.get(key) ?? new Map<string, string>();
                values.set(value, stack);
                found.set(key, values);
            }
        }
    }
    return found;
}

/**
 * One problem per site setting of `stack` that still holds an example value of the repository,
 * unless it is that example stack itself, in this repository.
 */
export function placeholderProblems(stack: string, config: Record<string, string>, projectDir: string = PROJECT_DIR): string[] {
    const here = path.resolve(projectDir) === path.resolve(PROJECT_DIR);
    const examples = exampleValues();
    const problems: string[] = [];
    for (const [key, what] of Object.entries(SITE_SETTINGS)) {
        const left = items(valueAt(config, key)).filter((value) => {
            const source = examples.get(key)?.get(value);
            return source !== undefined && !(here && source === stack);
        });
        if (left.length === 0) continue;
        const source = examples.get(key)?.get(left[0]) as string;
        problems.push(
            `${PROJECT}:${key}: ${left.map((value) => JSON.stringify(value)).join(", ")} ${left.length > 1 ? "are" : "is"} the example value of Pulumi.${source}.yaml, not yours; replace it with ${what} (the header of Pulumi.${source}.yaml lists every setting to change)`,
        );
    }
    return problems;
}

/** Throws a ConfigError (exit 2 of `check`) listing every placeholder left in the stack. */
export function refusePlaceholders(stack: string, config: Record<string, string>, projectDir: string = PROJECT_DIR): void {
    const problems = placeholderProblems(stack, config, projectDir);
    if (problems.length > 0) throw new ConfigError(problems);
}
