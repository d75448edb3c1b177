import { describe, expect, it } from "vitest";
import { cloudSqlPlan } from "../../../../components/targets/gcp/plan";
import { parseSpec, refusals } from "../../../../components/config";
import { named, ofType, isSecretOutput } from "../../../../cli/offline/harness";
import { nonSecretInputs, orphans, runCommittedStack, runStack } from "../../managed/stack";

const INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";
const GCP = { region: "europe-west1", network: "projects/acme-dev-db/global/networks/main" };

type Settings = {
    tier: string;
    edition: string;
    availabilityType: string;
    deletionProtectionEnabled: boolean;
    databaseFlags: { name: string; value: string }[];
    ipConfiguration: Record<string, unknown>;
    backupConfiguration: Record<string, unknown>;
    insightsConfig: Record<string, unknown>;
    passwordValidationPolicy: Record<string, unknown>;
};
const settingsOf = (inputs: Record<string, unknown>) => inputs.settings as Settings;
const flagsOf = (inputs: Record<string, unknown>) => Object.fromEntries(settingsOf(inputs).databaseFlags.map((f) => [f.name, f.value]));

describe("CloudSqlPostgres in the committed gcp-prod stack", async () => {
    const run = await runCommittedStack("gcp-prod");
    const primary = named(run.resources, INSTANCE, "pg-platform-gcp-prod-primary");
    const settings = settingsOf(primary.inputs);

    it("has a private IP only, accepts only TLS, and is regional and protected", () => {
        expect(primary.inputs).toMatchObject({ databaseVersion: "POSTGRES_17", deletionProtection: true, region: "europe-west1" });
        expect(settings.ipConfiguration).toMatchObject({
            ipv4Enabled: false,
            privateNetwork: "projects/acme-prod-db/global/networks/main",
            allocatedIpRange: "cloudsql-private",
            sslMode: "ENCRYPTED_ONLY",
            authorizedNetworks: [],
        });
        expect(settings).toMatchObject({ tier: "db-custom-4-16384", edition: "ENTERPRISE", availabilityType: "REGIONAL", deletionProtectionEnabled: true });
    });

    it("keeps 30 daily backups with point-in-time recovery", () => {
        expect(settings.backupConfiguration).toEqual({
            enabled: true,
            pointInTimeRecoveryEnabled: true,
            transactionLogRetentionDays: 7,
            backupRetentionSettings: { retainedBackups: 30, retentionUnit: "COUNT" },
        });
    });

    it("carries the platform's settings as Cloud SQL flags", () => {
        expect(flagsOf(primary.inputs)).toEqual({
            password_encryption: "scram-sha-256",
            "cloudsql.enable_pg_cron": "on",
            "cloudsql.enable_pgaudit": "on",
            "cloudsql.enable_auto_explain": "on",
            "cron.database_name": "app",
            "pgaudit.log": "ddl,role",
            "pgaudit.log_catalog": "off",
            "pgaudit.log_parameter": "off",
            log_min_duration_statement: "250",
            log_connections: "on",
            log_disconnections: "on",
            log_lock_waits: "on",
            log_temp_files: "0",
            log_autovacuum_min_duration: "1000",
            "pg_stat_statements.max": "10000",
            "pg_stat_statements.track": "top",
            "auto_explain.log_min_duration": "1000",
            "auto_explain.log_analyze": "off",
            "auto_explain.log_format": "text",
        });
        expect(Object.keys(flagsOf(primary.inputs))).not.toContain("shared_preload_libraries");
    });

    it("enforces Query Insights and a password policy", () => {
        expect(settings.insightsConfig).toMatchObject({ queryInsightsEnabled: true });
        expect(settings.passwordValidationPolicy).toEqual({
            enablePasswordPolicy: true,
            minLength: 16,
            complexity: "COMPLEXITY_DEFAULT",
            disallowUsernameSubstring: true,
        });
    });

    it("replicates to a zonal, private read replica with the same flags", () => {
        const replica = named(run.resources, INSTANCE, "pg-platform-gcp-prod-replica-1");
        expect(replica.inputs).toMatchObject({ masterInstanceName: "pg-platform-gcp-prod-primary", instanceType: "READ_REPLICA_INSTANCE" });
        // replicaConfiguration.failoverTarget is MySQL's; the provider marks it unsupported for PostgreSQL.
        expect(replica.inputs.replicaConfiguration).toBeUndefined();
        expect(settingsOf(replica.inputs)).toMatchObject({ availabilityType: "ZONAL", ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" } });
        expect(settingsOf(replica.inputs).databaseFlags).toEqual(settings.databaseFlags);
    });

    it("creates the databases and an admin user whose password is a secret", async () => {
        expect(ofType(run.resources, "gcp:sql/database:Database").map((d) => d.inputs.name)).toEqual(["app"]);
        const admin = ofType(run.resources, "gcp:sql/user:User")[0];
        expect(admin.inputs.name).toBe("platform_admin");
        expect(admin.secretInputs).toContain("password");
        expect(nonSecretInputs(run.resources)).not.toMatch(/pw-[0-9a-f]{24}/);
        expect(await isSecretOutput(run.raw.primaryUrl)).toBe(true);
        expect(await isSecretOutput(run.raw.secretReferences.adminPassword)).toBe(true);
    });

    it("returns the common outputs and says what Cloud SQL lacks", () => {
        const outputs = run.outputs as Record<string, unknown>;
        expect(outputs.primaryUrl).toMatch(/^postgresql:\/\/platform_admin:[^@]+@10\.20\.0\.5:5432\/app\?sslmode=require$/);
        expect(outputs.readOnlyUrl).toMatch(/@10\.20\.0\.5:5432\/app/);
        expect(run.raw.transactionPoolUrl).toBeUndefined();
        expect(run.raw.sessionPoolUrl).toBeUndefined();
        expect(run.raw.metricsUrl).toBeUndefined();
        expect(Object.keys(run.raw.unavailable).sort()).toEqual(["metricsUrl", "sessionPoolUrl", "transactionPoolUrl"]);
        expect(run.raw.unavailable.metricsUrl).toMatch(/Cloud Monitoring/);
        // The backups are Cloud SQL's own: where, how many daily ones, and the gcloud commands that list and restore them.
        expect(outputs.backup).toEqual({
            repository: "Cloud SQL backups of project:pg-platform-gcp-prod-primary",
            retentionDays: 30,
            listCommand: "gcloud sql backups list --project=project --instance=pg-platform-gcp-prod-primary",
            restoreCommand:
                "gcloud sql instances clone pg-platform-gcp-prod-primary pg-platform-gcp-prod-primary-restored --project=project --point-in-time=<time>",
        });
    });

    it("registers unique URNs, every resource under a component", () => {
        expect(run.duplicateUrns).toEqual([]);
        expect(orphans(run.resources)).toEqual([]);
    });
});

describe("CloudSqlPostgres outside production", async () => {
    const run = await runStack(
        { target: "gcp", postgres: { version: 18, cdc: { enabled: true } }, gcp: { ...GCP, tier: "db-perf-optimized-N-2", manageDatabases: true } },
        "dev",
    );
    const primary = named(run.resources, INSTANCE, "pg-platform-dev-primary");

    it("is zonal and unprotected, still private and TLS-only", () => {
        expect(primary.inputs).toMatchObject({ databaseVersion: "POSTGRES_18", deletionProtection: false });
        expect(settingsOf(primary.inputs)).toMatchObject({
            edition: "ENTERPRISE_PLUS",
            availabilityType: "ZONAL",
            deletionProtectionEnabled: false,
            ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" },
            backupConfiguration: { transactionLogRetentionDays: 7, backupRetentionSettings: { retainedBackups: 7, retentionUnit: "COUNT" } },
        });
    });

    it("turns on logical decoding with a bounded slot WAL for CDC", () => {
        expect(flagsOf(primary.inputs)).toMatchObject({ "cloudsql.logical_decoding": "on", max_slot_wal_keep_size: "10240" });
    });

    it("creates least-privilege roles in SQL, not as cloudsqlsuperuser API users", () => {
        expect(ofType(run.resources, "gcp:sql/user:User").map((u) => u.inputs.name)).toEqual(["platform_admin"]);
        const roles = ofType(run.resources, "postgresql:index/role:Role");
        expect(roles.map((r) => r.inputs.name)).toEqual(["app_migrate", "app_app", "app_readonly"]);
        for (const role of roles) expect(role.secretInputs).toContain("password");
        expect(ofType(run.resources, "postgresql:index/database:Database")).toEqual([]);
        expect((run.outputs as Record<string, string>).primaryUrl).toMatch(/^postgresql:\/\/app_app:/);
        expect(nonSecretInputs(run.resources)).not.toMatch(/pw-[0-9a-f]{24}/);
        expect(orphans(run.resources)).toEqual([]);
    });
});

/** The problems a raw gcp config is refused with. */
const problems = (raw: Record<string, unknown>) => refusals(() => cloudSqlPlan(parseSpec({ target: "gcp", ...raw })));

describe("cloudSqlPlan: bad input", () => {
    it("accepts a minimal stack", () => {
        expect(problems({ gcp: GCP })).toEqual([]);
    });

    it("refuses an engine version Cloud SQL does not run, listing the supported ones", () => {
        expect(problems({ gcp: GCP, postgres: { version: 13 } })).toEqual([
            expect.stringMatching(/^pg-platform:postgres\.version: must be one of 15, 16, 17, 18/),
        ]);
    });

    it.each([
        ["db-n1-standard-2", /must be a Cloud SQL tier: "db-custom-<vCPUs>-<memory MB>"/],
        ["db.r6g.large", /must be a Cloud SQL tier/],
        ["db-custom-3-7680", /has 3 vCPUs: a custom tier has 1 or an even number up to 96/],
        ["db-custom-2-7000", /has 7000 MB: custom tier memory is a multiple of 256 MB/],
        ["db-custom-2-16384", /has 16384 MB for 2 vCPUs: allowed 3840\.\.13312 MB/],
        ["db-perf-optimized-N-6", /has 6 vCPUs: performance-optimized tiers have 2, 4, 8/],
    ])("refuses the tier %s", (tier, message) => {
        expect(problems({ gcp: { ...GCP, tier } })).toEqual([expect.stringMatching(new RegExp(`^pg-platform:gcp\\.tier: ${message.source}`))]);
    });

    it("names each missing network setting", () => {
        expect(problems({ gcp: {} })).toEqual([
            expect.stringMatching(/^pg-platform:gcp\.region: is required/),
            expect.stringMatching(/^pg-platform:gcp\.network: is required: the VPC network/),
        ]);
        expect(problems({ gcp: { ...GCP, network: "main" } })).toEqual([expect.stringMatching(/^pg-platform:gcp\.network: must be a VPC network id such as/)]);
        expect(problems({ gcp: { ...GCP, authorizedNetworks: ["10.0.0.0/8"] } })).toEqual([
            expect.stringMatching(/^pg-platform:gcp\.authorizedNetworks: only applies to a public IP/),
        ]);
        expect(problems({ gcp: { ...GCP, publicIp: true, authorizedNetworks: ["0.0.0.0/1", "128.0.0.0/1"] } })).toEqual([
            expect.stringMatching(/^pg-platform:gcp\.authorizedNetworks: together admit every public IPv4 address/),
        ]);
    });

    it("makes a primary stack turn off the pooler and exporter Cloud SQL cannot run", () => {
        expect(problems({ gcp: GCP, topology: "primary" })).toEqual([
            expect.stringMatching(/^pg-platform:pooler\.enabled: the gcp target has no transaction pool/),
            expect.stringMatching(/^pg-platform:exporter\.enabled: the gcp target runs no postgres_exporter/),
        ]);
    });
});
