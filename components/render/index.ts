/**
 * Everything the self-hosted targets deploy into PostgreSQL, PgBouncer and postgres_exporter,
 * as pure functions of the spec (no Pulumi import): used by the Docker and Kubernetes targets,
 * by `npm run render`, and by the integration tests that boot the real servers.
 */
import type { PlatformSpec } from "../config";
import { PLATFORM_ROLES } from "../platform/constants";
import { renderExporterQueries } from "./exporter";
import { renderPgHba } from "./hba";
import { renderInitSql } from "./init-sql";
import { CONTAINER_LAYOUT, POOL_MODES, SERVICE_HOSTS, filePaths, passwordOrPlaceholder, type RenderSecrets, type RuntimeLayout } from "./layout";
import { renderPgbouncerIni, renderPgbouncerUserlist } from "./pgbouncer";
import { renderPgbouncerRunScript } from "./pgbouncer-run";
import { renderPostgresqlConf, type ServerRole } from "./postgresql-conf";
import { pgbackrestConfPath, pgbackrestRestoreConfPath, renderPgbackrestConf, renderPgbackrestRestoreConf } from "./pgbackrest";
import { hasExporter, hasPooler } from "../config";

export * from "./cdc";
export * from "./exporter";
export * from "./hba";
export * from "./init-sql";
export * from "./pgbackrest";
export * from "./layout";
export * from "./parameters";
export * from "./pgbouncer";
export * from "./pgbouncer-run";
export * from "./postgresql-conf";
export * from "./roles";
export * from "./scram";
export * from "../config/parameter-versions";

/** A file a service receives. */
export interface RenderedFile {
    /** Absolute path inside the service's container, e.g. `/etc/postgresql/postgresql.conf`. */
    readonly path: string;
    /** Full text. */
    readonly content: string;
    /** File mode: 0644 for configuration, 0600 for a file holding a clear password. */
    readonly mode: number;
    /**
     * The running service re-reads it (a pool's auth file, on reload): targets deliver it so a
     * new version reaches the running container without replacing it, all such files of a
     * service in one folder of their own. Default: false (read at start only).
     */
    readonly live?: boolean;
}

/** The files of one service. */
export interface RenderedService {
    /** `single`, `primary`, `replica-<n>`, `pooler-transaction`, `pooler-session` or `exporter`. */
    readonly name: string;
    /** Every file it receives. */
    readonly files: readonly RenderedFile[];
}

/** Mode of configuration files (no clear secret inside). */
export const CONFIG_MODE = 0o644;
/** Mode of files holding a clear password. */
export const SECRET_MODE = 0o600;
/** Mode of a script a service runs (no secret inside). */
export const SCRIPT_MODE = 0o755;

const file = (path: string, content: string, mode = CONFIG_MODE): RenderedFile => ({ path, content, mode });

/** `host:port:database:user:password` with `:` and `\` escaped, as libpq reads a passfile. */
export function pgpassLine(host: string, port: number, user: string, password: string): string {
    const escape = (text: string) => text.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
    return `${escape(host)}:${port}:*:${escape(user)}:${escape(password)}\n`;
}

function postgresService(spec: PlatformSpec, role: ServerRole, layout: RuntimeLayout, secrets: RenderSecrets | undefined, replica = 1): RenderedService {
    const paths = filePaths(layout);
    const files = [file(paths.postgresqlConf, renderPostgresqlConf(spec, role, layout, replica)), file(paths.pgHbaConf, renderPgHba(spec))];
    if (role === "replica") {
        const password = passwordOrPlaceholder(PLATFORM_ROLES.replication, secrets);
        files.push(file(paths.replicationPassfile, pgpassLine(layout.primary.host, layout.primary.port, PLATFORM_ROLES.replication, password), SECRET_MODE));
    } else {
        files.push(file(paths.initSql, renderInitSql(spec, secrets)));
        if (spec.backup.enabled) files.push(file(pgbackrestConfPath(layout), renderPgbackrestConf(spec, layout)));
        const restoreConf = renderPgbackrestRestoreConf(spec, layout);
        if (restoreConf !== undefined) files.push(file(pgbackrestRestoreConfPath(layout), restoreConf));
    }
    return { name: role === "replica" ? SERVICE_HOSTS.replica(replica) : role, files };
}

/**
 * Every service a self-hosted stack runs, with every file it receives. Configuration files
 * carry no secret (the init SQL holds SCRAM verifiers only). A client that must present a
 * clear password (PgBouncer's auth role, a replica's replication login, the exporter) gets it
 * in a file of its own with mode 0600; without `secrets` it holds a marked placeholder.
 *
 * @param layout paths and addresses. Default: {@link CONTAINER_LAYOUT}.
 */
export function renderServices(spec: PlatformSpec, secrets?: RenderSecrets, layout: RuntimeLayout = CONTAINER_LAYOUT): RenderedService[] {
    const paths = filePaths(layout);
    if (spec.topology === "single") return [postgresService(spec, "single", layout, secrets)];
    const services = [postgresService(spec, "primary", layout, secrets)];
    for (let n = 1; n <= spec.replicas; n++) services.push(postgresService(spec, "replica", layout, secrets, n));
    if (hasPooler(spec)) {
        for (const mode of POOL_MODES) {
            services.push({
                name: SERVICE_HOSTS.pooler(mode),
                files: [
                    file(paths.pgbouncerIni, renderPgbouncerIni(spec, mode, layout)),
                    file(paths.pgbouncerRunScript, renderPgbouncerRunScript(), SCRIPT_MODE),
                    { ...file(paths.pgbouncerUserlist, renderPgbouncerUserlist(spec, secrets), SECRET_MODE), live: true },
                ],
            });
        }
    }
    if (hasExporter(spec)) {
        services.push({
            name: SERVICE_HOSTS.exporter,
            files: [
                file(paths.exporterQueries, renderExporterQueries()),
                file(paths.exporterPassword, passwordOrPlaceholder(PLATFORM_ROLES.exporter, secrets), SECRET_MODE),
            ],
        });
    }
    return services;
}
