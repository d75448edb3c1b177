import { describe, expect, it } from "vitest";
import { dockerCertificateNames } from "../../../../components/targets/docker/certificates";
import { parseSpec } from "../../../../components/config";

const spec = (bindAddress?: string) => parseSpec({ topology: "primary", replicas: 2, ...(bindAddress ? { network: { bindAddress } } : {}) });

describe("dockerCertificateNames", () => {
    it("covers the name pools and replicas dial the primary by, its container name and localhost", () => {
        expect(dockerCertificateNames(spec(), "primary", "dev-pg")).toEqual({
            commonName: "primary",
            dnsNames: ["primary", "dev-pg-primary", "localhost"],
            ipAddresses: ["127.0.0.1", "::1"],
        });
    });

    it("names a single node `primary` too, as its network alias is", () => {
        expect(dockerCertificateNames(parseSpec({}), "single", "dev-pg").dnsNames).toEqual(["primary", "dev-pg-single", "localhost"]);
    });

    it("gives each replica and each pool its own host name", () => {
        expect(dockerCertificateNames(spec(), "replica-2", "n").dnsNames).toEqual(["replica-2", "n-replica-2", "localhost"]);
        expect(dockerCertificateNames(spec(), "pooler-transaction", "n").dnsNames).toEqual(["pooler-transaction", "n-pooler-transaction", "localhost"]);
        expect(dockerCertificateNames(spec(), "pooler-session", "n").commonName).toBe("pooler-session");
    });

    it("adds a specific bind address (clients on the host dial it), never a wildcard, never twice", () => {
        expect(dockerCertificateNames(spec("192.168.1.10"), "primary", "n").ipAddresses).toEqual(["127.0.0.1", "::1", "192.168.1.10"]);
        expect(dockerCertificateNames(spec("0.0.0.0"), "primary", "n").ipAddresses).toEqual(["127.0.0.1", "::1"]);
        expect(dockerCertificateNames(spec("::"), "primary", "n").ipAddresses).toEqual(["127.0.0.1", "::1"]);
        expect(dockerCertificateNames(spec("::1"), "primary", "n").ipAddresses).toEqual(["127.0.0.1", "::1"]);
    });
});
