import { describe, expect, it } from "vitest";
import { hbaRules, renderPgHba } from "../../../components/render";
import { parseSpec, type PlatformConfigInput } from "../../../components/config";
import { ALLOWED_HBA_METHODS } from "../../../components/platform/constants";

// The user rules below name `reporting`; a rule must name a role the stack has.
const spec = (config: PlatformConfigInput = {}) =>
    parseSpec({ ...config, postgres: { roles: [{ name: "reporting", database: "app", access: "readonly" }], ...config.postgres } } as Record<string, unknown>);
const userRule = { type: "host", database: "app", user: "reporting", address: "10.1.0.0/16", method: "reject" } as const;

describe.each([false, true])("pg_hba.conf with TLS %s", (tls) => {
    const rules = hbaRules(spec({ postgres: { tls: { enabled: tls }, hba: [userRule, { ...userRule, user: "app_app", method: "scram-sha-256" }] } }));

    it("orders fixed rules, then user rules in their given order, then the default rule", () => {
        const parts = rules.map((r) => r.part);
        expect(parts.indexOf("user")).toBeGreaterThan(parts.lastIndexOf("fixed"));
        expect(parts.at(-1)).toBe("default");
        expect(parts.filter((p) => p === "default")).toHaveLength(1);
        expect(rules.filter((r) => r.part === "user").map((r) => r.user)).toEqual(["reporting", "app_app"]);
    });

    it("uses only SCRAM, peer for the local superuser socket, and reject", () => {
        for (const r of rules) expect(ALLOWED_HBA_METHODS).toContain(r.method);
        expect(rules.filter((r) => r.method === "peer")).toEqual([expect.objectContaining({ type: "local", user: "postgres" })]);
        const methods = renderPgHba(spec({ postgres: { tls: { enabled: tls } } }))
            .split("\n")
            .filter((line) => line && !line.startsWith("#"))
            .map((line) => line.trim().split(/\s+/).at(-1));
        expect(new Set(methods)).toEqual(new Set(["peer", "scram-sha-256", "reject"]));
    });

    it("allows replication to the replication role alone", () => {
        const replication = rules.filter((r) => r.database === "replication");
        expect(replication.map((r) => [r.user, r.method])).toEqual([
            ["replicator", "scram-sha-256"],
            ["all", "reject"],
        ]);
    });

    it("keeps the superuser to the socket and loopback", () => {
        const superuser = rules.filter((r) => r.user === "postgres" && r.type !== "local");
        expect(superuser.map((r) => [r.address, r.method])).toEqual([
            ["127.0.0.1/32", "scram-sha-256"],
            ["::1/128", "scram-sha-256"],
            ["all", "reject"],
        ]);
    });

    it(tls ? "requires TLS on every network rule and rejects plain TCP first" : "accepts plain TCP with SCRAM", () => {
        const network = rules.filter((r) => r.type !== "local" && r.address !== "127.0.0.1/32" && r.address !== "::1/128");
        if (tls) {
            expect(network[0]).toMatchObject({ type: "hostnossl", method: "reject" });
            expect(network.filter((r) => r.method !== "reject").every((r) => r.type === "hostssl")).toBe(true);
        } else {
            expect(network.every((r) => r.type === "host")).toBe(true);
        }
    });
});

describe("pg_hba.conf user rules", () => {
    it.each(["password", "trust", "cert"])("refuses a %s rule before anything is rendered, naming the allowed methods", (method) => {
        expect(() => spec({ postgres: { hba: [userRule, { ...userRule, method }] } as PlatformConfigInput["postgres"] })).toThrow(
            /pg-platform:postgres\.hba\.1\.method: .*"scram-sha-256".*"reject".*"md5"/,
        );
    });

    it("writes an md5 rule as given, for the policy gate to refuse by name", () => {
        const text = renderPgHba(spec({ postgres: { hba: [{ ...userRule, method: "md5" }] } }));
        expect(text).toMatch(/^host\s+"app"\s+"reporting"\s+10\.1\.0\.0\/16\s+md5$/m);
    });

    it("renders one line per rule in order, with section comments", () => {
        const lines = renderPgHba(spec({ postgres: { hba: [userRule] } })).split("\n");
        const fixed = lines.indexOf("# Fixed rules (platform)");
        const user = lines.indexOf("# From pg-platform:postgres.hba");
        const fallback = lines.indexOf("# Default rule");
        expect(fixed).toBeGreaterThan(0);
        expect(user).toBeGreaterThan(fixed);
        expect(fallback).toBeGreaterThan(user);
        expect(lines[user + 1].split(/\s+/)).toEqual(["host", '"app"', '"reporting"', "10.1.0.0/16", "reject"]);
        expect(lines[fallback + 1].split(/\s+/)).toEqual(["host", "all", "all", "all", "scram-sha-256"]);
    });
});
