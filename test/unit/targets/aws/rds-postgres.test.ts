import { describe, expect, it } from "vitest";
import { RDS_FAMILY_DEFAULTS } from "../../../../components/targets/aws/parameters";
import { named, ofType, isSecretOutput, type MockedResource } from "../../../../cli/offline/harness";
import { nonSecretInputs, orphans, runCommittedStack, runStack } from "../../managed/stack";

const T = {
    instance: "aws:rds/instance:Instance",
    params: "aws:rds/parameterGroup:ParameterGroup",
    proxy: "aws:rds/proxy:Proxy",
    proxyTarget: "aws:rds/proxyTarget:ProxyTarget",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    role: "postgresql:index/role:Role",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    provider: "pulumi:providers:postgresql",
} as const;

const AWS = {
    region: "eu-west-1",
    vpcId: "vpc-0a1b2c3d4e5f60718",
    subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
    allowedCidrs: ["10.0.0.0/16"],
};

/** A small non-production aws stack; `extra` overrides top-level keys. */
const devStack = (extra: Record<string, unknown> = {}) =>
    runStack({ target: "aws", topology: "primary", exporter: { enabled: false }, aws: AWS, ...extra }, "dev");

const parameters = (group: MockedResource) =>
    new Map((group.inputs.parameters as { name: string; value: string; applyMethod: string }[]).map((p) => [p.name, p]));

describe("RdsPostgres in the committed prod stack", async () => {
    const run = await runCommittedStack("prod");
    const primary = named(run.resources, T.instance, "pg-platform-prod-primary");
    const group = ofType(run.resources, T.params)[0];

    it("keeps the primary private, encrypted, Multi-AZ and protected", () => {
        expect(primary.inputs).toMatchObject({
            engine: "postgres",
            engineVersion: "17",
            publiclyAccessible: false,
            storageEncrypted: true,
            multiAz: true,
            deletionProtection: true,
            skipFinalSnapshot: false,
            backupRetentionPeriod: 30,
            deleteAutomatedBackups: false,
            iamDatabaseAuthenticationEnabled: true,
            performanceInsightsEnabled: true,
            performanceInsightsRetentionPeriod: 7,
            enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
            username: "platform_admin",
            dbName: "app",
        });
        expect(primary.inputs.parameterGroupName).toMatch(/^pg-platform-prod-postgres17-/);
        // A per-stack-life suffix, so re-creating the stack never collides with an old final snapshot.
        expect(primary.inputs.finalSnapshotIdentifier).toMatch(/^pg-platform-prod-primary-final-[0-9a-f]{8}$/);
        expect(named(run.resources, "random:index/randomId:RandomId", "pg-platform-prod-final-snapshot-id").inputs).toMatchObject({ byteLength: 4 });
    });

    it("carries SCRAM-only logins, logging and preloads in the parameter group, minus family defaults", () => {
        const params = parameters(group);
        expect(group.inputs.family).toBe("postgres17");
        expect(params.get("rds.accepted_password_auth_method")?.value).toBe("scram");
        expect(params.get("shared_preload_libraries")).toEqual({
            name: "shared_preload_libraries",
            value: "pg_stat_statements,auto_explain,pg_cron,pgaudit",
            applyMethod: "pending-reboot",
        });
        expect(params.get("log_min_duration_statement")?.value).toBe("250");
        expect(params.get("pgaudit.log")?.value).toBe("ddl,role");
        expect(params.get("cron.database_name")).toMatchObject({ value: "app", applyMethod: "pending-reboot" });
        expect(params.get("log_connections")?.value).toBe("1");
        expect(params.get("max_slot_wal_keep_size")?.value).toBe("10240");
        // Equal to the family default: writing them would diff on every preview.
        for (const name of ["rds.force_ssl", "password_encryption", "rds.logical_replication"]) {
            expect(RDS_FAMILY_DEFAULTS[name]).toBeDefined();
            expect(params.has(name)).toBe(false);
        }
    });

    it("builds two read replicas of the primary with its settings", () => {
        const replicas = ofType(run.resources, T.instance).filter((r) => r.inputs.replicateSourceDb !== undefined);
        expect(replicas.map((r) => r.name)).toEqual(["pg-platform-prod-replica-1", "pg-platform-prod-replica-2"]);
        for (const replica of replicas) {
            expect(replica.inputs).toMatchObject({
                replicateSourceDb: "pg-platform-prod-primary",
                publiclyAccessible: false,
                storageEncrypted: true,
                deletionProtection: true,
                parameterGroupName: primary.inputs.parameterGroupName,
                vpcSecurityGroupIds: primary.inputs.vpcSecurityGroupIds,
            });
            expect(replica.inputs.manageMasterUserPassword).toBeUndefined();
        }
    });

    it("sets a master password of its own, never RDS-managed, so RDS can create the replicas from the primary", () => {
        const replicas = ofType(run.resources, T.instance).filter((r) => r.inputs.replicateSourceDb !== undefined);
        expect(replicas).toHaveLength(2);
        for (const replica of replicas) {
            // The mocked identifier is the logical name, as the autonamer starts it.
            const source = named(run.resources, T.instance, String(replica.inputs.replicateSourceDb));
            // RDS refuses a read replica of a source whose master password it manages (every engine but SQL Server).
            expect(source.inputs.manageMasterUserPassword).not.toBe(true);
            expect(source.secretInputs).toContain("password");
        }
        const password = named(run.resources, "random:index/randomPassword:RandomPassword", "pg-platform-prod-master-password");
        expect(password.inputs).toMatchObject({ length: 32, overrideSpecial: "-_.~", keepers: { version: "1" } });
        expect(primary.inputs.password).toMatch(/^pw-[0-9a-f]{24}$/);
    });

    it("keeps the master login in a Secrets Manager secret of its own, as a secret input only", () => {
        const secret = named(run.resources, "aws:secretsmanager/secret:Secret", "pg-platform-prod-master-secret");
        expect(secret.inputs).toMatchObject({ namePrefix: "pg-platform-prod/platform_admin-" });
        const version = named(run.resources, T.secretVersion, "pg-platform-prod-master-secret");
        expect(version.secretInputs).toContain("secretString");
        expect(JSON.parse(String(version.inputs.secretString))).toEqual({
            engine: "postgres",
            host: "pg-platform-prod-primary.abc123.eu-west-1.rds.amazonaws.com",
            port: 5432,
            username: "platform_admin",
            password: primary.inputs.password,
            dbname: "app",
            dbInstanceIdentifier: "pg-platform-prod-primary",
        });
        expect(nonSecretInputs(run.resources)).not.toContain(String(primary.inputs.password));
    });

    it("pools through RDS Proxy with TLS and SCRAM, authenticated by the master secret", () => {
        const proxy = ofType(run.resources, T.proxy)[0];
        expect(proxy.inputs).toMatchObject({ engineFamily: "POSTGRESQL", requireTls: true });
        expect(proxy.inputs.auths).toEqual([
            {
                authScheme: "SECRETS",
                clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
                iamAuth: "DISABLED",
                secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pg-platform-prod-master-secret",
            },
        ]);
        expect(ofType(run.resources, T.proxyTarget)[0].inputs.dbInstanceIdentifier).toBe("pg-platform-prod-primary");
    });

    it("admits only the listed CIDR and the proxy on 5432", () => {
        const rules = ofType(run.resources, T.ingress).map((r) => r.inputs);
        expect(rules).toHaveLength(2);
        expect(rules.every((r) => r.fromPort === 5432 && r.toPort === 5432 && r.ipProtocol === "tcp")).toBe(true);
        expect(rules.map((r) => r.cidrIpv4 ?? "self")).toEqual(["10.0.0.0/16", "self"]);
    });

    it("returns the common outputs, secret, saying what RDS lacks", async () => {
        const outputs = run.outputs as Record<string, unknown>;
        expect(outputs.primaryUrl).toBe("postgresql://platform_admin@pg-platform-prod-primary.abc123.eu-west-1.rds.amazonaws.com:5432/app?sslmode=require");
        expect(outputs.transactionPoolUrl).toMatch(/^postgresql:\/\/platform_admin@pg-platform-prod-proxy\.proxy-/);
        expect(outputs.readOnlyUrl).toMatch(/@pg-platform-prod-replica-1\./);
        expect(outputs.sessionPoolUrl).toBeUndefined();
        expect(outputs.metricsUrl).toBeUndefined();
        expect(run.raw.unavailable.sessionPoolUrl).toMatch(/primaryUrl/);
        expect(run.raw.unavailable.metricsUrl).toMatch(/CloudWatch/);
        // The backups are RDS's own: where, how long, and the aws CLI commands that list and restore them.
        const id = "pg-platform-prod-primary";
        expect(outputs.backup).toEqual({
            repository: `RDS automated backups of ${id}`,
            retentionDays: 30,
            listCommand: `aws rds describe-db-instance-automated-backups --region eu-west-1 --db-instance-identifier ${id}`,
            restoreCommand: `aws rds restore-db-instance-to-point-in-time --region eu-west-1 --source-db-instance-identifier ${id} --target-db-instance-identifier ${id}-restored --restore-time <time>`,
        });
        // Where the master password lives (the stack's own Secrets Manager secret), never the password itself.
        expect(outputs.secretReferences).toEqual({ masterPassword: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pg-platform-prod-master-secret" });
        for (const url of [run.raw.primaryUrl, run.raw.transactionPoolUrl, run.raw.readOnlyUrl]) expect(await isSecretOutput(url!)).toBe(true);
    });

    it("registers unique URNs, every resource under a component", () => {
        expect(run.duplicateUrns).toEqual([]);
        expect(orphans(run.resources)).toEqual([]);
    });
});

describe("RdsPostgres outside production", async () => {
    const run = await devStack();
    const primary = named(run.resources, T.instance, "pg-platform-dev-primary");

    it("drops the production safeguards but stays private and encrypted", () => {
        expect(primary.inputs).toMatchObject({
            deletionProtection: false,
            skipFinalSnapshot: true,
            backupRetentionPeriod: 7,
            publiclyAccessible: false,
            storageEncrypted: true,
        });
        expect(primary.inputs.finalSnapshotIdentifier).toBeUndefined();
    });

    it("has no read-only URL without replicas, and says so", () => {
        expect(run.raw.readOnlyUrl).toBeUndefined();
        expect(run.raw.unavailable.readOnlyUrl).toMatch(/replicas/);
    });

    it("has no proxy in the single topology", async () => {
        const single = await runStack({ target: "aws", aws: AWS }, "single");
        expect(ofType(single.resources, T.proxy)).toEqual([]);
        expect(single.raw.unavailable.transactionPoolUrl).toMatch(/topology primary/);
    });
});

describe("RdsPostgres rotating the master password", async () => {
    const rotated = await devStack({ aws: { ...AWS, masterPasswordVersion: 2 } });

    it("makes a new random password when aws.masterPasswordVersion is raised, under the same URN", () => {
        const password = named(rotated.resources, "random:index/randomPassword:RandomPassword", "pg-platform-dev-master-password");
        expect(password.inputs.keepers).toEqual({ version: "2" });
    });
});

describe("RdsPostgres across a major upgrade", async () => {
    // One at a time: the mocks are process-wide.
    const v17 = await devStack({ postgres: { version: 17 } });
    const v18 = await devStack({ postgres: { version: 18 } });
    const groupOf = (run: typeof v17) => ofType(run.resources, T.params)[0];

    it("moves to a new group of the new family, never editing the old one in place", () => {
        const [old, next] = [groupOf(v17), groupOf(v18)];
        expect([old.inputs.family, next.inputs.family]).toEqual(["postgres17", "postgres18"]);
        // Same logical resource, a changed family: replaced, and with only a name prefix the
        // replacement gets a fresh name, so it is created before the old group is deleted.
        expect(old.urn).toBe(next.urn);
        expect(old.inputs.name).toBeUndefined();
        expect(next.inputs.namePrefix).toBe("pg-platform-dev-postgres18-");
        expect(named(v18.resources, T.instance, "pg-platform-dev-primary").inputs).toMatchObject({
            engineVersion: "18",
            allowMajorVersionUpgrade: true,
            applyImmediately: true,
        });
    });

    it("leaves out what PostgreSQL 18 already defaults to", () => {
        expect(parameters(groupOf(v17)).get("log_lock_waits")?.value).toBe("1");
        expect(parameters(groupOf(v18)).has("log_lock_waits")).toBe(false);
    });
});

describe("RdsPostgres with CDC", async () => {
    const run = await devStack({ postgres: { cdc: { enabled: true } } });
    it("turns on logical replication at the next reboot and bounds the slots' WAL", () => {
        const params = parameters(ofType(run.resources, T.params)[0]);
        expect(params.get("rds.logical_replication")).toEqual({ name: "rds.logical_replication", value: "1", applyMethod: "pending-reboot" });
        expect(params.get("max_slot_wal_keep_size")?.value).toBe("10240");
    });
});

describe("RdsPostgres managing databases and roles", async () => {
    const run = await devStack({
        replicas: 1,
        postgres: { databases: [{ name: "app" }, { name: "reports" }], roles: [{ name: "analyst", database: "reports", access: "readonly" }] },
        aws: { ...AWS, manageDatabases: true },
    });

    it("creates least-privilege login roles with secret random passwords", () => {
        const roles = ofType(run.resources, T.role);
        expect(roles.map((r) => r.inputs.name)).toEqual([
            "app_migrate",
            "app_app",
            "app_readonly",
            "reports_migrate",
            "reports_app",
            "reports_readonly",
            "analyst",
        ]);
        for (const role of roles) {
            expect(role.inputs).toMatchObject({ login: true, superuser: false, createRole: false, createDatabase: false });
            expect(role.secretInputs).toContain("password");
        }
        expect(roles.find((r) => r.inputs.name === "analyst")?.inputs.roles).toEqual(["reports_readonly"]);
    });

    it("creates only the databases RDS did not, and connects as the master over TLS", () => {
        expect(ofType(run.resources, "postgresql:index/database:Database").map((d) => d.inputs.name)).toEqual(["reports"]);
        const provider = ofType(run.resources, T.provider)[0];
        // Provider configuration travels as strings.
        expect(provider.inputs).toMatchObject({ username: "platform_admin", sslmode: "require", superuser: "false" });
        expect(provider.secretInputs).toContain("password");
    });

    it("lets RDS Proxy authenticate every role through its own secret", () => {
        const proxy = ofType(run.resources, T.proxy)[0];
        expect((proxy.inputs.auths as unknown[]).length).toBe(1 + 7);
        for (const version of ofType(run.resources, T.secretVersion)) expect(version.secretInputs).toContain("secretString");
    });

    it("hands out least-privilege URLs and never shows a password outside a secret", async () => {
        const outputs = run.outputs as Record<string, string>;
        expect(outputs.primaryUrl).toMatch(/^postgresql:\/\/app_app:[^@]+@pg-platform-dev-primary\./);
        expect(outputs.readOnlyUrl).toMatch(/^postgresql:\/\/app_readonly:[^@]+@pg-platform-dev-replica-1\./);
        // The mocked passwords all look like pw-<24 hex>: the master's and one per role.
        expect(ofType(run.resources, "random:index/randomPassword:RandomPassword")).toHaveLength(1 + 7);
        expect(nonSecretInputs(run.resources)).not.toMatch(/pw-[0-9a-f]{24}/);
        expect(await isSecretOutput(run.raw.primaryUrl)).toBe(true);
        expect(run.duplicateUrns).toEqual([]);
        expect(orphans(run.resources)).toEqual([]);
    });
});
