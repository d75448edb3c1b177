import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { IMAGE_CONTEXT_DIR, IMAGE_CONTEXT_LOCATION, PostgresImage } from "../../../components/image";
import { EXTENSION_PINS, type ExtensionPin } from "../../../components/image/extensions";
import { parseSpec, type PlatformConfigInput } from "../../../components/config";
import { runPolicies } from "../../../policies/offline";
import { named, ofType, runUnderMocks, type MockedResource } from "../../../cli/offline/harness";
import { mockState } from "../../../cli/offline/mock-state";

const BUILD = "docker-build:index:Image";
const COMPONENT = "pg-platform:image:PostgresImage";

async function build(config: PlatformConfigInput, args: { sourceUrl?: string; revision?: string } = {}) {
    const spec = parseSpec(config as Record<string, unknown>);
    return runUnderMocks(() => {
        const image = new PostgresImage("pg", { spec, ...args });
        return { imageRef: image.imageRef, extensions: image.extensions };
    });
}

const buildInputs = (resources: readonly MockedResource[]) => named(resources, BUILD, "pg-build").inputs;

/** The pin of an extension the Dockerfile builds. */
function pin(name: string): ExtensionPin {
    const found = EXTENSION_PINS.find((p) => p.name === name);
    if (!found) throw new Error(`no pin for ${name}`);
    return found;
}

/** The build arguments that check out each named extension at its pinned commit. */
const commitArgs = (...names: string[]) => Object.fromEntries(names.map((name) => [`${pin(name).argPrefix}_COMMIT`, pin(name).commit]));

describe("PostgresImage building the platform image", async () => {
    const run = await build({});
    const inputs = buildInputs(run.resources);

    it("is a component with one docker-build Image child, named after it", () => {
        const component = named(run.resources, COMPONENT, "pg");
        expect(ofType(run.resources, BUILD).map((r) => [r.name, r.parent])).toEqual([["pg-build", component.urn]]);
        expect(run.duplicateUrns).toEqual([]);
    });

    it("builds linux/amd64 and linux/arm64 from the context folder and its Dockerfile, inline", () => {
        expect(inputs.platforms).toEqual(["linux/amd64", "linux/arm64"]);
        // Relative to the project folder: another checkout path must not change the inputs (and rebuild).
        expect(inputs.context).toEqual({ location: "components/image/context" });
        expect(path.resolve(__dirname, "../../..", IMAGE_CONTEXT_LOCATION)).toBe(IMAGE_CONTEXT_DIR);
        expect(inputs.dockerfile).toEqual({ inline: fs.readFileSync(path.join(IMAGE_CONTEXT_DIR, "Dockerfile"), "utf8") });
    });

    it("compiles pg_cron and pgAudit at their pinned commits, pgvector off", () => {
        expect(inputs.buildArgs).toMatchObject({ ...commitArgs("pg_cron", "pgaudit"), BUILD_PGVECTOR: "false", SOURCE_URL: "", SOURCE_REVISION: "" });
        expect(run.outputs.extensions.map((e) => `${e.name}@${e.commit}`)).toEqual([`pg_cron@${pin("pg_cron").commit}`, `pgaudit@${pin("pgaudit").commit}`]);
    });

    it("loads an unpushed build into the local engine and does not build on preview", () => {
        expect(inputs).toMatchObject({ push: false, load: true, buildOnPreview: false, tags: ["pg-platform/postgres:18.4"] });
        expect(inputs.cacheFrom).toBeUndefined();
        expect(inputs.cacheTo).toBeUndefined();
    });

    it("outputs the image by digest: repository@<the build's digest>", () => {
        const { digest } = mockState(BUILD, "pg-build", inputs) as { digest: string };
        expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(run.outputs.imageRef).toBe(`pg-platform/postgres@${digest}`);
    });

    it("passes the pinned-images policy, which reads the inline Dockerfile's FROM lines", async () => {
        const pinnedFindings = async (resources: readonly MockedResource[]) =>
            (
                await runPolicies(
                    resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent, props: r.inputs })),
                    { "pinned-images": "mandatory" },
                )
            )
                .filter((v) => v.policy === "pinned-images")
                .map((v) => v.message);
        expect(await pinnedFindings(run.resources)).toEqual([]);
        // The same resource with its base re-tagged is caught, so the gate really looks.
        const dockerfile = (inputs.dockerfile as { inline: string }).inline.replace(/^ARG BASE_IMAGE=\S+/m, "ARG BASE_IMAGE=postgres:18.4-trixie");
        const retagged = run.resources.map((r) => (r.type === BUILD ? { ...r, inputs: { ...r.inputs, dockerfile: { inline: dockerfile } } } : r));
        expect(await pinnedFindings(retagged)).toEqual([expect.stringContaining("Dockerfile base image postgres:18.4-trixie is not pinned by digest")]);
    });
});

describe("PostgresImage with push, cache, pgvector and source labels", async () => {
    const run = await build(
        {
            image: {
                extensions: ["pgvector"],
                push: true,
                repository: "ghcr.io/acme/postgres",
                platforms: ["linux/arm64"],
                cacheRef: "ghcr.io/acme/postgres:cache",
            },
        },
        { sourceUrl: "https://github.com/acme/pg-platform", revision: "0123456789abcdef0123456789abcdef01234567" },
    );
    const inputs = buildInputs(run.resources);

    it("pushes the chosen platforms to the repository and reads and writes the registry cache", () => {
        expect(inputs).toMatchObject({ push: true, load: false, platforms: ["linux/arm64"], tags: ["ghcr.io/acme/postgres:18.4-pgvector"] });
        expect(inputs.cacheFrom).toEqual([{ registry: { ref: "ghcr.io/acme/postgres:cache" } }]);
        expect(inputs.cacheTo).toEqual([
            { registry: { ref: "ghcr.io/acme/postgres:cache", mode: "max", imageManifest: true, ociMediaTypes: true, ignoreError: true } },
        ]);
    });

    it("switches pgvector on and records the source in the labels' build arguments", () => {
        expect(inputs.buildArgs).toMatchObject({
            ...commitArgs("pgvector"),
            BUILD_PGVECTOR: "true",
            SOURCE_URL: "https://github.com/acme/pg-platform",
            SOURCE_REVISION: "0123456789abcdef0123456789abcdef01234567",
        });
        expect(run.outputs.extensions.map((e) => e.name)).toEqual(["pg_cron", "pgaudit", "pgvector"]);
    });

    it("references the pushed image by digest in the repository", () => {
        expect(run.outputs.imageRef).toMatch(/^ghcr\.io\/acme\/postgres@sha256:[0-9a-f]{64}$/);
    });
});

describe("PostgresImage with a prebuilt image", () => {
    const pinned = `registry.example.com/acme/postgres:16@sha256:${"c".repeat(64)}`;

    it("builds nothing and outputs the pinned reference unchanged", async () => {
        const run = await build({ postgres: { version: 16 }, image: { prebuilt: pinned } });
        expect(ofType(run.resources, BUILD)).toEqual([]);
        expect(run.outputs).toEqual({ imageRef: pinned, extensions: [] });
    });

    it("lets a tag-only reference through (the policy, not the config, reports it)", async () => {
        const run = await build({ image: { prebuilt: "postgres:18" } });
        expect(run.outputs.imageRef).toBe("postgres:18");
    });
});
