import { describe, expect, it } from "vitest";
import { PINNED, messages, resource } from "./gate";

const RULE = "pinned-images";
const HOW = "reference it as <repository>@sha256:<digest>";
const IMAGE_ID = `sha256:${"a".repeat(64)}`;

describe("pinned-images on Docker containers and pulled images", () => {
    const container = (image: string) => resource("docker:index/container:Container", "dev-primary", { image });

    it("passes digest references and image IDs", async () => {
        expect(await messages(RULE, [container(PINNED.postgres), container(IMAGE_ID)])).toEqual([]);
    });

    it("rejects a tag alone, and a truncated digest", async () => {
        expect(await messages(RULE, container("postgres:18"))).toEqual([`image postgres:18 is not pinned by digest; ${HOW}`]);
        expect(await messages(RULE, container("postgres@sha256:8ff36f3c"))).toEqual([`image postgres@sha256:8ff36f3c is not pinned by digest; ${HOW}`]);
    });

    it("checks RemoteImage names", async () => {
        const remote = (name: string) => resource("docker:index/remoteImage:RemoteImage", "pgbouncer", { name });
        expect(await messages(RULE, remote(PINNED.pgbouncer))).toEqual([]);
        expect(await messages(RULE, remote("edoburu/pgbouncer:latest"))).toEqual([`image edoburu/pgbouncer:latest is not pinned by digest; ${HOW}`]);
    });
});

describe("pinned-images on docker-build images (the FROM lines of an inline Dockerfile)", () => {
    const image = (inline: string, buildArgs?: Record<string, string>, named?: Record<string, { location: string }>) =>
        resource("docker-build:index:Image", "postgres-image", { push: false, dockerfile: { inline }, buildArgs, context: { location: ".", named } });

    it("passes pinned bases, build-stage references and scratch", async () => {
        const dockerfile = [
            `ARG BASE=${PINNED.postgres}`,
            "FROM --platform=$BUILDPLATFORM ${BASE} AS build",
            "RUN make",
            "FROM build AS test",
            "FROM scratch AS export",
            "FROM ${BASE}",
            "COPY --from=build /out /usr/lib/postgresql",
        ].join("\n");
        expect(await messages(RULE, image(dockerfile))).toEqual([]);
    });

    it("rejects a tag-only base, including one given as a build arg", async () => {
        const dockerfile = `ARG BASE=${PINNED.postgres}\nFROM \${BASE}\nFROM debian:trixie-slim AS tools\n`;
        expect(await messages(RULE, image(dockerfile, { BASE: "postgres:18" }))).toEqual([
            `Dockerfile base image postgres:18 is not pinned by digest; ${HOW}`,
            `Dockerfile base image debian:trixie-slim is not pinned by digest; ${HOW}`,
        ]);
    });

    it("rejects a named build context that pulls an unpinned image", async () => {
        const named = { base: { location: "docker-image://postgres:18" } };
        expect(await messages(RULE, image(`FROM ${PINNED.postgres}`, undefined, named))).toEqual([
            `named context base image postgres:18 is not pinned by digest; ${HOW}`,
        ]);
    });
});

describe("pinned-images on Kubernetes pod templates", () => {
    const podSpec = (image: string) => ({ initContainers: [{ name: "init", image: PINNED.postgres }], containers: [{ name: "postgres", image }] });

    it("checks Deployments, StatefulSets and CronJobs", async () => {
        const deployment = resource("kubernetes:apps/v1:Deployment", "pooler", { spec: { template: { spec: podSpec(PINNED.pgbouncer) } } });
        const cronJob = (image: string) =>
            resource("kubernetes:batch/v1:CronJob", "backup", { spec: { jobTemplate: { spec: { template: { spec: podSpec(image) } } } } });
        expect(await messages(RULE, [deployment, cronJob(PINNED.postgres)])).toEqual([]);
        expect(await messages(RULE, cronJob("postgres:18.4"))).toEqual([`container postgres image postgres:18.4 is not pinned by digest; ${HOW}`]);
    });
});
