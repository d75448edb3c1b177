// The `backup` output of a self-hosted stack (issue 13): where the pgBackRest repository is and
// the commands an operator runs on it, through the writer's backup scheduler (which has the
// repository, the configuration and its secret file, and switches to postgres). Pure: no Pulumi.
import { retentionFullDays } from "../config/backup";
import type { PlatformSpec } from "../config";
import type { BackupOutput } from "../targets/outputs";
import { CONTAINER_LAYOUT } from "../render/layout";
import { pgbackrestCommand } from "../render/pgbackrest";

/** How an operator reaches a writer's backups on one target. */
export interface BackupAccess {
    /** The repository's volume on this target (a Docker volume, a Kubernetes claim), for a `volume` repository. */
    readonly volume: string;
    /** The command prefix that runs what follows as postgres in the backup scheduler. */
    readonly asPostgres: string;
    /**
     * The whole restore, given the scheduler's pgBackRest restore command line; or why no one
     * command restores on this target.
     */
    readonly restore: { readonly around: (restore: string) => string } | { readonly unavailable: string };
}

/** pgBackRest's restore to `<time>`, then promotion, over the existing data directory (`--delta`: only what differs is copied). */
const RESTORE_TO_TIME = '--delta --type=time "--target=<time>" --target-action=promote restore';

/** The `backup` output: the repository, retention, and the list and restore commands. */
export function backupOutput(spec: PlatformSpec, access: BackupAccess): BackupOutput {
    const repository = spec.backup.repository;
    const pgbackrest = `${access.asPostgres} ${pgbackrestCommand(CONTAINER_LAYOUT)}`;
    const restore = access.restore;
    return {
        repository: repository.type === "s3" ? `s3://${repository.bucket}${repository.path}` : access.volume,
        retentionDays: retentionFullDays(spec),
        listCommand: `${pgbackrest} info`,
        ...("around" in restore ? { restoreCommand: restore.around(`${pgbackrest} ${RESTORE_TO_TIME}`) } : { restoreUnavailable: restore.unavailable }),
    };
}
