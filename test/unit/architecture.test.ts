// The layers of DESIGN.md as a test: every import of every project file is parsed and each
// edge checked against the allowed arrows, so a shortcut between folders fails here.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const TARGETS = ["docker", "kubernetes", "aws", "gcp"] as const;

/** The layer a repository path belongs to, or undefined for files outside every layer. */
function layerOf(file: string): string | undefined {
    const target = /^components\/targets\/([^/]+)\//.exec(file);
    if (target) return `target:${target[1]}`;
    if (/^components\/targets\/[^/]+\.ts$/.test(file)) return file === "components/targets/index.ts" ? "target-loader" : "target-contract";
    const component = /^components\/([^/]+)\//.exec(file);
    if (component) return component[1];
    if (file === "components/program.ts") return "program";
    if (file.startsWith("policies/shared/")) return "policies-shared";
    const top = /^(policies|cli|test|scripts)\//.exec(file);
    return top ? top[1] : undefined;
}

/** Project layers each layer may import (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
    // The pure modules the policy pack ships (it is published alone) are re-exported, not copied.
    platform: ["policies-shared"],
    "policies-shared": [],
    config: ["platform"],
    render: ["config", "platform"],
    image: ["config", "platform", "render"],
    "self-hosted": ["config", "platform", "render", "image", "target-contract"],
    managed: ["config", "platform", "render", "target-contract"],
    "target-contract": ["config", "platform"],
    "target-loader": ["config", "target-contract", ...TARGETS.map((t) => `target:${t}`)],
    "target:docker": ["config", "platform", "render", "image", "self-hosted", "target-contract"],
    "target:kubernetes": ["config", "platform", "render", "image", "self-hosted", "target-contract"],
    "target:aws": ["config", "platform", "render", "managed", "target-contract"],
    "target:gcp": ["config", "platform", "render", "managed", "target-contract"],
    program: ["config", "platform", "target-loader", "target-contract"],
    policies: ["policies-shared"],
    cli: ["config", "platform", "render", "program", "policies", "target-contract", "image"],
};

/** npm packages a layer must not import: the pure layers stay free of Pulumi (and platform of zod). */
const FORBIDDEN_PACKAGES: Readonly<Record<string, RegExp>> = {
    platform: /^(@pulumi\/|zod$)/,
    config: /^@pulumi\//,
    render: /^@pulumi\//,
};

/** One import of one file. */
interface Edge {
    readonly from: string;
    /** A repository path for a relative import, else the package name. */
    readonly to: string;
    readonly relative: boolean;
}

function resolveRelative(from: string, spec: string): string {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
    for (const candidate of [`${base}.ts`, `${base}.mts`, `${base}/index.ts`, base]) {
        if (existsSync(path.join(ROOT, candidate))) return candidate;
    }
    return base;
}

function edgesOf(file: string, text: string): Edge[] {
    const info = ts.preProcessFile(text, true, true);
    return info.importedFiles.map(({ fileName }) =>
        fileName.startsWith(".") ? { from: file, to: resolveRelative(file, fileName), relative: true } : { from: file, to: fileName, relative: false },
    );
}

/** Every edge that breaks a rule, as `from -> to (why)`. */
function violations(edges: readonly Edge[]): string[] {
    const found: string[] = [];
    for (const edge of edges) {
        const from = layerOf(edge.from);
        if (from === undefined || from === "test" || from === "scripts") continue;
        if (!edge.relative) {
            const pkg = FORBIDDEN_PACKAGES[from];
            if (pkg?.test(edge.to)) found.push(`${edge.from} -> ${edge.to} (${from} must not import ${edge.to})`);
            continue;
        }
        const to = layerOf(edge.to);
        if (to === undefined || to === from) continue;
        if (!(ALLOWED[from] ?? []).includes(to)) found.push(`${edge.from} -> ${edge.to} (${from} must not import ${to})`);
    }
    return found;
}

function projectEdges(): Edge[] {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.mts"], { cwd: ROOT, encoding: "utf8" })
        .split("\n")
        .filter((file) => file !== "" && !file.includes("node_modules/") && existsSync(path.join(ROOT, file)));
    return files.flatMap((file) => edgesOf(file, readFileSync(path.join(ROOT, file), "utf8")));
}

describe("architecture", () => {
    const edges = projectEdges();

    it("parses the project's imports (the check is not vacuous)", () => {
        expect(edges.filter((edge) => edge.relative && layerOf(edge.from) === "target:docker").length).toBeGreaterThan(20);
        expect(edges.some((edge) => edge.from === "components/targets/index.ts" && edge.to === "components/targets/docker/index.ts")).toBe(true);
    });

    it("has no import against the layers' arrows", () => {
        expect(violations(edges)).toEqual([]);
    });

    it("no file in components, policies or cli imports test code", () => {
        const intoTests = edges.filter((edge) => edge.relative && layerOf(edge.to) === "test" && layerOf(edge.from) !== "test");
        expect(intoTests.map((edge) => `${edge.from} -> ${edge.to}`)).toEqual([]);
    });

    // The checker itself: each forbidden kind of edge, added back, is reported.
    it.each([
        ["components/targets/kubernetes/plan.ts", 'import { x } from "../docker/plan";'],
        ["components/self-hosted/tls/certificates.ts", 'import { x } from "../../targets/docker/plan";'],
        ["components/targets/docker/index.ts", 'import type { x } from "../index";'],
        ["policies/rules/pinned-images.ts", 'import { x } from "../../components/image/plan";'],
        ["policies/rules/pinned-images.ts", 'import { x } from "../../components/config";'],
        ["components/render/hba.ts", 'import { x } from "../targets/docker/plan";'],
        ["components/render/hba.ts", 'import * as pulumi from "@pulumi/pulumi";'],
        ["components/config/schema.ts", 'import { x } from "../render";'],
        ["components/platform/constants.ts", 'import { x } from "../config";'],
        ["components/platform/constants.ts", 'import { z } from "zod";'],
        ["components/targets/aws/index.ts", 'import { x } from "../../self-hosted/services";'],
        ["cli/check.ts", 'import { x } from "../test/helpers/containers";'],
    ])("reports %s importing %s", (file, line) => {
        const added = edgesOf(file, line);
        const intoTests = added.filter((edge) => edge.relative && layerOf(edge.to) === "test" && layerOf(edge.from) !== "test");
        expect(violations(added).length + intoTests.length).toBeGreaterThan(0);
    });
});
