import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, parseSpec } from "../../../components/config";
import { readRawConfig } from "../../../components/program";
import { PROJECT_DIR, loadStackConfig } from "../../../cli/stack-config";

const project = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as {
    name: string;
    runtime: { name: string };
    config: Record<string, { type?: string; description?: string; default?: unknown }>;
};
const stacks = fs
    .readdirSync(PROJECT_DIR)
    .filter((file) => /^Pulumi\..+\.yaml$/.test(file))
    .map((file) => file.slice("Pulumi.".length, -".yaml".length));

describe("Pulumi.yaml", () => {
    it("is the pg-platform Node.js project", () => {
        expect(project.name).toBe("pg-platform");
        expect(project.runtime.name).toBe("nodejs");
    });

    it("declares the keys the spec reads, each with a description, but not the per-target settings", () => {
        const targetSettings = ["docker", "kubernetes", "aws", "gcp"];
        expect(Object.keys(project.config).sort()).toEqual(CONFIG_KEYS.filter((key) => !targetSettings.includes(key)).sort());
        for (const key of Object.keys(project.config)) expect(project.config[key].description?.length ?? 0, key).toBeGreaterThan(20);
    });

    it("declares no key the Pulumi CLI would require on every stack (neither default nor value)", () => {
        const required = Object.entries(project.config).filter(([, declaration]) => declaration.default === undefined || declaration.default === null);
        expect(required.map(([key]) => key)).toEqual([]);
    });

    it("declares the same scalar defaults the spec applies", () => {
        const defaults = parseSpec({}) as unknown as Record<string, unknown>;
        for (const [key, declaration] of Object.entries(project.config)) {
            if (declaration.type === undefined) continue;
            expect(declaration.default, key).toEqual(defaults[key]);
            expect(typeof declaration.default === "number" ? "integer" : typeof declaration.default).toBe(declaration.type);
        }
    });
});

describe("the CLI's required-key rule, applied offline", () => {
    it("refuses a stack lacking a key Pulumi.yaml declares without a default, naming it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-platform-stack-"));
        try {
            fs.writeFileSync(
                path.join(dir, "Pulumi.yaml"),
                "name: pg-platform\nruntime: nodejs\nconfig:\n  aws:\n    description: required\n  target:\n    type: string\n    default: docker\n",
            );
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  pg-platform:target: docker\n");
            expect(() => loadStackConfig("dev", dir)).toThrow(/Stack 'dev' is missing configuration value 'aws'/);
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  pg-platform:aws: {}\n");
            expect(() => loadStackConfig("dev", dir)).not.toThrow();
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("committed stack files", () => {
    it("include dev (docker) and prod (aws)", () => {
        expect(stacks).toEqual(expect.arrayContaining(["dev", "prod"]));
    });

    it.each(stacks)("Pulumi.%s.yaml is a valid spec", (stack) => {
        const { config } = loadStackConfig(stack);
        expect(() => parseSpec(readRawConfig(config))).not.toThrow();
    });

    it("dev is a Docker primary with one replica, every port on 127.0.0.1", () => {
        const spec = parseSpec(readRawConfig(loadStackConfig("dev").config));
        expect([spec.target, spec.topology, spec.replicas, spec.network.bindAddress]).toEqual(["docker", "primary", 1, "127.0.0.1"]);
    });

    it("prod is RDS Multi-AZ with two replicas, pooling and 30-day backups", () => {
        const spec = parseSpec(readRawConfig(loadStackConfig("prod").config));
        expect([spec.target, spec.production, spec.replicas]).toEqual(["aws", true, 2]);
        expect(spec.aws).toMatchObject({ multiAz: true, backupRetentionDays: 30 });
        expect([spec.topology, spec.pooler.enabled]).toEqual(["primary", true]); // RDS Proxy
    });
});
