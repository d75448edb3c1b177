import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SCRAM_VERIFIER_PATTERN, scramVerifier } from "../../../components/render";

describe("scramVerifier", () => {
    it("has PostgreSQL's stored format", () => {
        expect(scramVerifier("secret", "app_app")).toMatch(SCRAM_VERIFIER_PATTERN);
        expect(scramVerifier("secret", "app_app")).toMatch(/^SCRAM-SHA-256\$4096:/);
    });

    it("is stable for the same role and password, and differs by role and by password", () => {
        expect(scramVerifier("secret", "app_app")).toBe(scramVerifier("secret", "app_app"));
        expect(scramVerifier("secret", "app_app")).not.toBe(scramVerifier("secret", "app_readonly"));
        expect(scramVerifier("secret", "app_app")).not.toBe(scramVerifier("secret2", "app_app"));
    });

    it("holds keys a SCRAM server checks a client proof against (RFC 5802)", () => {
        const [, iterations, salt, storedKey, serverKey] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(scramVerifier("pencil", "user")) ?? [];
        const salted = pbkdf2Sync("pencil", Buffer.from(salt, "base64"), Number(iterations), 32, "sha256");
        const clientKey = createHmac("sha256", salted).update("Client Key").digest();
        expect(createHash("sha256").update(clientKey).digest("base64")).toBe(storedKey);
        expect(createHmac("sha256", salted).update("Server Key").digest("base64")).toBe(serverKey);
        expect(Buffer.from(salt, "base64")).toHaveLength(16);
    });

    it("refuses an empty password", () => {
        expect(() => scramVerifier("", "app_app")).toThrow(/empty/);
    });
});
