import type { PlatformSpec } from "../config";
import { PLATFORM_ROLES } from "../platform/constants";
import { quoteIdentifier } from "../platform/identifiers";
import { POOLER_AUTH_FUNCTION } from "./init-sql";
import { filePaths, passwordOrPlaceholder, tlsPaths, type PoolMode, type RenderSecrets, type RuntimeLayout } from "./layout";
import { loginRoleSpecs, type RoleKind } from "./roles";
import { roleVerifier } from "./scram";

/** PgBouncer settings beyond the spec's pool sizes, the same for both pools. */
const POOL_DEFAULTS = {
    reserve_pool_timeout: "3",
    server_lifetime: "3600",
    server_idle_timeout: "600",
    server_connect_timeout: "15",
    server_login_retry: "15",
    query_wait_timeout: "120",
    client_login_timeout: "60",
    // JDBC and others send it at startup; PgBouncer would refuse the connection otherwise.
    ignore_startup_parameters: "extra_float_digits",
    log_connections: "1",
    log_disconnections: "1",
    log_pooler_errors: "1",
    stats_period: "60",
} as const;

/**
 * TLS settings of a pool. With TLS on it refuses clients without TLS, presents its own
 * certificate, and verifies the primary's certificate and host name against the stack's CA
 * (the primary's certificate names the host the pool dials). `secure` is TLS 1.2 and 1.3.
 * Without TLS it still tries TLS to the primary (`prefer`), as libpq does by default.
 */
function tlsSettings(spec: PlatformSpec, layout: RuntimeLayout): Record<string, string> {
    if (!spec.postgres.tls.enabled) return { server_tls_sslmode: "prefer" };
    const files = tlsPaths(layout, "pgbouncer");
    return {
        client_tls_sslmode: "require",
        client_tls_cert_file: files.cert,
        client_tls_key_file: files.key,
        client_tls_protocols: "secure",
        server_tls_sslmode: "verify-full",
        server_tls_ca_file: files.ca,
        server_tls_protocols: "secure",
    };
}

/**
 * `[users]` of the transaction pool: every migrate role runs in session mode there, so a
 * migration tool's session-level advisory lock, prepared statements and SET stay on one
 * server connection and die with the client (DISCARD ALL), instead of outliving it on a
 * pooled backend and blocking the next run. The session pool needs no exception.
 */
function usersSection(spec: PlatformSpec, mode: PoolMode): string[] {
    if (mode !== "transaction") return [];
    const migrate = loginRoleSpecs(spec).filter((role) => role.kind === "migrate");
    return ["[users]", ...migrate.map((role) => `${quoteIdentifier(role.name, "pgbouncer")} = pool_mode=session`), ""];
}

/** Whether PgBouncer `version` (`1.25.1`) is at least `minimum` (`1.21`). */
export function pgbouncerAtLeast(version: string, minimum: string): boolean {
    const parts = (text: string) => text.split(".").map((part) => Number.parseInt(part, 10) || 0);
    const [have, need] = [parts(version), parts(minimum)];
    for (let i = 0; i < Math.max(have.length, need.length); i++) {
        if ((have[i] ?? 0) !== (need[i] ?? 0)) return (have[i] ?? 0) > (need[i] ?? 0);
    }
    return true;
}

/** Prepared statements a pool tracks per server connection (1.22's default, written out for 1.21, whose default was 0). */
export const MAX_PREPARED_STATEMENTS = 200;

/**
 * Settings only some PgBouncer versions know. From 1.21 the pools track protocol-level
 * (named) prepared statements, so ORMs and drivers that prepare (Prisma, Npgsql, node-postgres
 * named queries, JDBC) work through the transaction pool; 1.18 refuses the setting and would
 * not start, so it is left out there.
 */
function versionSettings(version: string): Record<string, string> {
    return pgbouncerAtLeast(version, "1.21") ? { max_prepared_statements: String(MAX_PREPARED_STATEMENTS) } : {};
}

/**
 * pgbouncer.ini for one pool. Clients authenticate with SCRAM against the server's stored
 * verifiers, looked up through the auth function as the auth role; `[databases]` never forces
 * a `user=`, so each session runs as the client's own role. `transaction` serves applications,
 * `session` keeps session state (prepared statements, temp tables, advisory locks) for
 * migrations and tools.
 */
export function renderPgbouncerIni(spec: PlatformSpec, mode: PoolMode, layout: RuntimeLayout): string {
    const paths = filePaths(layout);
    const pool = spec.pooler[mode];
    // The key as PgBouncer reads `[databases]` names (a plain word), dbname= as a quoted
    // connection-string value, so no database name can be read as PgBouncer syntax.
    const databases = spec.postgres.databases.map(
        (db) =>
            `${quoteIdentifier(db.name, "pgbouncer")} = host=${layout.primary.host} port=${layout.primary.port} dbname=${quoteIdentifier(db.name, "conninfo")}`,
    );
    const settings: Record<string, string> = {
        listen_addr: layout.listenAddress,
        listen_port: String(layout.poolPorts[mode]),
        // No Unix socket: clients reach the pool over TCP only.
        unix_socket_dir: "",
        auth_type: "scram-sha-256",
        // The platform's roles by their SCRAM verifiers (no round trip to the server per login);
        // auth_query only for roles the file does not list, i.e. made outside the platform.
        auth_file: paths.pgbouncerUserlist,
        auth_user: PLATFORM_ROLES.poolerAuth,
        auth_query: `SELECT usename, passwd FROM ${POOLER_AUTH_FUNCTION}($1)`,
        // Read-only console (SHOW …) for monitoring; no admin_users, so nobody can PAUSE, SET or
        // SHUTDOWN a pool over the network with the auth role's password, which sits in clear in
        // userlist.txt.
        stats_users: PLATFORM_ROLES.poolerAuth,
        pool_mode: mode,
        max_client_conn: String(pool.maxClientConn),
        default_pool_size: String(pool.defaultPoolSize),
        reserve_pool_size: String(pool.reservePoolSize),
        server_reset_query: "DISCARD ALL",
        ...tlsSettings(spec, layout),
        ...versionSettings(layout.pgbouncerVersion),
        ...POOL_DEFAULTS,
    };
    return [
        `;; pgbouncer.ini for the ${mode} pool. Rendered by pg-platform: edit the stack config.`,
        "[databases]",
        ...databases,
        "",
        "[pgbouncer]",
        ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
        "",
        ...usersSection(spec, mode),
    ].join("\n");
}

/** Kinds of login role that use the pools: the per-database roles and `postgres.roles`. */
const POOLED_KINDS: ReadonlySet<RoleKind> = new Set<RoleKind>(["migrate", "readwrite", "readonly"]);

/** Roles the pools authenticate from the userlist, by their verifiers, in creation order. */
export function pooledRoles(spec: PlatformSpec): string[] {
    return loginRoleSpecs(spec)
        .filter((role) => POOLED_KINDS.has(role.kind))
        .map((role) => role.name);
}

/**
 * userlist.txt (the auth file). The auth role in clear: PgBouncer must log in as it to run
 * auth_query, and with a verifier there every fallback login hangs. Then every pooled role
 * (see {@link pooledRoles}) by the very SCRAM verifier the init SQL sets on the server
 * ({@link roleVerifier}): PgBouncer checks the client's proof against it and logs in to the
 * server with the keys the client proved, which works only when server and file agree on salt
 * and iterations. No pooled role's clear password is in the file. Deliver with mode 0600; a
 * running pool re-reads it on SIGHUP (see pgbouncer-run.ts).
 */
export function renderPgbouncerUserlist(spec: PlatformSpec, secrets?: RenderSecrets): string {
    const auth = PLATFORM_ROLES.poolerAuth;
    const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`;
    const lines = [`${quoted(auth)} ${quoted(passwordOrPlaceholder(auth, secrets))}`];
    for (const role of pooledRoles(spec)) lines.push(`${quoted(role)} ${quoted(roleVerifier(role, secrets))}`);
    return `${lines.join("\n")}\n`;
}
