import { describe, expect, it } from "vitest";
import { containerWithFiles, messages, resource } from "./gate";

const RULE = "tls-required";
const HOSTSSL = 'use hostssl, or put "hostnossl all all all reject" before it';

describe("tls-required on rendered pg_hba.conf and pgbouncer.ini (Docker, Kubernetes)", () => {
    it("passes hostssl rules and plain TCP on loopback", async () => {
        const hba = "local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\nhostssl all all 10.0.0.0/8 scram-sha-256\n";
        expect(await messages(RULE, containerWithFiles("dev-primary", { "pg_hba.conf": hba }))).toEqual([]);
    });

    it("passes host rules once an earlier catch-all hostnossl reject closes plain TCP", async () => {
        const hba = "hostnossl all all all reject\nhost all all 10.0.0.0/8 scram-sha-256\n";
        const perFamily = "hostnossl all all 0.0.0.0/0 reject\nhostnossl all all ::/0 reject\nhost all all samenet scram-sha-256\n";
        expect(await messages(RULE, [containerWithFiles("a", { "pg_hba.conf": hba }), containerWithFiles("b", { "pg_hba.conf": perFamily })])).toEqual([]);
    });

    it("rejects host rules that admit remote clients without TLS, including one placed before the reject", async () => {
        const hba = "host all all 10.0.0.0/8 scram-sha-256\nhostnossl all all 0.0.0.0/0 reject\nhost all all 172.16.0.0/12 scram-sha-256\nhost all all fd00::/8 scram-sha-256\n";
        expect(await messages(RULE, containerWithFiles("dev-primary", { "pg_hba.conf": hba }))).toEqual([
            `pg_hba.conf line 1 (host all all 10.0.0.0/8 scram-sha-256) admits connections without TLS; ${HOSTSSL}`,
            `pg_hba.conf line 4 (host all all fd00::/8 scram-sha-256) admits connections without TLS; ${HOSTSSL}`,
        ]);
    });

    it("requires PgBouncer client TLS", async () => {
        const ini = (mode?: string) => `[pgbouncer]\nauth_type = scram-sha-256\n${mode ? `client_tls_sslmode = ${mode}\n` : ""}`;
        expect(await messages(RULE, containerWithFiles("dev-pooler", { "pgbouncer.ini": ini("require") }))).toEqual([]);
        expect(await messages(RULE, containerWithFiles("dev-pooler", { "pgbouncer.ini": ini() }))).toEqual([
            "pgbouncer.ini client_tls_sslmode is disable; set it to require (or verify-ca / verify-full)",
        ]);
    });

    it("checks a Kubernetes ConfigMap's pg_hba.conf", async () => {
        const configMap = (hba: string) => resource("kubernetes:core/v1:ConfigMap", "db-config", { data: { "pg_hba.conf": hba } });
        expect(await messages(RULE, configMap("hostssl all all 10.0.0.0/8 scram-sha-256\n"))).toEqual([]);
        expect(await messages(RULE, configMap("host all all 10.0.0.0/8 scram-sha-256\n"))).toEqual([
            `pg_hba.conf line 1 (host all all 10.0.0.0/8 scram-sha-256) admits connections without TLS; ${HOSTSSL}`,
        ]);
    });
});

describe("tls-required on RDS parameter groups and proxies", () => {
    const group = (family: string, parameters: { name: string; value: string }[] = []) => resource("aws:rds/parameterGroup:ParameterGroup", "prod-params", { family, parameters });

    it("passes rds.force_ssl = 1, and an unset one from PostgreSQL 15 (RDS's default is 1 there)", async () => {
        expect(await messages(RULE, [group("postgres14", [{ name: "rds.force_ssl", value: "1" }]), group("postgres17")])).toEqual([]);
    });

    it("rejects rds.force_ssl = 0, and an unset one before PostgreSQL 15", async () => {
        expect(await messages(RULE, group("postgres17", [{ name: "rds.force_ssl", value: "0" }]))).toEqual(["parameter rds.force_ssl is 0; set it to 1"]);
        expect(await messages(RULE, group("postgres14"))).toEqual(["parameter rds.force_ssl is not set and family postgres14 defaults it to 0; set it to 1"]);
    });

    it("requires requireTls on an RDS Proxy", async () => {
        const proxy = (requireTls?: boolean) => resource("aws:rds/proxy:Proxy", "prod-proxy", { engineFamily: "POSTGRESQL", requireTls });
        expect(await messages(RULE, proxy(true))).toEqual([]);
        expect(await messages(RULE, proxy(false))).toEqual(["requireTls is false; set it to true"]);
        expect(await messages(RULE, proxy())).toEqual(["requireTls is not set; set it to true"]);
    });
});

describe("tls-required on Cloud SQL", () => {
    const instance = (sslMode?: string) =>
        resource("gcp:sql/databaseInstance:DatabaseInstance", "gcp-primary", { settings: { tier: "db-custom-2-7680", ipConfiguration: { ipv4Enabled: false, sslMode } } });

    it("passes ENCRYPTED_ONLY and rejects the default or ALLOW_UNENCRYPTED_AND_ENCRYPTED", async () => {
        expect(await messages(RULE, [instance("ENCRYPTED_ONLY"), instance("TRUSTED_CLIENT_CERTIFICATE_REQUIRED")])).toEqual([]);
        expect(await messages(RULE, instance("ALLOW_UNENCRYPTED_AND_ENCRYPTED"))).toEqual([
            "settings.ipConfiguration.sslMode is ALLOW_UNENCRYPTED_AND_ENCRYPTED; set it to ENCRYPTED_ONLY",
        ]);
        expect(await messages(RULE, instance())).toEqual([
            "settings.ipConfiguration.sslMode is not set (Cloud SQL then accepts unencrypted connections); set it to ENCRYPTED_ONLY",
        ]);
    });
});
