import { describe, expect, it } from "vitest";
import { PINNED, containerWithFiles, messages, resource } from "./gate";

const RULE = "tls-required";
const HOSTSSL = 'use hostssl, or put "hostnossl all all all reject" before it';

describe("tls-required on rendered pg_hba.conf and pgbouncer.ini (Docker, Kubernetes)", () => {
    it("passes hostssl rules and plain TCP on loopback", async () => {
        const hba =
            "local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\nhostssl all all 10.0.0.0/8 scram-sha-256\n";
        expect(await messages(RULE, containerWithFiles("dev-primary", { "pg_hba.conf": hba }))).toEqual([]);
    });

    it("passes host rules once an earlier catch-all hostnossl reject closes plain TCP", async () => {
        const hba = "hostnossl all all all reject\nhost all all 10.0.0.0/8 scram-sha-256\n";
        const perFamily = "hostnossl all all 0.0.0.0/0 reject\nhostnossl all all ::/0 reject\nhost all all samenet scram-sha-256\n";
        expect(await messages(RULE, [containerWithFiles("a", { "pg_hba.conf": hba }), containerWithFiles("b", { "pg_hba.conf": perFamily })])).toEqual([]);
    });

    it("rejects host rules that admit remote clients without TLS, including one placed before the reject", async () => {
        const hba =
            "host all all 10.0.0.0/8 scram-sha-256\nhostnossl all all 0.0.0.0/0 reject\nhost all all 172.16.0.0/12 scram-sha-256\nhost all all fd00::/8 scram-sha-256\n";
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

describe("tls-required on the connection URL the platform hands its migration job", () => {
    const url = (query: string) => `postgresql://app_migrate:s3cret@pooler-session:6432/app${query}`;
    const job = (query: string) =>
        resource("docker:index/container:Container", "pg-migrations", { image: PINNED.postgres, attach: true, envs: [`DATABASE_URL=${url(query)}`] });
    const secret = (query: string, encoded = false) =>
        resource(
            "kubernetes:core/v1:Secret",
            "pg-migrations-connection",
            encoded ? { data: { DATABASE_URL: Buffer.from(url(query)).toString("base64") } } : { stringData: { DATABASE_URL: url(query) } },
        );

    it("passes a URL that verifies the server (Docker environment, Kubernetes Secret)", async () => {
        const verified = "?sslmode=verify-full&sslrootcert=/etc/pg-platform/migrations/ca.crt";
        expect(await messages(RULE, [job(verified), secret(verified), secret("?sslmode=verify-ca", true)])).toEqual([]);
    });

    it("rejects one without TLS or that does not verify the server, never quoting the URL (it holds a password)", async () => {
        const found = await messages(RULE, [job(""), secret("?sslmode=require"), secret("?sslmode=disable", true)]);
        expect(found).toEqual([
            expect.stringMatching(/^container pg-migrations hands its client a DATABASE_URL with no sslmode .*set postgres\.tls\.enabled: true/),
            expect.stringMatching(/^Secret pg-migrations-connection hands its client a DATABASE_URL with sslmode=require, which does not verify the server/),
            expect.stringMatching(/^Secret pg-migrations-connection hands its client a DATABASE_URL with sslmode=disable/),
        ]);
        expect(found.join("\n")).not.toContain("s3cret");
    });

    it("leaves other environment entries and other kinds of URL alone", async () => {
        const other = resource("docker:index/container:Container", "app", {
            image: PINNED.postgres,
            envs: ["DATABASE_URL=mysql://u:p@db/app", "OTHER_URL=postgresql://u:p@db/app"],
        });
        expect(await messages(RULE, other)).toEqual([]);
    });
});

describe("tls-required on RDS parameter groups and proxies", () => {
    const group = (family: string, parameters: { name: string; value: string }[] = []) =>
        resource("aws:rds/parameterGroup:ParameterGroup", "prod-params", { family, parameters });

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
        resource("gcp:sql/databaseInstance:DatabaseInstance", "gcp-primary", {
            settings: { tier: "db-custom-2-7680", ipConfiguration: { ipv4Enabled: false, sslMode } },
        });

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

describe("tls-required judges pg_hba.conf addresses as ranges", () => {
    const hba = (text: string) => containerWithFiles("dev-primary", { "pg_hba.conf": text });
    const plain = (line: number, text: string) => expect.stringContaining(`pg_hba.conf line ${line} (${text}) admits connections without TLS`);

    it("counts pieces of reject rules as closing a family (0.0.0.0/1 + 128.0.0.0/1 = IPv4)", async () => {
        const text = "hostnossl all all 0.0.0.0/1 reject\nhostnossl all all 128.0.0.0/1 reject\nhost all all 10.0.0.0/8 scram-sha-256\n";
        expect(await messages(RULE, hba(text))).toEqual([]);
        const half = "hostnossl all all 0.0.0.0/1 reject\nhost all all 10.0.0.0/8 scram-sha-256\nhost all all 192.168.0.0/16 scram-sha-256\n";
        expect(await messages(RULE, hba(half))).toEqual([plain(3, "host all all 192.168.0.0/16 scram-sha-256")]);
    });

    it("reads netmask fields and every loopback spelling", async () => {
        expect(
            await messages(
                RULE,
                hba("host all all 127.0.0.2/32 scram-sha-256\nhost all all 127.0.0.0 255.0.0.0 scram-sha-256\nhost all all ::1/128 scram-sha-256\n"),
            ),
        ).toEqual([]);
        expect(await messages(RULE, hba("host all all 10.0.0.0 255.0.0.0 scram-sha-256\n"))).toEqual([
            plain(1, "host all all 10.0.0.0 255.0.0.0 scram-sha-256"),
        ]);
    });

    it("never lets a host name or samenet close anything", async () => {
        const text = "hostnossl all all db.example.com reject\nhostnossl all all samenet reject\nhost all all 10.0.0.0/8 scram-sha-256\n";
        expect(await messages(RULE, hba(text))).toEqual([plain(3, "host all all 10.0.0.0/8 scram-sha-256")]);
    });
});

describe("tls-required holds the TLS floor (TLSv1.2) as a rule", () => {
    it("refuses ssl_min_protocol_version below TLSv1.2 and a max that caps below it, in any case", async () => {
        const conf = (text: string) => containerWithFiles("dev-primary", { "postgresql.conf": text });
        expect(await messages(RULE, conf("ssl = on\nssl_min_protocol_version = 'TLSv1.2'\n"))).toEqual([]);
        expect(await messages(RULE, conf("ssl = on\n"))).toEqual([]);
        expect(await messages(RULE, conf("ssl_min_protocol_version = 'tlsv1'\nssl_max_protocol_version = 'TLSv1.1'\n"))).toEqual([
            "postgresql.conf ssl_min_protocol_version is tlsv1; the floor is TLSv1.2 (TLSv1.2 or TLSv1.3)",
            "postgresql.conf ssl_max_protocol_version is TLSv1.1, below the TLSv1.2 floor; leave it unset",
        ]);
    });

    it("refuses PgBouncer protocols below the floor and an RDS group's", async () => {
        const ini = containerWithFiles("dev-pool", {
            "pgbouncer.ini": "[pgbouncer]\nclient_tls_sslmode = require\nclient_tls_protocols = tlsv1.1,tlsv1.2\nserver_tls_protocols = secure\n",
        });
        expect(await messages(RULE, ini)).toEqual(["pgbouncer.ini client_tls_protocols = tlsv1.1,tlsv1.2 allows TLS below TLSv1.2; set it to secure"]);
        const group = resource("aws:rds/parameterGroup:ParameterGroup", "prod-params", {
            family: "postgres17",
            parameters: [{ name: "ssl_min_protocol_version", value: "TLSv1.1" }],
        });
        expect(await messages(RULE, group)).toEqual(["parameter ssl_min_protocol_version is TLSv1.1; the floor is TLSv1.2 (TLSv1.2 or TLSv1.3)"]);
    });
});
