import { hasExporter, hasPooler, type PlatformSpec } from "../config";
import { PLATFORM_ROLES, cdcNames, databaseRole } from "../platform/constants";

/** What a login role may do. */
export type RoleKind = "migrate" | "readwrite" | "readonly" | "cdc" | "replication" | "exporter" | "poolerAuth";

/** A role that logs in with a password. */
export interface LoginRole {
    /** Role name. */
    readonly name: string;
    /** What it is for. */
    readonly kind: RoleKind;
    /** The database it works in (per-database and extra roles only). */
    readonly database?: string;
    /** Connection limit. Default: -1 (unlimited). */
    readonly connectionLimit: number;
    /** For an extra role from `postgres.roles`: the per-database role whose rights it inherits. */
    readonly memberOf?: string;
}

/**
 * Every role that logs in with a password, in creation order: the three per-database roles,
 * `postgres.roles`, the CDC role of each database `postgres.cdc` names, then the platform's
 * replication, exporter and pooler-auth roles when the stack has replicas, an exporter and
 * pools. Platform roles are made only where used.
 */
export function loginRoleSpecs(spec: PlatformSpec): LoginRole[] {
    const roles: LoginRole[] = spec.postgres.databases.flatMap((db) =>
        (["migrate", "readwrite", "readonly"] as const).map((access) => ({
            name: databaseRole(db.name, access),
            kind: access,
            database: db.name,
            connectionLimit: -1,
        })),
    );
    for (const role of spec.postgres.roles) {
        roles.push({
            name: role.name,
            kind: role.access,
            database: role.database,
            connectionLimit: role.connectionLimit,
            memberOf: databaseRole(role.database, role.access),
        });
    }
    // A connector needs a replication connection and one for snapshots and metadata; a few spare.
    for (const db of spec.postgres.cdc.databases) roles.push({ name: cdcNames(db.name).role, kind: "cdc", database: db.name, connectionLimit: 5 });
    // Each replica streams, and with failover slots its slot-sync worker connects too.
    if (spec.replicas > 0)
        roles.push({ name: PLATFORM_ROLES.replication, kind: "replication", connectionLimit: (hasFailoverSlots(spec) ? 2 : 1) * spec.replicas + 2 });
    if (hasExporter(spec)) roles.push({ name: PLATFORM_ROLES.exporter, kind: "exporter", connectionLimit: 5 });
    if (hasPooler(spec)) roles.push({ name: PLATFORM_ROLES.poolerAuth, kind: "poolerAuth", connectionLimit: -1 });
    return roles;
}

/**
 * Whether the CDC slots are failover slots synced to the replicas (PostgreSQL 17+): CDC is
 * declared and there are replicas. A promoted replica then has the connector's slot at the
 * position the connector confirmed.
 */
export function hasFailoverSlots(spec: PlatformSpec): boolean {
    return spec.postgres.version >= 17 && spec.postgres.cdc.databases.length > 0 && spec.replicas > 0;
}

/** Names of every role that needs a password, so a target creates one random password each. */
export function loginRoles(spec: PlatformSpec): string[] {
    return loginRoleSpecs(spec).map((role) => role.name);
}
