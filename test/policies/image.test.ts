import { describe, expect, it } from "vitest";
import { PostgresImage } from "../../components/image";
import { parseSpec } from "../../components/config";
import { runUnderMocks } from "../../cli/offline/harness";
import { edited, messages, one, resource } from "./gate";

const BUILD = "docker-build:index:Image";

async function builtImage(raw: Record<string, unknown>) {
    const run = await runUnderMocks(() => new PostgresImage("dev-postgres", { spec: parseSpec(raw) }));
    return one(
        run.resources.map((r) => resource(r.type, r.name, r.inputs)),
        BUILD,
    );
}

describe("pinned-images on the image component's real build", () => {
    it("passes the platform's Dockerfile (digest-pinned base, stages built from it), with and without pgvector", async () => {
        expect(await messages("pinned-images", await builtImage({}))).toEqual([]);
        expect(await messages("pinned-images", await builtImage({ image: { extensions: ["pgvector"] } }))).toEqual([]);
    });

    it("reports the base once its digest is dropped from the Dockerfile", async () => {
        const image = await builtImage({});
        const unpinned = edited(image, (props) => {
            const dockerfile = props.dockerfile as { inline: string };
            return { ...props, dockerfile: { inline: dockerfile.inline.replace(/@sha256:[0-9a-f]{64}/, "") } };
        });
        expect(await messages("pinned-images", unpinned)).toEqual([
            "Dockerfile base image postgres:18.4-trixie is not pinned by digest; reference it as <repository>@sha256:<digest>",
        ]);
    });
});
