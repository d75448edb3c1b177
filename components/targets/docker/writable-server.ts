import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SUPERUSER } from "../../render/hba";
import { SERVICE_HOSTS } from "../../render/layout";
import { loginRoles } from "../../render/roles";
import type { PlatformSpec } from "../../config";
import { secretFileUpload, serviceUploads } from "./uploads";
import { SECRET_FILES, postgresCommand, writerEnvironment } from "../../self-hosted/server";
import { networkName } from "./plan";
import { POSTGRES_OWNER } from "../../self-hosted/files";
import { rolePasswords, serverContainer, type ServerResources } from "./server";
import { stackCa, type StackCaOutputs } from "../../self-hosted/tls/resources";
import { serviceCertificateUploads } from "./tls";
import { backupSecretFiles } from "../../self-hosted/backup-secrets";
import { writerEntrypoint } from "../../self-hosted/restore";
import { backupScheduler } from "./backup-scheduler";

/** Arguments of {@link SingleStack} and {@link PrimaryStack}: a stack with a writable server. */
export interface WriterStackArgs {
    /** The validated spec (plain, not an Input: every container and file is decided from it up front). */
    readonly spec: PlatformSpec;
    /** The stack name; the network and every Docker name derive from it unless `docker.networkName` is set. */
    readonly stack: string;
    /** The PostgreSQL image by digest (`PostgresImage.imageRef`). */
    readonly image: pulumi.Input<string>;
}

/** What a single node and a primary share: the network, the passwords and the server itself. */
export interface WriterArgs extends WriterStackArgs {
    /** `single` or `primary`: which rendered service and health role. */
    readonly service: "single" | "primary";
}

/** The resources of a writable server. */
export interface WritableServer {
    /** The stack's private network. */
    readonly network: docker.Network;
    /** Clear passwords of every login role, by role (secret). */
    readonly passwords: pulumi.Output<Record<string, string>>;
    /** The server's container and volumes. */
    readonly server: ServerResources;
    /** The stack's CA, when `postgres.tls.enabled`; it signed the server's certificate. */
    readonly ca: StackCaOutputs | undefined;
    /** The backup scheduler beside the server, when `backup.enabled`. */
    readonly scheduler: docker.Container | undefined;
}

/**
 * The private network, a random password per login role, and the writable PostgreSQL server
 * with its rendered files. The superuser's password (SCRAM, set by the image's initdb) is never
 * used over the network: pg_hba.conf lets it in through the local socket and loopback alone.
 * With `postgres.tls.enabled`, also the stack's CA and the server's certificate.
 */
export function writableServer(parent: pulumi.Resource, name: string, args: WriterArgs): WritableServer {
    const { spec, service } = args;
    const network = new docker.Network(
        `${name}-network`,
        // Attachable, so a replica from another stack (or a one-off psql container) can join.
        { name: networkName(spec, args.stack), driver: "bridge", attachable: true },
        { parent },
    );
    const passwords = rolePasswords(parent, name, loginRoles(spec));
    const superuser = rolePasswords(parent, name, [SUPERUSER]).apply((pw) => pw[SUPERUSER]);
    const ca = spec.postgres.tls.enabled ? stackCa(parent, name, pulumi.interpolate`${network.name} CA`) : undefined;
    // Once, for the server and its backup scheduler: each call makes the stack's cipher pass.
    const backupSecrets = backupSecretFiles(parent, name, spec);
    const certificate = ca ? serviceCertificateUploads(parent, `${name}-${service}`, { spec, service, network: network.name, owner: POSTGRES_OWNER, ca }) : [];
    const server = serverContainer(parent, `${name}-${service}`, {
        spec,
        service,
        network: network.name,
        alias: SERVICE_HOSTS.primary,
        image: args.image,
        healthRole: service,
        uploads: [
            ...serviceUploads({ spec, service, passwords, owner: POSTGRES_OWNER }),
            secretFileUpload(SECRET_FILES.superuserPassword, superuser, POSTGRES_OWNER),
            ...backupSecrets.map((file) => secretFileUpload(file.path, file.value, POSTGRES_OWNER)),
            ...certificate,
        ],
        envs: writerEnvironment(spec).map(({ name, value }) => `${name}=${value}`),
        // backup.restore: the restore step fills an empty data volume before the entrypoint runs.
        entrypoints: writerEntrypoint(spec),
        command: postgresCommand(spec, "writer"),
    });
    const scheduler = backupScheduler(parent, `${name}-${service}`, { spec, network: network.name, image: args.image, writer: server, secrets: backupSecrets });
    return { network, passwords, server, ca, scheduler };
}
