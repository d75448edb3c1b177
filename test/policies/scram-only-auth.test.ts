import { describe, expect, it } from "vitest";
import { containerWithFiles, messages, resource } from "./gate";

const RULE = "scram-only-auth";

const GOOD_CONF = "listen_addresses = '*'\npassword_encryption = 'scram-sha-256'\n";
const GOOD_HBA = "local all all peer\nhost all all 172.18.0.0/16 scram-sha-256\nhost all all 0.0.0.0/0 reject\n";
const GOOD_INI = "[databases]\napp = host=primary port=5432\n\n[pgbouncer]\nauth_type = scram-sha-256\nauth_user = pgbouncer_auth\n";

describe("scram-only-auth on Docker containers (uploaded files, env)", () => {
    it("passes SCRAM-only postgresql.conf, pg_hba.conf and pgbouncer.ini", async () => {
        const container = containerWithFiles("dev-primary", { "postgresql.conf": GOOD_CONF, "pg_hba.conf": GOOD_HBA, "pgbouncer.ini": GOOD_INI });
        expect(await messages(RULE, container)).toEqual([]);
    });

    it("names every md5, password and trust rule of pg_hba.conf with its line", async () => {
        const hba = "local all all trust\n# a comment\nhost all all 10.0.0.0/8 md5\nhost app app 10.1.0.1 255.255.255.255 password\n";
        expect(await messages(RULE, containerWithFiles("dev-primary", { "pg_hba.conf": hba }))).toEqual([
            "pg_hba.conf line 1 (local all all trust) uses method trust; allowed methods: scram-sha-256, peer, reject",
            "pg_hba.conf line 3 (host all all 10.0.0.0/8 md5) uses method md5; allowed methods: scram-sha-256, peer, reject",
            "pg_hba.conf line 4 (host app app 10.1.0.1 255.255.255.255 password) uses method password; allowed methods: scram-sha-256, peer, reject",
        ]);
    });

    it("rejects password_encryption other than scram-sha-256", async () => {
        const container = containerWithFiles("dev-primary", { "postgresql.conf": "password_encryption = md5 # legacy\n" });
        expect(await messages(RULE, container)).toEqual(["postgresql.conf sets password_encryption = md5; it must be scram-sha-256"]);
    });

    it("rejects a PgBouncer auth_type other than scram-sha-256, and a missing one (PgBouncer's default is md5)", async () => {
        const md5 = containerWithFiles("dev-pooler", { "pgbouncer.ini": GOOD_INI.replace("scram-sha-256", "md5") });
        const missing = containerWithFiles("dev-pooler", { "pgbouncer.ini": "[pgbouncer]\nlisten_port = 6432\n" });
        expect(await messages(RULE, md5)).toEqual(["pgbouncer.ini sets auth_type = md5; it must be scram-sha-256"]);
        expect(await messages(RULE, missing)).toEqual([
            "pgbouncer.ini does not set auth_type, and PgBouncer then defaults to md5; set auth_type = scram-sha-256",
        ]);
    });

    it("rejects POSTGRES_HOST_AUTH_METHOD=trust, which the postgres image turns into a trust rule for every host", async () => {
        const container = containerWithFiles("dev-primary", {}, { envs: ["POSTGRES_DB=app", "POSTGRES_HOST_AUTH_METHOD=trust"] });
        expect(await messages(RULE, container)).toEqual([
            "container dev-primary sets POSTGRES_HOST_AUTH_METHOD=trust, which makes the postgres image accept trust from every host; remove it or use scram-sha-256",
        ]);
    });

    it("reads files uploaded as base64 too", async () => {
        const container = resource("docker:index/container:Container", "dev-primary", {
            image: "x",
            uploads: [{ file: "/etc/postgresql/pg_hba.conf", contentBase64: Buffer.from("host all all all md5\n").toString("base64") }],
        });
        expect(await messages(RULE, container)).toEqual([
            "pg_hba.conf line 1 (host all all all md5) uses method md5; allowed methods: scram-sha-256, peer, reject",
        ]);
    });
});

describe("scram-only-auth on Kubernetes objects", () => {
    it("checks pg_hba.conf in a ConfigMap and pgbouncer.ini in a Secret", async () => {
        const configMap = resource("kubernetes:core/v1:ConfigMap", "db-config", { data: { "pg_hba.conf": GOOD_HBA, "postgresql.conf": GOOD_CONF } });
        const badConfigMap = resource("kubernetes:core/v1:ConfigMap", "db-config", { data: { "pg_hba.conf": "host all all ::/0 md5\n" } });
        const secret = resource("kubernetes:core/v1:Secret", "pooler-config", {
            data: { "pgbouncer.ini": Buffer.from("[pgbouncer]\nauth_type = trust\n").toString("base64") },
        });
        expect(await messages(RULE, configMap)).toEqual([]);
        expect(await messages(RULE, badConfigMap)).toEqual([
            "pg_hba.conf line 1 (host all all ::/0 md5) uses method md5; allowed methods: scram-sha-256, peer, reject",
        ]);
        expect(await messages(RULE, secret)).toEqual(["pgbouncer.ini sets auth_type = trust; it must be scram-sha-256"]);
    });

    it("checks POSTGRES_HOST_AUTH_METHOD in pod templates", async () => {
        const statefulSet = (value: string) =>
            resource("kubernetes:apps/v1:StatefulSet", "db", {
                spec: { template: { spec: { containers: [{ name: "postgres", image: "x", env: [{ name: "POSTGRES_HOST_AUTH_METHOD", value }] }] } } },
            });
        expect(await messages(RULE, statefulSet("scram-sha-256"))).toEqual([]);
        expect(await messages(RULE, statefulSet("md5"))).toEqual([
            "container postgres sets POSTGRES_HOST_AUTH_METHOD=md5, which makes the postgres image accept md5 from every host; remove it or use scram-sha-256",
        ]);
    });

    it("refuses POSTGRES_HOST_AUTH_METHOD taken from a ConfigMap or Secret, whose value the gate cannot see", async () => {
        const job = resource("kubernetes:batch/v1:Job", "restore", {
            spec: {
                template: {
                    spec: {
                        containers: [
                            {
                                name: "postgres",
                                image: "x",
                                env: [{ name: "POSTGRES_HOST_AUTH_METHOD", valueFrom: { configMapKeyRef: { name: "auth", key: "method" } } }],
                            },
                        ],
                    },
                },
            },
        });
        expect(await messages(RULE, job)).toEqual([
            "container postgres takes POSTGRES_HOST_AUTH_METHOD from a ConfigMap or Secret, which the gate cannot check; remove it or set it inline to scram-sha-256",
        ]);
    });
});

describe("scram-only-auth on RDS", () => {
    const group = (parameters: { name: string; value: string }[], family = "postgres17") =>
        resource("aws:rds/parameterGroup:ParameterGroup", "prod-params", { family, parameters });

    it("passes a parameter group that accepts SCRAM only", async () => {
        const params = [
            { name: "password_encryption", value: "scram-sha-256" },
            { name: "rds.accepted_password_auth_method", value: "scram" },
        ];
        expect(await messages(RULE, group(params))).toEqual([]);
    });

    it("rejects a group that leaves md5 logins on, or hashes with md5", async () => {
        expect(await messages(RULE, group([]))).toEqual([
            "parameter rds.accepted_password_auth_method is not set (RDS default md5+scram), so md5 logins are accepted; set it to scram",
        ]);
        expect(
            await messages(
                RULE,
                group([
                    { name: "password_encryption", value: "md5" },
                    { name: "rds.accepted_password_auth_method", value: "md5+scram" },
                ]),
            ),
        ).toEqual([
            "parameter password_encryption is md5; it must be scram-sha-256",
            "parameter rds.accepted_password_auth_method is md5+scram, so md5 logins are accepted; set it to scram",
        ]);
    });

    it("leaves parameter groups of other engines alone", async () => {
        expect(await messages(RULE, group([], "mysql8.0"))).toEqual([]);
        // Aurora's auth settings live in its cluster parameter group, not in a DB parameter group.
        expect(await messages(RULE, group([], "aurora-postgresql16"))).toEqual([]);
    });

    it("checks every RDS for PostgreSQL family, not one major only", async () => {
        for (const family of ["postgres15", "postgres18"]) {
            expect(await messages(RULE, group([], family))).toEqual([
                "parameter rds.accepted_password_auth_method is not set (RDS default md5+scram), so md5 logins are accepted; set it to scram",
            ]);
        }
    });

    it("rejects an instance on the engine's default parameter group", async () => {
        const instance = (props: Record<string, unknown>) =>
            resource("aws:rds/instance:Instance", "prod-primary", { engine: "postgres", instanceClass: "db.r6g.large", ...props });
        expect(await messages(RULE, instance({ parameterGroupName: "prod-params" }))).toEqual([]);
        expect(await messages(RULE, instance({}))).toEqual([
            "no parameterGroupName: the engine's default parameter group accepts md5 logins; use a group with rds.accepted_password_auth_method = scram",
        ]);
    });

    it("requires POSTGRES_SCRAM_SHA_256 client auth on an RDS Proxy", async () => {
        const proxy = (clientPasswordAuthType?: string) =>
            resource("aws:rds/proxy:Proxy", "prod-proxy", {
                engineFamily: "POSTGRESQL",
                roleArn: "arn:aws:iam::123456789012:role/proxy",
                vpcSubnetIds: ["subnet-1"],
                auths: [{ authScheme: "SECRETS", secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app", clientPasswordAuthType }],
            });
        expect(await messages(RULE, proxy("POSTGRES_SCRAM_SHA_256"))).toEqual([]);
        expect(await messages(RULE, proxy("POSTGRES_MD5"))).toEqual(["auths[0] clientPasswordAuthType is POSTGRES_MD5; set it to POSTGRES_SCRAM_SHA_256"]);
        expect(await messages(RULE, proxy())).toEqual(["auths[0] clientPasswordAuthType is not set; set it to POSTGRES_SCRAM_SHA_256"]);
    });
});

describe("scram-only-auth on Cloud SQL", () => {
    const instance = (flags: { name: string; value: string }[]) =>
        resource("gcp:sql/databaseInstance:DatabaseInstance", "gcp-primary", {
            databaseVersion: "POSTGRES_17",
            settings: { tier: "db-custom-2-7680", databaseFlags: flags },
        });

    it("passes scram-sha-256 (or no) password_encryption flag and rejects md5", async () => {
        expect(await messages(RULE, instance([{ name: "password_encryption", value: "scram-sha-256" }]))).toEqual([]);
        expect(await messages(RULE, instance([]))).toEqual([]);
        expect(await messages(RULE, instance([{ name: "password_encryption", value: "md5" }]))).toEqual([
            "database flag password_encryption is md5; it must be scram-sha-256",
        ]);
    });
});
