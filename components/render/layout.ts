import { CONTAINER_PORTS, LOOPBACK_ADDRESSES } from "../platform/constants";
import { PGBOUNCER_IMAGE } from "../platform/images";

/** The two PgBouncer pools: applications (transaction) and migrations/tools (session). */
export type PoolMode = "transaction" | "session";

/** Both pools, in the order services are rendered. */
export const POOL_MODES: readonly PoolMode[] = ["transaction", "session"];

/**
 * Host names services use to reach each other on a target's private network (the Docker
 * network alias or Kubernetes Service name). Defined once so every target names them alike.
 */
export const SERVICE_HOSTS = {
    /** The writer: `primary`. */
    primary: "primary",
    /** Pool services: `pooler-transaction`, `pooler-session`. */
    pooler: (mode: PoolMode) => `pooler-${mode}`,
    /** Replica N (1-based): `replica-1`, `replica-2`, … */
    replica: (n: number) => `replica-${n}`,
    /** The metrics service: `exporter`. */
    exporter: "exporter",
} as const;

/** Where a server runs: in a container on a private network, or directly on a host. */
export type Placement = "container" | "host";

/**
 * The address PostgreSQL and PgBouncer listen on. Inside a container every interface (`*`):
 * the private network is how pools, exporter and replicas reach it, and exposure to the host
 * is the target's port publishing (a separate setting). On a host: loopback only.
 */
export function listenAddresses(placement: Placement): string {
    return placement === "container" ? "*" : LOOPBACK_ADDRESSES[0];
}

/**
 * Where rendered files live and how services find each other. {@link CONTAINER_LAYOUT} is the
 * layout every container target uses; tests that run servers on a host build their own.
 */
export interface RuntimeLayout {
    /** Address PostgreSQL and PgBouncer listen on (see {@link listenAddresses}). Container: `*`. */
    readonly listenAddress: string;
    /** Port PostgreSQL listens on. Container: 5432. */
    readonly postgresPort: number;
    /** Where pools, the exporter and replicas reach the primary. Container: `primary:5432`. */
    readonly primary: { readonly host: string; readonly port: number };
    /** Port each pool listens on. Container: 6432 for both (each is its own container). */
    readonly poolPorts: Readonly<Record<PoolMode, number>>;
    /** Port postgres_exporter serves `/metrics` on. Container: 9187. */
    readonly exporterPort: number;
    /** Folder of postgresql.conf, pg_hba.conf and the replication password file. Container: `/etc/postgresql`. */
    readonly postgresConfigDir: string;
    /**
     * Folder of PostgreSQL's TLS files when TLS is on: `server.crt`, `server.key` and `ca.crt`
     * (the CA a replica verifies its primary with). Container: `/etc/postgresql/tls`.
     */
    readonly tlsDir: string;
    /**
     * The init SQL script. Container: `/docker-entrypoint-initdb.d/10-pg-platform.sql`: initdb
     * runs it on an empty data directory, and the image's apply-init-sql.sh again on every
     * start of an existing writer.
     */
    readonly initSqlPath: string;
    /**
     * Folder of pgbouncer.ini and the pool's run script; the auth file lives in its own
     * subfolder `auth/` (see {@link filePaths}), delivered so that a change reaches the running
     * pool. Container: `/etc/pgbouncer`.
     */
    readonly pgbouncerConfigDir: string;
    /**
     * Folder of a pool's TLS files when TLS is on: `server.crt` and `server.key` (what it
     * presents to clients) and `ca.crt` (what it verifies the primary with). Container: `/etc/pgbouncer/tls`.
     */
    readonly pgbouncerTlsDir: string;
    /**
     * The PgBouncer version the pools run, for settings only some versions know (1.21 added
     * `max_prepared_statements`; 1.18 refuses to start with it). Container: the pinned image's.
     */
    readonly pgbouncerVersion: string;
    /** Folder of the exporter's queries.yaml and password file. Container: `/etc/postgres_exporter`. */
    readonly exporterConfigDir: string;
}

/** The layout inside containers (Docker and Kubernetes). */
export const CONTAINER_LAYOUT: RuntimeLayout = {
    listenAddress: listenAddresses("container"),
    postgresPort: CONTAINER_PORTS.postgres,
    primary: { host: SERVICE_HOSTS.primary, port: CONTAINER_PORTS.postgres },
    poolPorts: { transaction: CONTAINER_PORTS.pooler, session: CONTAINER_PORTS.pooler },
    exporterPort: CONTAINER_PORTS.exporter,
    postgresConfigDir: "/etc/postgresql",
    tlsDir: "/etc/postgresql/tls",
    initSqlPath: "/docker-entrypoint-initdb.d/10-pg-platform.sql",
    pgbouncerConfigDir: "/etc/pgbouncer",
    pgbouncerTlsDir: "/etc/pgbouncer/tls",
    pgbouncerVersion: PGBOUNCER_IMAGE.version ?? "1.25.1",
    exporterConfigDir: "/etc/postgres_exporter",
};

/** The TLS files of one server or pool. */
export interface TlsPaths {
    /** Certificate presented to clients (PEM, mode 0644). */
    readonly cert: string;
    /** Its private key (PEM, mode 0600, owned by the service's user: PostgreSQL refuses a key others can read). */
    readonly key: string;
    /** The CA certificate the service verifies its upstream with (PEM, mode 0644). */
    readonly ca: string;
}

/** Which program's TLS files: PostgreSQL's (in `tlsDir`) or a PgBouncer pool's (in `pgbouncerTlsDir`). */
export type TlsService = "postgres" | "pgbouncer";

/** Where a server's or a pool's TLS files live in a layout. */
export function tlsPaths(layout: RuntimeLayout, service: TlsService): TlsPaths {
    const dir = service === "postgres" ? layout.tlsDir : layout.pgbouncerTlsDir;
    return { cert: `${dir}/server.crt`, key: `${dir}/server.key`, ca: `${dir}/ca.crt` };
}

/** Paths of every rendered file in a layout. */
export function filePaths(layout: RuntimeLayout) {
    const tls = tlsPaths(layout, "postgres");
    return {
        postgresqlConf: `${layout.postgresConfigDir}/postgresql.conf`,
        pgHbaConf: `${layout.postgresConfigDir}/pg_hba.conf`,
        replicationPassfile: `${layout.postgresConfigDir}/replication.pgpass`,
        tlsCert: tls.cert,
        tlsKey: tls.key,
        tlsCa: tls.ca,
        initSql: layout.initSqlPath,
        pgbouncerIni: `${layout.pgbouncerConfigDir}/pgbouncer.ini`,
        pgbouncerRunScript: `${layout.pgbouncerConfigDir}/run-pgbouncer.sh`,
        /** The only folder of a pool that changes while it runs (a rotated password): its auth file alone. */
        pgbouncerAuthDir: `${layout.pgbouncerConfigDir}/auth`,
        pgbouncerUserlist: `${layout.pgbouncerConfigDir}/auth/userlist.txt`,
        exporterQueries: `${layout.exporterConfigDir}/queries.yaml`,
        exporterPassword: `${layout.exporterConfigDir}/password`,
    } as const;
}

/** Clear passwords for the render, by login role name (see `loginRoles`). */
export interface RenderSecrets {
    /** Login role name → clear password. A role missing here renders as a placeholder. */
    readonly passwords: Readonly<Record<string, string>>;
}

/**
 * The text standing in for a role's secret when no password was given. It has no character
 * any of the formats escape (`:`, `\`, quotes), so it survives into every file unchanged.
 */
export function secretPlaceholder(role: string): string {
    return `<<pg-platform secret for ${role}>>`;
}

/** Finds any placeholder left in rendered text. */
export const SECRET_PLACEHOLDER_PATTERN = /<<pg-platform secret for [a-z_][a-z0-9_]*>>/;

/** The role's clear password, or its placeholder. */
export function passwordOrPlaceholder(role: string, secrets?: RenderSecrets): string {
    return secrets?.passwords[role] ?? secretPlaceholder(role);
}
