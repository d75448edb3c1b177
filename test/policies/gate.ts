import { parseSpec } from "../../components/config";
import type { TargetModule } from "../../components/targets/target";
import { runPolicies, type GateResource, type PolicyPackConfig } from "../../policies/offline";
import { runUnderMocks } from "../../cli/offline/harness";

/** Pinned references from the platform's checked pins (facts.md), reused by every policy test. */
export const PINNED = {
    postgres: "postgres:18.4-trixie@sha256:8ff36f3c66371cba71d20ceedccfc3de9669a68737607888c4ef0af93abe8e39",
    pgbouncer: "edoburu/pgbouncer:v1.25.1-p0@sha256:c7bfcaa24de830e29588bb9ad1eb39cebaf07c27149e1974445899b695634bb4",
} as const;

/** A resource as the gate sees it, at the stack's root. */
export function resource(type: string, name: string, props: Record<string, unknown>): GateResource {
    return { urn: `urn:pulumi:test::pg-platform::${type}::${name}`, type, name, parent: undefined, props };
}

/** The messages one rule reports for these resources, through the same runner `check` uses. */
export async function messages(rule: string, resources: GateResource | readonly GateResource[], config: PolicyPackConfig = {}): Promise<string[]> {
    const list = Array.isArray(resources) ? resources : [resources as GateResource];
    return (await runPolicies(list, config)).filter((v) => v.policy === rule).map((v) => v.message);
}

/** A Docker container shipping rendered files, shaped like docker.ContainerArgs. */
export function containerWithFiles(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}): GateResource {
    return resource("docker:index/container:Container", name, {
        image: PINNED.postgres,
        ports: [{ internal: 5432, external: 5433, ip: "127.0.0.1" }],
        uploads: Object.entries(files).map(([file, content]) => ({ file: `/etc/postgresql/${file}`, content })),
        ...extra,
    });
}

/** Builds a target's resources for a raw stack config under mocks, as the gate sees them. */
export async function deployed(
    deploy: TargetModule["deploy"],
    raw: Record<string, unknown>,
    stack = "test",
    config: Readonly<Record<string, string>> = {},
): Promise<GateResource[]> {
    // The aws provider's region, as every aws stack file sets it.
    const run = await runUnderMocks(() => deploy(parseSpec(raw), { stack }), { stack, config: { "aws:region": "eu-west-1", ...config } });
    return run.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent, props: r.inputs }));
}

/** The one deployed resource of a type (and name suffix, when several share the type). */
export function one(resources: readonly GateResource[], type: string, nameSuffix = ""): GateResource {
    const found = resources.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
    if (found.length !== 1) throw new Error(`expected one ${type} named *${nameSuffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
    return found[0];
}

/** A copy of a real resource with some props changed: a violating case one edit away from real output. */
export function edited(original: GateResource, change: (props: Record<string, unknown>) => Record<string, unknown>): GateResource {
    return { ...original, props: change(structuredClone(original.props)) };
}
