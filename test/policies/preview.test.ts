// The PR gate is `pulumi preview --policy-pack`: there every output the engine computes is still
// unknown (image digests, random passwords inside Secrets, names made from a namePrefix), and
// @pulumi/policy turns a rule that reads one into an advisory "can't run … during preview"
// finding, whatever its level. These tests run the pack over preview-shaped inputs of every
// committed stack and hold the preview's mandatory verdicts to the update's.
import * as fs from "node:fs";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";
import { checkStack, gateResource, type CheckResult } from "../../cli/check";
import { runUnderMocks } from "../../cli/offline/harness";
import { runProgram } from "../../components/program";
import { PROJECT_DIR } from "../../cli/stack-config";
import { isUndecided, runPolicies, type GateResource, type Violation } from "../../policies/offline";
import { PINNED, resource } from "./gate";

const committedStacks = fs
    .readdirSync(PROJECT_DIR)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();

/**
 * Stacks whose preview cannot decide yet, with the cause; the gate fails closed on them (a
 * mandatory finding at preview that the update would not report). Each entry is a program
 * change owed, not a gate to loosen: the test below is expected to fail for it, and starts
 * passing (so `it.fails` reports it) the day the program is fixed: then delete the entry.
 */
const PROGRAM_GAPS: Readonly<Record<string, string>> = {};

const mandatory = (violations: readonly Violation[]) =>
    violations
        .filter((v) => v.level === "mandatory")
        .map((v) => `${v.policy} ${v.urn} ${v.message}`)
        .sort();

const runs = new Map<string, { update: CheckResult; preview: CheckResult }>();
async function both(stack: string) {
    let found = runs.get(stack);
    if (!found) {
        // One at a time: the mocks are process-wide.
        const update = await checkStack(stack);
        const preview = await checkStack(stack, { preview: true });
        found = { update, preview };
        runs.set(stack, found);
    }
    return found;
}

const UNKNOWN = unknownValue;
const unknownText = (props: Record<string, unknown>) => JSON.stringify(props).includes(UNKNOWN);

describe("the pack over every committed stack as a first preview sees it", () => {
    it("the preview-shaped inputs are what the engine leaves unknown: names from a namePrefix, passwords, image digests", async () => {
        const prod = (await both("prod")).preview.resources;
        const primary = prod.find((r) => r.type === "aws:rds/instance:Instance" && r.name.endsWith("-primary"));
        expect(primary?.inputs.parameterGroupName).toBe(UNKNOWN);
        const k8s = (await both("k8s")).preview.resources;
        expect(k8s.filter((r) => r.type === "kubernetes:core/v1:Secret").every((r) => r.inputs.stringData === UNKNOWN)).toBe(true);
        const statefulSets = k8s.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
        expect(statefulSets.length).toBeGreaterThan(0);
        expect(statefulSets.every((r) => unknownText(r.inputs))).toBe(true);
        const dev = (await both("dev")).preview.resources;
        expect(dev.filter((r) => r.type === "docker:index/container:Container").every((r) => r.inputs.image === UNKNOWN)).toBe(true);
    });

    it.each(committedStacks)('%s: no rule reports "can\'t run during preview"', async (stack) => {
        const { preview } = await both(stack);
        expect(preview.violations.filter(isUndecided)).toEqual([]);
    });

    for (const stack of committedStacks) {
        const gap = PROGRAM_GAPS[stack];
        const title = `${stack}: the preview's mandatory verdicts are the update's`;
        const check = async () => {
            const { update, preview } = await both(stack);
            expect(mandatory(preview.violations)).toEqual(mandatory(update.violations));
        };
        if (gap) it.fails(`${title} (fails closed until the program is fixed: ${gap})`, check);
        else it(title, check);
    }
});

describe("a rule meeting an unknown input decides, or fails closed", () => {
    const RDS = "aws:rds/instance:Instance";

    it("an RDS instance whose parameter group name is unknown has a group (its group is checked itself); one with none is still refused", async () => {
        const withGroup = resource(RDS, "primary", { engine: "postgres", parameterGroupName: UNKNOWN, replicateSourceDb: UNKNOWN });
        const without = resource(RDS, "other", { engine: "postgres" });
        const found = await runPolicies([withGroup, without], { all: "mandatory" });
        expect(found.filter(isUndecided)).toEqual([]);
        expect(found.filter((v) => v.policy === "scram-only-auth").map((v) => v.urn)).toEqual([without.urn]);
    });

    it("a read replica is known as one even when its source is unknown (Cloud SQL and RDS), so the primary-only checks skip it", async () => {
        const cloudSql = resource("gcp:sql/databaseInstance:DatabaseInstance", "replica", {
            masterInstanceName: UNKNOWN,
            settings: { ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" } },
        });
        const rds = resource(RDS, "replica", { engine: "postgres", parameterGroupName: UNKNOWN, replicateSourceDb: UNKNOWN, storageEncrypted: true });
        const found = await runPolicies([cloudSql, rds], { all: "mandatory" });
        expect(found).toEqual([]);
    });

    it("a pg_hba.conf whose content is unknown fails closed, mandatory, naming the file", async () => {
        const container = resource("docker:index/container:Container", "replica", {
            image: PINNED.postgres,
            uploads: [
                { file: "/etc/postgresql/pg_hba.conf", content: UNKNOWN },
                { file: "/run/secret", content: UNKNOWN },
            ],
        });
        const found = await runPolicies([container], { "scram-only-auth": "mandatory" });
        expect(found.filter(isUndecided)).toEqual([]);
        expect(found.filter((v) => v.policy === "scram-only-auth")).toEqual([
            expect.objectContaining({
                level: "mandatory",
                message: expect.stringMatching(/^the pg_hba\.conf that replica ships is not known until the update .* cannot check it in a preview/),
            }),
        ]);
    });

    it("an unknown environment entry could set POSTGRES_HOST_AUTH_METHOD: it fails closed", async () => {
        const container = resource("docker:index/container:Container", "server", { image: PINNED.postgres, envs: ["A=1", UNKNOWN] });
        const found = await runPolicies([container], {});
        expect(found.filter((v) => v.policy === "scram-only-auth").map((v) => v.message)).toEqual([
            expect.stringMatching(/^envs\[1\] of container server is not known until the update/),
        ]);
    });

    it("a one-shot job's unknown entry (the migration job's URL, with a password not generated yet) is no server's: it passes, a known POSTGRES_HOST_AUTH_METHOD still fails", async () => {
        const job = (envs: unknown[], restart = "no") =>
            resource("docker:index/container:Container", "migrations", { image: PINNED.postgres, attach: true, mustRun: false, restart, envs });
        const scram = async (container: GateResource) =>
            (await runPolicies([container], {})).filter((v) => v.policy === "scram-only-auth").map((v) => v.message);
        expect(await scram(job([UNKNOWN, "MIGRATIONS_DIR=/srv"]))).toEqual([]);
        expect(await scram(job([UNKNOWN, "POSTGRES_HOST_AUTH_METHOD=trust"]))).toEqual([expect.stringMatching(/POSTGRES_HOST_AUTH_METHOD=trust/)]);
        // Restarted, it is a long-running service again, and fails closed.
        expect(await scram(job([UNKNOWN], "on-failure"))).toEqual([expect.stringMatching(/^envs\[0\] of container migrations is not known until the update/)]);
    });

    it("a Docker stack with a migration job passes its first preview as its update (no mandatory finding either way)", async () => {
        const config = {
            "pg-platform:topology": "primary",
            "pg-platform:migrations": JSON.stringify({ image: `ghcr.io/acme/app-migrations@sha256:${"ab".repeat(32)}` }),
        };
        for (const preview of [false, true]) {
            const run = await runUnderMocks(runProgram, { stack: "test", config, preview });
            expect(mandatory(await runPolicies(run.resources.map(gateResource), {}))).toEqual([]);
        }
    });

    it("an unknown image passes only when it comes from an image the stack builds or pulls (known-at-preview)", async () => {
        const build = resource("docker-build:index:Image", "postgres-image", { dockerfile: { inline: `FROM ${PINNED.postgres}` } });
        const from = (deps: string[]): GateResource => ({
            ...resource("docker:index/container:Container", "server", { image: UNKNOWN }),
            propertyDependencies: { image: deps },
        });
        const fromBuild = await runPolicies([build, from([build.urn])], {});
        expect(fromBuild).toEqual([]);
        const fromNowhere = await runPolicies([build, from([])], {});
        expect(fromNowhere).toEqual([
            expect.objectContaining({
                policy: "known-at-preview",
                level: "mandatory",
                message: expect.stringMatching(/^image is not known until the update .* does not come from an image the stack builds or pulls/),
            }),
        ]);
    });

    describe("a Kubernetes Secret whose data is unknown (always, while it holds a random password)", () => {
        const secret = resource("kubernetes:core/v1:Secret", "files", { metadata: { name: "primary-files", namespace: "pg" }, stringData: UNKNOWN });
        const pod = (mount: Record<string, unknown>, items?: { key: string; path: string }[]) =>
            resource("kubernetes:apps/v1:StatefulSet", "primary", {
                metadata: { name: "primary", namespace: "pg" },
                spec: {
                    template: {
                        spec: {
                            containers: [{ name: "postgres", image: PINNED.postgres, volumeMounts: [{ name: "secrets", ...mount }] }],
                            volumes: [{ name: "secrets", secret: { secretName: "primary-files", items } }],
                        },
                    },
                },
            });
        const gate = async (workload: GateResource) => (await runPolicies([secret, workload], {})).map((v) => `${v.policy}: ${v.message}`);

        it("is not read by the file rules, and passes when pods take only other files from it", async () => {
            expect(await gate(pod({ mountPath: "/run/pg-platform/superuser.password", subPath: "superuser.password" }))).toEqual([]);
            expect(await gate(pod({ mountPath: "/etc/tls" }, [{ key: "tls.key", path: "server.key" }]))).toEqual([]);
        });

        it("fails closed when a pod takes pg_hba.conf from it, or all its keys at once", async () => {
            expect(await gate(pod({ mountPath: "/etc/postgresql/pg_hba.conf", subPath: "pg_hba.conf" }))).toEqual([
                expect.stringMatching(
                    /^known-at-preview: container postgres mounts pg_hba\.conf from Secret primary-files, and that Secret's data is not known until the update/,
                ),
            ]);
            expect(await gate(pod({ mountPath: "/etc/postgresql" }))).toEqual([
                expect.stringMatching(/^known-at-preview: container postgres mounts every key of Secret primary-files at \/etc\/postgresql/),
            ]);
        });
    });
});
