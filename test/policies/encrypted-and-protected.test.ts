import { describe, expect, it } from "vitest";
import { messages, resource } from "./gate";

const RULE = "encrypted-and-protected";

describe("encrypted-and-protected on RDS", () => {
    const instance = (props: Record<string, unknown>) =>
        resource("aws:rds/instance:Instance", "prod-primary", {
            engine: "postgres",
            instanceClass: "db.r6g.large",
            storageEncrypted: true,
            deletionProtection: true,
            backupRetentionPeriod: 30,
            multiAz: true,
            ...props,
        });

    it("passes an encrypted, protected, Multi-AZ primary with 30 days of backups", async () => {
        expect(await messages(RULE, instance({}))).toEqual([]);
    });

    it("names every missing safeguard", async () => {
        const bare = instance({ storageEncrypted: undefined, deletionProtection: false, backupRetentionPeriod: 1, multiAz: false });
        expect(await messages(RULE, bare)).toEqual([
            "storageEncrypted is not true; encrypt the storage (it cannot be turned on later without a snapshot restore)",
            "deletionProtection is not true; turn it on",
            "backupRetentionPeriod is 1; keep at least 7 days of backups",
            "multiAz is not true; run a standby in a second availability zone",
        ]);
    });

    it("reads the minimum retention from the policy config, 7 by default", async () => {
        const week = instance({ backupRetentionPeriod: 7 });
        expect(await messages(RULE, week)).toEqual([]);
        expect(await messages(RULE, week, { [RULE]: { minimumBackupRetentionDays: 14 } })).toEqual([
            "backupRetentionPeriod is 7; keep at least 14 days of backups",
        ]);
        expect(await messages(RULE, instance({ backupRetentionPeriod: undefined }))).toEqual([
            "backupRetentionPeriod is not set; keep at least 7 days of backups",
        ]);
    });

    it("leaves read replicas alone (they inherit encryption and backups from the primary)", async () => {
        expect(
            await messages(RULE, resource("aws:rds/instance:Instance", "prod-replica-1", { instanceClass: "db.r6g.large", replicateSourceDb: "prod-primary" })),
        ).toEqual([]);
    });
});

describe("encrypted-and-protected on Cloud SQL", () => {
    const settings = {
        tier: "db-custom-2-7680",
        availabilityType: "REGIONAL",
        deletionProtectionEnabled: true,
        backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true, backupRetentionSettings: { retainedBackups: 30, retentionUnit: "COUNT" } },
    };
    const instance = (overrides: Record<string, unknown>, top: Record<string, unknown> = {}) =>
        resource("gcp:sql/databaseInstance:DatabaseInstance", "gcp-primary", {
            databaseVersion: "POSTGRES_17",
            settings: { ...settings, ...overrides },
            ...top,
        });

    it("passes a regional, protected primary with PITR and 30 retained backups", async () => {
        expect(await messages(RULE, instance({}))).toEqual([]);
    });

    it("counts Cloud SQL's default of 7 retained backups", async () => {
        expect(await messages(RULE, instance({ backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true } }))).toEqual([]);
    });

    it("names every missing safeguard", async () => {
        const bare = instance({
            availabilityType: undefined,
            deletionProtectionEnabled: undefined,
            backupConfiguration: { enabled: true, backupRetentionSettings: { retainedBackups: 3 } },
        });
        expect(await messages(RULE, bare)).toEqual([
            "deletion protection is off; set settings.deletionProtectionEnabled: true and leave deletionProtection on",
            "backups with point-in-time recovery are off; set settings.backupConfiguration.enabled and pointInTimeRecoveryEnabled to true",
            "only 3 automated backups are retained; keep at least 7",
            "availabilityType is ZONAL (the default); set it to REGIONAL",
        ]);
        expect(await messages(RULE, instance({}, { deletionProtection: false }))).toEqual([
            "deletion protection is off; set settings.deletionProtectionEnabled: true and leave deletionProtection on",
        ]);
    });

    it("leaves read replicas alone (Cloud SQL refuses backups on them)", async () => {
        expect(await messages(RULE, instance({ backupConfiguration: undefined, availabilityType: "ZONAL" }, { masterInstanceName: "gcp-primary" }))).toEqual(
            [],
        );
    });
});
