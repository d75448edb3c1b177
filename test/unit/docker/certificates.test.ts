import { describe, expect, it } from "vitest";
import { CERTIFICATE_LIFETIME, certificateNames, certificatePaths, networkAlias } from "../../../components/docker/certificates";
import { CONTAINER_LAYOUT } from "../../../components/render/layout";
import { parseSpec } from "../../../components/spec";

const spec = (bindAddress?: string) => parseSpec({ topology: "primary", replicas: 2, ...(bindAddress ? { network: { bindAddress } } : {}) });

describe("certificateNames", () => {
    it("covers the name pools and replicas dial the primary by, its container name and localhost", () => {
        expect(certificateNames(spec(), "primary", "dev-pg")).toEqual({
            commonName: "primary",
            dnsNames: ["primary", "dev-pg-primary", "localhost"],
            ipAddresses: ["127.0.0.1", "::1"],
        });
    });

    it("names a single node `primary` too, as its network alias is", () => {
        expect(certificateNames(parseSpec({}), "single", "dev-pg").dnsNames).toEqual(["primary", "dev-pg-single", "localhost"]);
    });

    it("gives each replica and each pool its own host name", () => {
        expect(certificateNames(spec(), "replica-2", "n").dnsNames).toEqual(["replica-2", "n-replica-2", "localhost"]);
        expect(certificateNames(spec(), "pooler-transaction", "n").dnsNames).toEqual(["pooler-transaction", "n-pooler-transaction", "localhost"]);
        expect(certificateNames(spec(), "pooler-session", "n").commonName).toBe("pooler-session");
    });

    it("adds a specific bind address (clients on the host dial it), never a wildcard, never twice", () => {
        expect(certificateNames(spec("192.168.1.10"), "primary", "n").ipAddresses).toEqual(["127.0.0.1", "::1", "192.168.1.10"]);
        expect(certificateNames(spec("0.0.0.0"), "primary", "n").ipAddresses).toEqual(["127.0.0.1", "::1"]);
        expect(certificateNames(spec("::"), "primary", "n").ipAddresses).toEqual(["127.0.0.1", "::1"]);
        expect(certificateNames(spec("::1"), "primary", "n").ipAddresses).toEqual(["127.0.0.1", "::1"]);
    });
});

describe("networkAlias", () => {
    it("is the host name the service has on the private network", () => {
        expect(["single", "primary", "replica-3", "pooler-transaction", "pooler-session"].map((s) => networkAlias(s as Parameters<typeof networkAlias>[0])))
            .toEqual(["primary", "primary", "replica-3", "pooler-transaction", "pooler-session"]);
    });
});

describe("certificatePaths", () => {
    it("puts servers' files where postgresql.conf names them and pools' where pgbouncer.ini does", () => {
        expect(certificatePaths("replica-1", CONTAINER_LAYOUT).key).toBe("/etc/postgresql/tls/server.key");
        expect(certificatePaths("pooler-session", CONTAINER_LAYOUT).cert).toBe("/etc/pgbouncer/tls/server.crt");
    });
});

describe("CERTIFICATE_LIFETIME", () => {
    it("renews server certificates well before they expire and outlives them with the CA", () => {
        expect(CERTIFICATE_LIFETIME.renewalHours).toBeLessThan(CERTIFICATE_LIFETIME.serverHours / 4);
        expect(CERTIFICATE_LIFETIME.caHours).toBeGreaterThan(CERTIFICATE_LIFETIME.serverHours);
    });
});
