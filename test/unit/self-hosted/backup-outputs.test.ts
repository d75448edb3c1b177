import { describe, expect, it } from "vitest";
import { parseSpec } from "../../../components/config";
import { backupOutput } from "../../../components/self-hosted/backup-outputs";
import { dockerBackupAccess } from "../../../components/targets/docker/backup-scheduler";

// The `backup` output of the self-hosted targets (issue 13). The Docker commands run for real in
// the dev-stack e2e (list, and the restore to a time T); here: what they are made of.

const PGBACKREST = "pgbackrest --config=/etc/postgresql/pgbackrest.conf --config-path=/run/pg-platform/pgbackrest --stanza=pg-platform";

describe("the backup output on Docker", () => {
    it("names the repository volume, lists through the scheduler as postgres, and restores with the writer stopped", () => {
        const spec = parseSpec({ topology: "primary", production: false, backup: { retention: { fullDays: 14 } } });
        expect(backupOutput(spec, dockerBackupAccess(spec, "dev"))).toEqual({
            repository: "dev-pg-primary-wal-archive",
            retentionDays: 14,
            listCommand: `docker exec --user postgres dev-pg-backup-scheduler ${PGBACKREST} info`,
            restoreCommand:
                `docker stop dev-pg-primary && docker exec --user postgres dev-pg-backup-scheduler ${PGBACKREST} ` +
                `--delta --type=time "--target=<time>" --target-action=promote restore && docker start dev-pg-primary`,
        });
    });

    it("names an S3 repository by bucket and path, and a single node's container and network by the settings", () => {
        const spec = parseSpec({
            docker: { networkName: "shop" },
            backup: { repository: { type: "s3", bucket: "acme-pg-backups", endpoint: "s3.eu-west-1.amazonaws.com", region: "eu-west-1", path: "/shop" } },
        });
        const output = backupOutput(spec, dockerBackupAccess(spec, "dev"));
        expect(output.repository).toBe("s3://acme-pg-backups/shop");
        expect(output.restoreCommand).toMatch(/^docker stop shop-single && docker exec --user postgres shop-backup-scheduler /);
    });
});
