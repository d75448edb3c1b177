import { describe, expect, it } from "vitest";
import {
    CONTAINER_LAYOUT,
    filePaths,
    primaryConninfo,
    renderPgbouncerIni,
    renderPostgresqlConf,
    renderServices,
    tlsPaths,
    type RuntimeLayout,
} from "../../../components/render";
import { parseSpec, type PlatformConfigInput } from "../../../components/config";

const spec = (config: PlatformConfigInput = {}) => parseSpec({ topology: "primary", replicas: 1, ...config } as Record<string, unknown>);
const tlsOn = spec({ postgres: { tls: { enabled: true } } });
const tlsOff = spec();

/** The `[pgbouncer]` settings of a rendered pgbouncer.ini. */
function pgbouncerSettings(text: string): Map<string, string> {
    const section = text.split("[pgbouncer]")[1] ?? "";
    return new Map(
        section
            .split("\n")
            .filter((line) => line.includes(" = "))
            .map((line) => line.split(" = ", 2) as [string, string]),
    );
}

/** `name = 'value'` lines of a rendered postgresql.conf. */
function confSettings(text: string): Map<string, string> {
    return new Map([...text.matchAll(/^(\S+) = '(.*)'$/gm)].map((m) => [m[1], m[2]]));
}

/** A layout with every folder elsewhere, as a test on a host uses. */
const scratch: RuntimeLayout = { ...CONTAINER_LAYOUT, tlsDir: "/scratch/pg/tls", pgbouncerConfigDir: "/scratch/pool", pgbouncerTlsDir: "/scratch/pool-tls" };

describe("TLS file locations", () => {
    it("keep PostgreSQL's files in tlsDir and each pool's in pgbouncerTlsDir, in containers and in any other layout", () => {
        expect(tlsPaths(CONTAINER_LAYOUT, "postgres")).toEqual({
            cert: "/etc/postgresql/tls/server.crt",
            key: "/etc/postgresql/tls/server.key",
            ca: "/etc/postgresql/tls/ca.crt",
        });
        expect(tlsPaths(CONTAINER_LAYOUT, "pgbouncer")).toEqual({
            cert: "/etc/pgbouncer/tls/server.crt",
            key: "/etc/pgbouncer/tls/server.key",
            ca: "/etc/pgbouncer/tls/ca.crt",
        });
        expect(tlsPaths(scratch, "pgbouncer").key).toBe("/scratch/pool-tls/server.key");
        expect(filePaths(scratch)).toMatchObject({
            tlsCert: "/scratch/pg/tls/server.crt",
            tlsKey: "/scratch/pg/tls/server.key",
            tlsCa: "/scratch/pg/tls/ca.crt",
        });
    });
});

describe.each(["transaction", "session"] as const)("pgbouncer.ini of the %s pool", (mode) => {
    it("with TLS on: refuses clients without TLS, presents its certificate, verifies the primary against the CA", () => {
        const settings = pgbouncerSettings(renderPgbouncerIni(tlsOn, mode, scratch));
        expect(Object.fromEntries([...settings].filter(([key]) => /_tls_/.test(key)))).toEqual({
            client_tls_sslmode: "require",
            client_tls_cert_file: "/scratch/pool-tls/server.crt",
            client_tls_key_file: "/scratch/pool-tls/server.key",
            client_tls_protocols: "secure",
            server_tls_sslmode: "verify-full",
            server_tls_ca_file: "/scratch/pool-tls/ca.crt",
            server_tls_protocols: "secure",
        });
    });

    it("with TLS off: no client TLS and no certificate paths, TLS to the primary only if offered", () => {
        const settings = pgbouncerSettings(renderPgbouncerIni(tlsOff, mode, CONTAINER_LAYOUT));
        expect(Object.fromEntries([...settings].filter(([key]) => /_tls_/.test(key)))).toEqual({ server_tls_sslmode: "prefer" });
    });
});

describe("PostgreSQL with TLS", () => {
    it("serves its certificate from tlsDir, TLS 1.2 at least; nothing of it when off", () => {
        const on = confSettings(renderPostgresqlConf(tlsOn, "primary", scratch));
        expect([on.get("ssl"), on.get("ssl_cert_file"), on.get("ssl_key_file"), on.get("ssl_min_protocol_version")]).toEqual([
            "on",
            "/scratch/pg/tls/server.crt",
            "/scratch/pg/tls/server.key",
            "TLSv1.2",
        ]);
        const off = confSettings(renderPostgresqlConf(tlsOff, "primary", scratch));
        expect([...off.keys()].filter((key) => key.startsWith("ssl"))).toEqual([]);
    });

    it("makes a replica verify the primary's certificate and host name against the CA (verify-full), else prefer", () => {
        expect(primaryConninfo(tlsOn, scratch, 1)).toMatch(/ sslmode=verify-full sslrootcert=\/scratch\/pg\/tls\/ca\.crt$/);
        expect(confSettings(renderPostgresqlConf(tlsOn, "replica", CONTAINER_LAYOUT, 1)).get("primary_conninfo")).toContain(
            "sslrootcert=/etc/postgresql/tls/ca.crt",
        );
        expect(primaryConninfo(tlsOff, scratch, 1)).toMatch(/ sslmode=prefer$/);
        expect(primaryConninfo(tlsOff, scratch, 1)).not.toContain("sslrootcert");
    });

    it("renders no certificate or key: those come from the target", () => {
        const paths = renderServices(tlsOn).flatMap((service) => service.files.map((file) => file.path));
        expect(paths.filter((path) => /\/tls\//.test(path))).toEqual([]);
    });
});
