import { describe, expect, it } from "vitest";
import { parseSpec, refusals } from "../../../components/config";
import { backupSecretProblems, neededBackupSecrets, repositoryEncrypted, retentionFullDays } from "../../../components/config/backup";

/** The problems parseSpec reports for a config, or [] when it is accepted. */
const problems = (raw: Record<string, unknown>) => refusals(() => parseSpec(raw));

describe("backup config", () => {
    it("defaults: on, a volume repository, 60 s archive timeout, daily full and hourly differential, 7 days", () => {
        const spec = parseSpec({});
        expect(spec.backup).toEqual({
            enabled: true,
            repository: { type: "volume" },
            archiveTimeoutSeconds: 60,
            retention: {},
            schedule: { full: "0 3 * * *", differential: "0 * * * *" },
            verify: { enabled: true, schedule: "0 5 * * 0", sampleTables: 3 },
        });
        expect(retentionFullDays(spec)).toBe(7);
    });

    it("keeps 30 days of full backups in production unless told otherwise", () => {
        expect(retentionFullDays(parseSpec({ production: true }))).toBe(30);
        expect(retentionFullDays(parseSpec({ production: true, backup: { retention: { fullDays: 14 } } }))).toBe(14);
    });

    it("accepts an S3 repository with its defaults", () => {
        const spec = parseSpec({ backup: { repository: { type: "s3", bucket: "pg-backups", endpoint: "s3.eu-west-1.amazonaws.com", region: "eu-west-1" } } });
        expect(spec.backup.repository).toEqual({
            type: "s3",
            bucket: "pg-backups",
            endpoint: "s3.eu-west-1.amazonaws.com",
            region: "eu-west-1",
            path: "/pgbackrest",
            pathStyle: false,
            verifyTls: true,
        });
    });

    it.each([
        [{ archiveTimeoutSeconds: 5 }, "backup.archiveTimeoutSeconds"],
        [{ retention: { fullDays: 0 } }, "backup.retention.fullDays"],
        [{ schedule: { full: "daily" } }, "backup.schedule.full"],
        [{ schedule: { differential: "0 * * *" } }, "backup.schedule.differential"],
        [{ repository: { type: "s3", bucket: "Bad_Bucket", endpoint: "s3.example.com", region: "x" } }, "backup.repository.bucket"],
        [{ repository: { type: "s3", bucket: "ok-bucket", endpoint: "https://s3.example.com", region: "x" } }, "backup.repository.endpoint"],
        [{ repository: { type: "nfs" } }, "backup.repository"],
        [{ unknown: 1 }, "backup"],
    ])("refuses %j naming %s", (backup, key) => {
        const found = problems({ backup });
        expect(found.length).toBeGreaterThan(0);
        expect(found.join("\n")).toContain(key);
    });
});

describe("backup encryption, restore and secret keys", () => {
    const S3 = { type: "s3", bucket: "pg-backups", endpoint: "s3.eu-west-1.amazonaws.com", region: "eu-west-1" };

    it("encrypts the repository in production by default, not in dev, and as told", () => {
        expect(repositoryEncrypted(parseSpec({ production: true }))).toBe(true);
        expect(repositoryEncrypted(parseSpec({}))).toBe(false);
        expect(repositoryEncrypted(parseSpec({ backup: { encrypted: true } }))).toBe(true);
        expect(repositoryEncrypted(parseSpec({ production: true, backup: { encrypted: false } }))).toBe(false);
        expect(repositoryEncrypted(parseSpec({ production: true, backup: { enabled: false } }))).toBe(false);
    });

    it.each([[{ time: "2026-11-29T22:40:00Z" }], [{ time: "2026-11-29 23:40:00.123+01:00" }], [{ restorePoint: "before-migration-42" }], [{ latest: true }]])(
        "accepts the restore target %j, from this stack's repository by default",
        (target) => {
            expect(parseSpec({ backup: { restore: { target } } }).backup.restore).toEqual({ from: "self", fromEncrypted: false, target });
        },
    );

    it.each([
        [{ restore: { target: { time: "2026-11-29 22:40" } } }, "backup.restore.target", "ISO 8601"],
        [{ restore: { target: { time: "2026-11-29T22:40:00" } } }, "backup.restore.target", "zone"],
        [{ restore: { target: { time: "2026-11-29T22:40:00.123456Z" } } }, "backup.restore.target", "ISO 8601"],
        [{ restore: { target: { time: "2026-02-30T22:40:00Z" } } }, "backup.restore.target", ""],
        [{ restore: { target: { restorePoint: "a b; rm -rf /" } } }, "backup.restore.target", ""],
        [{ restore: { target: { latest: false } } }, "backup.restore.target", ""],
        [{ restore: {} }, "backup.restore.target", ""],
        [{ enabled: false, restore: { target: { latest: true } } }, "backup.restore", "backup.enabled"],
        [{ restore: { fromEncrypted: true, target: { latest: true } } }, "backup.restore.fromEncrypted", "another stack"],
        [{ restore: { from: "elsewhere", target: { latest: true } } }, "backup.restore.from", "self"],
    ])("refuses %j naming %s", (backup, key, words) => {
        const found = problems({ backup }).join("\n");
        expect(found).toContain(key);
        expect(found).toContain(words);
    });

    it("refuses a restore on the managed targets, which restore through their provider", () => {
        expect(problems({ target: "aws", aws: {}, backup: { restore: { target: { latest: true } } } }).join("\n")).toContain(
            "backup.restore: means nothing on the aws target",
        );
    });

    it("asks for the S3 keys as config secrets, never printing a value", () => {
        const spec = parseSpec({ backup: { repository: S3 } });
        expect(neededBackupSecrets(spec)).toEqual(["s3AccessKeyId", "s3SecretAccessKey"]);
        const check = (values: Record<string, string>, secret: boolean) =>
            backupSecretProblems(
                spec,
                (key) => values[key],
                () => secret,
                "pg-platform:",
            );
        expect(check({}, true).join("\n")).toContain("pg-platform:backupS3AccessKeyId: required");
        expect(check({ backupS3AccessKeyId: "AKIA1", backupS3SecretAccessKey: "s3cr3t" }, false).join("\n")).toContain("must be a secret");
        const multiLine = check({ backupS3AccessKeyId: "AKIA1\nrepo1-path=/x", backupS3SecretAccessKey: "s3cr3t" }, true).join("\n");
        expect(multiLine).toContain("one line");
        expect(multiLine).not.toContain("AKIA1");
        expect(check({ backupS3AccessKeyId: "AKIA1", backupS3SecretAccessKey: "s3cr3t" }, true)).toEqual([]);
        expect(
            backupSecretProblems(
                parseSpec({}),
                (key) => (key === "backupS3AccessKeyId" ? "x" : undefined),
                () => true,
                "p:",
            ),
        ).toEqual(["p:backupS3AccessKeyId: set but the backup configuration does not use it; remove it"]);
    });

    it("a restore from another stack's encrypted S3 repository needs its keys and its cipher pass", () => {
        const spec = parseSpec({ backup: { restore: { from: S3, fromEncrypted: true, target: { latest: true } } } });
        expect(neededBackupSecrets(spec)).toEqual(["s3AccessKeyId", "s3SecretAccessKey", "restoreCipherPass"]);
    });
});
