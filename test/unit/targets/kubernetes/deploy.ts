import { deploy } from "../../../../components/targets/kubernetes";
import type { PlatformOutputs } from "../../../../components/targets/outputs";
import { parseSpec, type PlatformConfigInput } from "../../../../components/config";
import { runUnderMocks } from "../../../../cli/offline/harness";

/** A build the cluster can pull: Kubernetes refuses an unpushed local image. */
export const PUSHED_IMAGE = { push: true, repository: "ghcr.io/acme/postgres" } as const;

/**
 * Runs the Kubernetes target for a config (on top of `target: kubernetes` and a pushed image)
 * under mocks; `raw` keeps the outputs as Outputs, for secret-ness checks.
 */
export async function deployed(config: PlatformConfigInput) {
    const spec = parseSpec({ target: "kubernetes", image: PUSHED_IMAGE, ...config } as Record<string, unknown>);
    let raw: PlatformOutputs | undefined;
    const run = await runUnderMocks(() => {
        raw = deploy(spec, { stack: "test" });
        return raw;
    });
    return { ...run, raw: raw as PlatformOutputs };
}
