import { parseIni, parsePostgresConf, readableFiles, RENDERED_FILES } from "./rendered";
import { TYPES, type InspectedResource } from "./resources";
import { resourceRule } from "./rule";
import { UNKNOWN, knownItems, notKnownYet } from "./unknowns";

/** pgBackRest repository types that live off the server's host. */
const REMOTE_REPOSITORY_TYPES = ["s3", "gcs", "azure", "sftp"];

/** Findings on a writer's rendered pgbackrest.conf files: a repository off the host, and encrypted. */
function repositoryFindings(name: string, pgbackrestConfs: readonly string[]): string[] {
    const globals = pgbackrestConfs.map((text) => [...(parseIni(text).get("global") ?? new Map<string, string>())]);
    const offHost = globals.some((options) => options.some(([key, value]) => /^repo\d+-type$/.test(key) && REMOTE_REPOSITORY_TYPES.includes(value)));
    // The pass itself is in a secret file the pack never sees; the rendered conf names the cipher.
    const encrypted = globals.some((options) => options.some(([key, value]) => /^repo\d+-cipher-type$/.test(key) && value !== "none"));
    return [
        ...(offHost
            ? []
            : [
                  `${name} keeps its pgBackRest repository only on a volume of its own host: a lost host loses the data and the backups; set pg-platform:backup.repository to { type: s3, … }`,
              ]),
        ...(encrypted
            ? []
            : [
                  `${name} keeps its pgBackRest repository unencrypted: whoever reads the bucket reads the database; set pg-platform:backup.encrypted: true (the production default)`,
              ]),
    ];
}

const backupsOff = (name: string) =>
    `${name} archives no WAL through pgBackRest and takes no backups: backups are off; set pg-platform:backup.enabled: true with an off-host repository`;

/**
 * The rendered postgresql.conf files of a writer (none of them names primary_conninfo), or
 * undefined when the resource ships no postgresql.conf or is a replica (its writer archives).
 */
function writerConfs(resource: InspectedResource): { readonly unreadable: string[] } | undefined {
    const conf = readableFiles(resource, RENDERED_FILES.postgresql);
    if (conf.unreadable.length > 0) return { unreadable: conf.unreadable };
    if (conf.contents.length === 0) return undefined;
    if (conf.contents.some((text) => parsePostgresConf(text).has("primary_conninfo"))) return undefined;
    return { unreadable: [] };
}

/**
 * A Kubernetes writer's configuration object (a ConfigMap, or a Secret, shipping its rendered
 * postgresql.conf): the target renders pgbackrest.conf into the same object exactly when backups
 * are on, and the StatefulSet's archive flags come from the same configuration.
 */
function kubernetesWriterFiles(resource: InspectedResource): string[] {
    const writer = writerConfs(resource);
    if (writer === undefined) return [];
    if (writer.unreadable.length > 0) return writer.unreadable;
    const repository = readableFiles(resource, RENDERED_FILES.pgbackrest);
    if (repository.unreadable.length > 0) return repository.unreadable;
    if (repository.contents.length === 0) return [backupsOff(resource.name)];
    return repositoryFindings(resource.name, repository.contents);
}

/**
 * self-hosted-backups (issue 13): a self-hosted PostgreSQL writer (a Docker container, or a
 * Kubernetes ConfigMap/Secret, shipping a rendered postgresql.conf without primary_conninfo)
 * archives WAL through pgBackRest into a repository off the host (object storage), encrypted,
 * so a lost host does not lose the backups with the data. Disabled by default; production
 * stacks make it mandatory in their policy config (policies/config/prod.json).
 */
export const selfHostedBackups = resourceRule(
    {
        name: "self-hosted-backups",
        description:
            "Self-hosted PostgreSQL writers archive WAL and take backups with pgBackRest into an encrypted repository off the host (object storage), not only a volume beside the data.",
        severity: "high",
        // A production guarantee: off unless the stack's policy file names it (prod: mandatory),
        // since a dev stack's repository on its own volume is the intended default.
        enforcementLevel: "disabled",
        remediationSteps: [
            "Set pg-platform:backup.enabled: true (the default) and pg-platform:backup.repository to",
            "{ type: s3, bucket, endpoint, region } so the backups survive the host (README: Backups).",
        ].join(" "),
    },
    {
        [TYPES.dockerContainer]: (container, { resource }) => {
            const writer = writerConfs(resource);
            if (writer === undefined) return [];
            if (writer.unreadable.length > 0) return writer.unreadable;
            const command = knownItems(() => container.command);
            if (command === UNKNOWN || command.includes(UNKNOWN))
                return [`${notKnownYet(`the command of ${resource.name}`)}; render it from the stack's configuration alone`];
            const flags = command as string[];
            const archiving =
                flags.includes("archive_mode=on") && flags.some((flag) => flag.startsWith("archive_command=") && /\bpgbackrest\b.*\barchive-push\b/.test(flag));
            const repository = readableFiles(resource, RENDERED_FILES.pgbackrest);
            if (repository.unreadable.length > 0) return repository.unreadable;
            if (!archiving || repository.contents.length === 0) return [backupsOff(resource.name)];
            return repositoryFindings(resource.name, repository.contents);
        },
        [TYPES.kubernetesConfigMap]: (_map, { resource }) => kubernetesWriterFiles(resource),
        [TYPES.kubernetesSecret]: (_secret, { resource }) => kubernetesWriterFiles(resource),
    },
);
