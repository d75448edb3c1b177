import * as pulumi from "@pulumi/pulumi";
import * as dockerTarget from "../../components/targets/docker";
import * as kubernetesTarget from "../../components/targets/kubernetes";
import type { PlatformOutputs } from "../../components/targets/outputs";
import { parseSpec, type PlatformConfigInput } from "../../components/config";
import { runUnderMocks } from "../../cli/offline/harness";

/**
 * A self-hosted stack deployed under Pulumi mocks as stack `test`: on Kubernetes in namespace
 * `db` (plus `kubernetes`' further settings) with a pushed image. Returns the run (resources,
 * resolved outputs) and `raw`, the outputs object the target returned (its Outputs unresolved).
 */
export async function deployedUnderMocks(target: "docker" | "kubernetes", config: PlatformConfigInput, kubernetes: Record<string, unknown> = {}) {
    const extra =
        target === "kubernetes" ? { target, kubernetes: { namespace: "db", ...kubernetes }, image: { push: true, repository: "ghcr.io/acme/postgres" } } : {};
    const spec = parseSpec({ ...config, ...extra } as Record<string, unknown>);
    let raw: PlatformOutputs | undefined;
    const run = await runUnderMocks(
        () => {
            raw = (target === "docker" ? dockerTarget : kubernetesTarget).deploy(spec, { stack: "test" });
            return raw;
        },
        { stack: "test" },
    );
    return { ...run, raw: raw as PlatformOutputs };
}

/**
 * What a Docker ReplicaStack in another stack reads from the primary stack through a
 * StackReference (the CA aside): host `primary` port 5432, the replication password
 * `from-the-other-stack` as a secret, slot `replica_1`, network `prod-pg`.
 */
export function primaryFromOtherStack(): dockerTarget.ReplicaPrimary {
    return {
        host: pulumi.output("primary"),
        port: pulumi.output(5432),
        replicationPassword: pulumi.secret("from-the-other-stack"),
        slotName: pulumi.output("replica_1"),
        networkName: pulumi.output("prod-pg"),
    };
}
