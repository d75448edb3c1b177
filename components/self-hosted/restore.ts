// Restore as configuration on the self-hosted targets (`backup.restore`): the writer's
// entrypoint and environment that make an empty data volume start from a pgBackRest backup
// instead of initdb. Pure: no Pulumi import.
import { ENTRYPOINT_PATH, RESTORE_ENV, RESTORE_PATH } from "../image/runtime";
import { CONTAINER_LAYOUT } from "../render/layout";
import {
    BACKUP_STANZA,
    PGBACKREST_RESTORE_SECRETS_CONFIG_PATH,
    PGBACKREST_SECRETS_CONFIG_PATH,
    pgbackrestConfPath,
    pgbackrestRestoreConfPath,
    restoreTypeAndTarget,
} from "../render/pgbackrest";
import type { PlatformSpec } from "../config";

/** One environment variable of a container. */
export interface EnvironmentVariable {
    readonly name: string;
    readonly value: string;
}

/**
 * The writer's environment for the restore step: none without `backup.restore`; else the
 * target and the repository's pgbackrest.conf and secret folder (this stack's own with
 * `from: self`, the restore-only ones for another stack's repository).
 */
export function restoreEnvironment(spec: PlatformSpec): EnvironmentVariable[] {
    const restore = spec.backup.enabled ? spec.backup.restore : undefined;
    if (restore === undefined) return [];
    const own = restore.from === "self";
    const { type, target } = restoreTypeAndTarget(restore.target);
    return [
        { name: RESTORE_ENV.type, value: type },
        ...(target === undefined ? [] : [{ name: RESTORE_ENV.target, value: target }]),
        { name: RESTORE_ENV.config, value: own ? pgbackrestConfPath(CONTAINER_LAYOUT) : pgbackrestRestoreConfPath(CONTAINER_LAYOUT) },
        { name: RESTORE_ENV.configPath, value: own ? PGBACKREST_SECRETS_CONFIG_PATH : PGBACKREST_RESTORE_SECRETS_CONFIG_PATH },
        { name: RESTORE_ENV.stanza, value: BACKUP_STANZA },
    ];
}

/** The writer's entrypoint: the restore step first when `backup.restore` is set, then the image's entrypoint. */
export function writerEntrypoint(spec: PlatformSpec): string[] {
    return restoreEnvironment(spec).length > 0 ? [RESTORE_PATH, ENTRYPOINT_PATH] : [ENTRYPOINT_PATH];
}
