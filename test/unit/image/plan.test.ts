import { describe, expect, it } from "vitest";
import { digestReference, resolveImage, type ImageBuildPlan } from "../../../components/image/plan";
import { isDigestPinned } from "../../../components/platform/images";
import { healthcheckArgs } from "../../../components/image/runtime";
import { ConfigError, parseSpec, type PlatformConfigInput } from "../../../components/config";

const DIGEST = `sha256:${"ab".repeat(32)}`;

function plan(config: PlatformConfigInput = {}): ImageBuildPlan {
    const source = resolveImage(parseSpec(config as Record<string, unknown>));
    if (source.kind !== "build") throw new Error("expected a build");
    return source.plan;
}

function configError(config: PlatformConfigInput): string[] {
    try {
        resolveImage(parseSpec(config as Record<string, unknown>));
    } catch (error) {
        if (error instanceof ConfigError) return [...error.problems];
        throw error;
    }
    throw new Error("expected a ConfigError");
}

describe("resolveImage: building", () => {
    it("builds pg_cron and pgAudit only by default, for both platforms, loaded locally", () => {
        const p = plan();
        expect(p.manifest).toEqual([
            { name: "pg_cron", version: "1.6.7", commit: "465b38c737f584d520229f5a1d69d1d44649e4e5", repository: "https://github.com/citusdata/pg_cron" },
            { name: "pgaudit", version: "18.0", commit: "f39f8dbb15dc5bd4cbe5f1e5abe0d930ed7593a8", repository: "https://github.com/pgaudit/pgaudit" },
        ]);
        expect(p.buildArgs.BUILD_PGVECTOR).toBe("false");
        expect(p.platforms).toEqual(["linux/amd64", "linux/arm64"]);
        expect(p.push).toBe(false);
        expect(p.repository).toBe("pg-platform/postgres");
        expect(p.tag).toBe("pg-platform/postgres:18.4");
        expect(p.cacheRef).toBeUndefined();
        expect(p.baseImage).toBe("postgres:18.4-trixie@sha256:8ff36f3c66371cba71d20ceedccfc3de9669a68737607888c4ef0af93abe8e39");
    });

    it("passes every pin as a build argument, so a preview shows the commits compiled", () => {
        expect(plan().buildArgs).toEqual({
            PG_CRON_VERSION: "1.6.7",
            PG_CRON_COMMIT: "465b38c737f584d520229f5a1d69d1d44649e4e5",
            PGAUDIT_VERSION: "18.0",
            PGAUDIT_COMMIT: "f39f8dbb15dc5bd4cbe5f1e5abe0d930ed7593a8",
            PGVECTOR_VERSION: "0.8.2",
            PGVECTOR_COMMIT: "cab9da72c04353f143bb06b42ab70a403daac64a",
            BUILD_PGVECTOR: "false",
        });
    });

    it("switches pgvector on from image.extensions and says so in the manifest and tag", () => {
        const p = plan({ image: { extensions: ["pgvector"] } });
        expect(p.buildArgs.BUILD_PGVECTOR).toBe("true");
        expect(p.manifest.map((e) => e.name)).toEqual(["pg_cron", "pgaudit", "pgvector"]);
        expect(p.manifest[2]).toEqual({
            name: "pgvector",
            version: "0.8.2",
            commit: "cab9da72c04353f143bb06b42ab70a403daac64a",
            repository: "https://github.com/pgvector/pgvector",
        });
        expect(p.tag).toBe("pg-platform/postgres:18.4-pgvector");
    });

    it("never builds AGE or pg_net: image.extensions refuses them", () => {
        for (const name of ["age", "pg_net"]) {
            expect(() => parseSpec({ image: { extensions: [name] } })).toThrow(/pg-platform:image\.extensions\.0/);
        }
    });

    it("pushes to image.repository on the chosen platforms with a registry cache", () => {
        const p = plan({
            image: { push: true, repository: "ghcr.io/acme/postgres", platforms: ["linux/arm64"], cacheRef: "ghcr.io/acme/postgres:buildcache" },
        });
        expect(p).toMatchObject({
            push: true,
            repository: "ghcr.io/acme/postgres",
            tag: "ghcr.io/acme/postgres:18.4",
            platforms: ["linux/arm64"],
            cacheRef: "ghcr.io/acme/postgres:buildcache",
        });
    });

    it("refuses to push without a repository, naming the setting", () => {
        expect(configError({ image: { push: true } })).toEqual([
            "pg-platform:image.repository: required when image.push is true: the registry repository to push to, such as ghcr.io/acme/postgres",
        ]);
    });

    it("refuses to build another major than the pinned base's, pointing at image.prebuilt", () => {
        expect(configError({ postgres: { version: 16 } })).toEqual([
            "pg-platform:postgres.version: the platform image is PostgreSQL 18 (postgres:18.4-trixie); to run 16, set image.prebuilt to a digest-pinned image of that major (got 16)",
        ]);
    });
});

describe("resolveImage: prebuilt", () => {
    it("passes a digest-pinned prebuilt image through unchanged, for any major", () => {
        const ref = `registry.example.com/pg@${DIGEST}`;
        expect(resolveImage(parseSpec({ postgres: { version: 15 }, image: { prebuilt: ref } }))).toEqual({ kind: "prebuilt", ref, pinned: true });
    });

    it("passes a tag-only prebuilt image through as unpinned, for the pinned-images policy to report", () => {
        expect(resolveImage(parseSpec({ image: { prebuilt: "postgres:18" } }))).toEqual({ kind: "prebuilt", ref: "postgres:18", pinned: false });
    });

    it("refuses build settings a prebuilt image would ignore", () => {
        expect(configError({ image: { prebuilt: `pg@${DIGEST}`, push: true, repository: "ghcr.io/acme/pg" } })).toEqual([
            "pg-platform:image.prebuilt: a prebuilt image is run as is, so image.repository, image.push would be ignored; remove them or remove image.prebuilt",
        ]);
    });
});

describe("image references", () => {
    it("recognises digest pins with or without a tag, and nothing else", () => {
        expect(isDigestPinned(`postgres:18.4-trixie@${DIGEST}`)).toBe(true);
        expect(isDigestPinned(`localhost:5000/pg@${DIGEST}`)).toBe(true);
        expect(isDigestPinned("postgres:18.4-trixie")).toBe(false);
        expect(isDigestPinned(`postgres@sha256:${"ab".repeat(31)}`)).toBe(false);
        expect(isDigestPinned(DIGEST)).toBe(false);
    });

    it("builds repository@digest and refuses a build that reported no digest", () => {
        expect(digestReference("ghcr.io/acme/postgres", DIGEST)).toBe(`ghcr.io/acme/postgres@${DIGEST}`);
        expect(() => digestReference("ghcr.io/acme/postgres", "")).toThrow(
            'the image build for ghcr.io/acme/postgres reported no sha256 digest (got ""); it must be pushed or loaded',
        );
    });
});

describe("healthcheckArgs", () => {
    it("checks role, shipped extensions by SQL name and preloads", () => {
        const spec = parseSpec({
            postgres: { extensions: ["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit", "pg_trgm", "pgvector"] },
            image: { extensions: ["pgvector"] },
        });
        expect(healthcheckArgs(spec, "primary")).toEqual([
            "--role",
            "primary",
            "--available",
            "pg_stat_statements,pg_cron,pgaudit,pg_trgm,vector",
            "--preloaded",
            "pg_stat_statements,auto_explain,pg_cron,pgaudit",
        ]);
        expect(healthcheckArgs(spec, "replica").slice(0, 2)).toEqual(["--role", "replica"]);
        expect(healthcheckArgs(spec, "single").slice(0, 2)).toEqual(["--role", "primary"]);
    });

    it("leaves out empty lists", () => {
        expect(healthcheckArgs(parseSpec({ postgres: { extensions: [] } }), "single")).toEqual(["--role", "primary"]);
    });
});
