// The writer's backup scheduler on Docker (issue 13): busybox crond in the writer's image,
// running backup.sh and verify-restore.sh as postgres on the rendered crontab. It mounts the
// writer's data, repository and socket volumes, because pgBackRest backs up a local cluster only
// (it reads PGDATA and asks the server over its socket for the backup's start and stop).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformSpec } from "../../config";
import {
    SCHEDULER_CAPABILITIES,
    SCHEDULER_COMMAND,
    SCHEDULER_HEALTHCHECK,
    SCHEDULER_NAME,
    SCHEDULER_SECRET_FILE,
    SOCKET_DIR,
    schedulerFiles,
} from "../../self-hosted/backup-jobs";
import type { BackupSecretFile } from "../../self-hosted/backup-secrets";
import { POSTGRES_OWNER } from "../../self-hosted/files";
import { DATA_MOUNT, WAL_ARCHIVE_MOUNT } from "../../self-hosted/server";
import { backupSchedulerName, containerName, dockerSettingsOf, networkName, volumeName } from "./plan";
import type { BackupAccess } from "../../self-hosted/backup-outputs";
import { writerService } from "../../self-hosted/endpoints";
import { COMPANION_START_PERIOD, HEALTH, WAIT_SECONDS, containerOptions, type ServerResources } from "./server";
import { secretFileUpload } from "./uploads";

/**
 * The backups as an operator reaches them on Docker: the repository volume, `docker exec` as
 * postgres into the scheduler, and a restore that stops the writer (a clean shutdown, so
 * pgBackRest finds no running server), restores over its data volume from the scheduler, and
 * starts it again: it recovers to `<time>` and promotes.
 */
export function dockerBackupAccess(spec: PlatformSpec, stack: string): BackupAccess {
    const network = networkName(spec, stack);
    const writer = containerName(network, writerService(spec));
    return {
        volume: volumeName(network, writerService(spec), "wal-archive"),
        asPostgres: `docker exec --user postgres ${backupSchedulerName(network)}`,
        restore: { around: (restore) => `docker stop ${writer} && ${restore} && docker start ${writer}` },
    };
}

/** What {@link backupScheduler} runs beside. */
export interface BackupSchedulerArgs {
    /** The stack's spec. */
    readonly spec: PlatformSpec;
    /** The stack's private network (the jobs reach an S3 repository from it; nothing reaches them). */
    readonly network: pulumi.Input<string>;
    /** The writer's image by digest: the same scripts, pgBackRest and server binaries. */
    readonly image: pulumi.Input<string>;
    /** The writer's container and volumes. */
    readonly writer: ServerResources;
    /** The writer's pgBackRest secret files (`backupSecretFiles`, computed once for both). */
    readonly secrets: readonly BackupSecretFile[];
}

/**
 * The scheduler container, when `backup.enabled` (else none). Root only for crond to switch
 * to postgres per job: every capability but SETUID and SETGID is dropped. Not published on any
 * port. Created once the writer is healthy (its socket is there).
 */
export function backupScheduler(parent: pulumi.Resource, name: string, args: BackupSchedulerArgs): docker.Container | undefined {
    const { spec, writer } = args;
    if (!spec.backup.enabled || !writer.walArchive || !writer.socket) return undefined;
    const owner = (reader: "root" | "postgres") => (reader === "root" ? { uid: 0, gid: 0 } : POSTGRES_OWNER);
    const plain = schedulerFiles(spec).map((file) => ({
        file: file.path,
        content: file.content,
        permissions: "0600",
        owner: String(owner(file.reader).uid),
        group: String(owner(file.reader).gid),
    }));
    const secrets = args.secrets.filter((file) => file.path === SCHEDULER_SECRET_FILE).map((file) => secretFileUpload(file.path, file.value, POSTGRES_OWNER));
    return new docker.Container(
        `${name}-${SCHEDULER_NAME}`,
        {
            name: pulumi.output(args.network).apply(backupSchedulerName),
            image: args.image,
            user: "0",
            entrypoints: [...SCHEDULER_COMMAND],
            networksAdvanced: [{ name: args.network }],
            restart: dockerSettingsOf(spec).restartPolicy,
            capabilities: { drops: ["ALL"], adds: [...SCHEDULER_CAPABILITIES] },
            healthcheck: { tests: ["CMD", ...SCHEDULER_HEALTHCHECK], startPeriod: COMPANION_START_PERIOD, ...HEALTH },
            wait: true,
            waitTimeout: WAIT_SECONDS.companion,
            uploads: [...plain, ...secrets],
            volumes: [
                { volumeName: writer.data.name, containerPath: DATA_MOUNT },
                { volumeName: writer.walArchive.name, containerPath: WAL_ARCHIVE_MOUNT },
                { volumeName: writer.socket.name, containerPath: SOCKET_DIR },
            ],
        },
        containerOptions(parent, [writer.container]),
    );
}
