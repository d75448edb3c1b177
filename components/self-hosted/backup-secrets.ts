// pgBackRest's secrets on the self-hosted targets (issue 13): the S3 keys (secret config keys)
// and the repository cipher pass (generated per stack), as secret files pgBackRest reads from
// its config-path's conf.d. Files, like the other secrets of these targets: nothing in the
// container's environment (`docker inspect`), a rendered file or an output.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BACKUP_SECRET_KEYS, neededBackupSecrets, repositoryEncrypted } from "../config/backup";
import type { PlatformSpec } from "../config";
import { PROJECT } from "../platform/constants";
import {
    PGBACKREST_RESTORE_SECRETS_CONFIG_PATH,
    PGBACKREST_SECRETS_CONFIG_PATH,
    pgbackrestSecretsFile,
    renderPgbackrestSecrets,
    type PgbackrestSecrets,
} from "../render/pgbackrest";

/** A secret file for a writer's container: its path and its (secret) content. */
export interface BackupSecretFile {
    /** Absolute path in the container. */
    readonly path: string;
    /** The file's content (a Pulumi secret). */
    readonly value: pulumi.Output<string>;
}

/** A secret config key of {@link BACKUP_SECRET_KEYS}, as a secret Output (readSpec has checked it is set and secret). */
function configSecret(key: keyof typeof BACKUP_SECRET_KEYS): pulumi.Output<string> {
    return new pulumi.Config(PROJECT).requireSecret(BACKUP_SECRET_KEYS[key]);
}

/** One secret file from its values, when there is any value. */
function secretFile(configPath: string, values: Record<keyof PgbackrestSecrets, pulumi.Output<string> | undefined>): BackupSecretFile[] {
    if (Object.values(values).every((value) => value === undefined)) return [];
    const content = pulumi.all(values).apply((plain) => renderPgbackrestSecrets(plain));
    return [{ path: pgbackrestSecretsFile(configPath), value: pulumi.secret(content) }];
}

/**
 * The writer's pgBackRest secret files: its own repository's (S3 keys, the cipher pass) and,
 * with `backup.restore.from` another stack's repository, that one's. The cipher pass is a
 * RandomPassword `${name}-backup-cipher-pass` under `parent`: it never changes (a new pass
 * could not read the backups taken with the old one), and in production it is protected.
 */
export function backupSecretFiles(parent: pulumi.Resource, name: string, spec: PlatformSpec): BackupSecretFile[] {
    if (!spec.backup.enabled) return [];
    const needed = new Set(neededBackupSecrets(spec));
    const ownS3 = spec.backup.repository.type === "s3";
    const cipherPass = repositoryEncrypted(spec)
        ? new random.RandomPassword(`${name}-backup-cipher-pass`, { length: 64, special: false }, { parent, protect: spec.production }).result
        : undefined;
    const restoreFrom = spec.backup.restore?.from;
    return [
        ...secretFile(PGBACKREST_SECRETS_CONFIG_PATH, {
            s3Key: ownS3 ? configSecret("s3AccessKeyId") : undefined,
            s3KeySecret: ownS3 ? configSecret("s3SecretAccessKey") : undefined,
            cipherPass,
        }),
        ...(restoreFrom === undefined || restoreFrom === "self"
            ? []
            : secretFile(PGBACKREST_RESTORE_SECRETS_CONFIG_PATH, {
                  s3Key: configSecret("s3AccessKeyId"),
                  s3KeySecret: configSecret("s3SecretAccessKey"),
                  cipherPass: needed.has("restoreCipherPass") ? configSecret("restoreCipherPass") : undefined,
              })),
    ];
}
