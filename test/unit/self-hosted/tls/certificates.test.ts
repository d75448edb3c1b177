import { describe, expect, it } from "vitest";
import { CONTAINER_LAYOUT } from "../../../../components/render/layout";
import { parseSpec } from "../../../../components/config";
import {
    CERTIFICATE_LIFETIME,
    certificateNames,
    certificatePaths,
    clientUrlQuery,
    serviceHost,
    type TlsServiceName,
} from "../../../../components/self-hosted/tls/certificates";

describe("serviceHost", () => {
    it("is the host name the rendered files give the service, `primary` for a single node too", () => {
        const services: TlsServiceName[] = ["single", "primary", "replica-3", "pooler-transaction", "pooler-session"];
        expect(services.map(serviceHost)).toEqual(["primary", "primary", "replica-3", "pooler-transaction", "pooler-session"]);
    });
});

describe("certificateNames", () => {
    it("puts the host name first and as common name, then the target's names, then localhost and loopback", () => {
        expect(certificateNames("replica-1", ["replica-1.pg.svc"], ["10.0.0.5"])).toEqual({
            commonName: "replica-1",
            dnsNames: ["replica-1", "replica-1.pg.svc", "localhost"],
            ipAddresses: ["127.0.0.1", "::1", "10.0.0.5"],
        });
    });

    it("lists a name the target repeats only once", () => {
        const names = certificateNames("single", ["primary", "localhost"], ["::1"]);
        expect(names.dnsNames).toEqual(["primary", "localhost"]);
        expect(names.ipAddresses).toEqual(["127.0.0.1", "::1"]);
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

describe("clientUrlQuery", () => {
    it("makes URLs verify the server against the CA file when TLS is on and adds nothing when it is off", () => {
        expect(clientUrlQuery(parseSpec({ postgres: { tls: { enabled: true } } }))).toBe("sslmode=verify-full&sslrootcert=ca.crt");
        expect(clientUrlQuery(parseSpec({ postgres: { tls: { enabled: true, caFile: "/etc/app/pg-ca.crt" } } }))).toBe(
            "sslmode=verify-full&sslrootcert=/etc/app/pg-ca.crt",
        );
        expect(clientUrlQuery(parseSpec({}))).toBeUndefined();
    });

    it("refuses a CA file path that would need escaping in a URL", () => {
        expect(() => parseSpec({ postgres: { tls: { enabled: true, caFile: "my ca.crt" } } })).toThrow(/postgres\.tls\.caFile: must be a file path/);
        expect(() => parseSpec({ postgres: { tls: { enabled: true, caFile: "a&sslmode=disable" } } })).toThrow(/postgres\.tls\.caFile/);
    });
});
