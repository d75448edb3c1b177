import { describe, expect, it } from "vitest";
import { ConfigError, parseSpec } from "../../../components/config";
import { retentionFullDays } from "../../../components/config/backup";

function problems(raw: Record<string, unknown>): readonly string[] {
    try {
        parseSpec(raw);
        return [];
    } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
    }
}

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
