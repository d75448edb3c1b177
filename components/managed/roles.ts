/**
 * The databases, least-privilege roles and grants of a spec, as a managed target creates them
 * through the postgresql provider. Pure: no Pulumi import.
 */
import { DATABASE_ROLE_SUFFIXES, databaseRole, extensionSqlName, type DatabaseAccess } from "../platform/constants";
import type { PlatformSpec } from "../config";

/** What a role may do in its database. */
export type Access = DatabaseAccess;

/** One login role. */
export interface RolePlan {
    /** Role name. */
    readonly name: string;
    /** Its database. */
    readonly database: string;
    /** Its access level. */
    readonly access: Access;
    /** Connection limit (-1 unlimited). */
    readonly connectionLimit: number;
    /** Roles it is a member of (a spec role inherits its database's role of the same access). */
    readonly memberOf: readonly string[];
}

/** Privileges granted on one kind of object. */
export interface GrantPlan {
    /** Grantee. */
    readonly role: string;
    /** Database. */
    readonly database: string;
    /** Object kind. */
    readonly objectType: "database" | "schema" | "table" | "sequence";
    /** Privileges (empty revokes all). */
    readonly privileges: readonly string[];
}

/**
 * Default privileges on objects the migrate role will create, database-wide (in `public` and
 * in every schema a migration makes), as the self-hosted init SQL sets them.
 */
export interface DefaultPrivilegePlan {
    /** Grantee (`public` to revoke PostgreSQL's built-in EXECUTE on new functions). */
    readonly role: string;
    /** Database. */
    readonly database: string;
    /** Creator whose new objects the privileges apply to. */
    readonly owner: string;
    /** Object kind (`schema`: schemas the owner creates). */
    readonly objectType: "schema" | "table" | "sequence" | "function";
    /** Privileges; empty revokes the built-in ones. */
    readonly privileges: readonly string[];
}

/** Default privileges of the app and read-only roles on what the migrate role creates later. */
const DEFAULT_PRIVILEGES: Readonly<Record<"readwrite" | "readonly", Readonly<Record<DefaultPrivilegePlan["objectType"], readonly string[]>>>> = {
    readwrite: { schema: ["USAGE"], table: ["SELECT", "INSERT", "UPDATE", "DELETE"], sequence: ["SELECT", "USAGE", "UPDATE"], function: ["EXECUTE"] },
    readonly: { schema: ["USAGE"], table: ["SELECT"], sequence: ["SELECT"], function: ["EXECUTE"] },
};

/** Everything the postgresql provider creates for a spec. */
export interface DatabasePlan {
    /** Databases with the extensions created in each. */
    readonly databases: readonly { readonly name: string; readonly extensions: readonly string[] }[];
    /** Login roles: three per database, then the spec's own. */
    readonly roles: readonly RolePlan[];
    /** Grants on databases, the public schema and its existing tables and sequences. */
    readonly grants: readonly GrantPlan[];
    /** Default privileges on what the migrate role creates later. */
    readonly defaultPrivileges: readonly DefaultPrivilegePlan[];
}

/** The schema applications use; PostgreSQL 15+ no longer lets PUBLIC create in it. */
export const APP_SCHEMA = "public";

const PRIVILEGES: Readonly<Record<Access, Readonly<Record<GrantPlan["objectType"], readonly string[]>>>> = {
    // The migrate role owns the schema's objects without owning the database, so the admin
    // keeps the database and a leaked migrate password cannot drop it.
    migrate: { database: ["CONNECT", "CREATE", "TEMPORARY"], schema: ["CREATE", "USAGE"], table: ["ALL"], sequence: ["ALL"] },
    readwrite: {
        database: ["CONNECT", "TEMPORARY"],
        schema: ["USAGE"],
        table: ["SELECT", "INSERT", "UPDATE", "DELETE"],
        sequence: ["SELECT", "USAGE", "UPDATE"],
    },
    readonly: { database: ["CONNECT", "TEMPORARY"], schema: ["USAGE"], table: ["SELECT"], sequence: ["SELECT"] },
};

/** The databases, roles and grants of a spec, in a stable order. */
export function databasePlan(spec: PlatformSpec): DatabasePlan {
    const accesses = Object.keys(DATABASE_ROLE_SUFFIXES) as Access[];
    const databases = spec.postgres.databases.map((db) => ({
        name: db.name,
        extensions: db.extensions.map(extensionSqlName).filter((name): name is string => name !== undefined),
    }));
    const roles: RolePlan[] = [
        ...spec.postgres.databases.flatMap((db) =>
            accesses.map((access) => ({ name: databaseRole(db.name, access), database: db.name, access, connectionLimit: -1, memberOf: [] })),
        ),
        ...spec.postgres.roles.map((role) => ({
            name: role.name,
            database: role.database,
            access: role.access,
            connectionLimit: role.connectionLimit,
            memberOf: [databaseRole(role.database, role.access)],
        })),
    ];
    const grants: GrantPlan[] = spec.postgres.databases.flatMap((db) => [
        // Only the roles below may connect; PostgreSQL grants CONNECT to PUBLIC by default.
        { role: "public", database: db.name, objectType: "database" as const, privileges: [] },
        ...accesses.flatMap((access) =>
            (["database", "schema", "table", "sequence"] as const).map((objectType) => ({
                role: databaseRole(db.name, access),
                database: db.name,
                objectType,
                privileges: PRIVILEGES[access][objectType],
            })),
        ),
    ]);
    const defaultPrivileges: DefaultPrivilegePlan[] = spec.postgres.databases.flatMap((db) => {
        const owner = databaseRole(db.name, "migrate");
        return [
            ...(["readwrite", "readonly"] as const).flatMap((access) =>
                (["schema", "table", "sequence", "function"] as const).map((objectType) => ({
                    role: databaseRole(db.name, access),
                    database: db.name,
                    owner,
                    objectType,
                    privileges: DEFAULT_PRIVILEGES[access][objectType],
                })),
            ),
            // New functions are not PUBLIC's to run (PostgreSQL's built-in default).
            { role: "public", database: db.name, owner, objectType: "function" as const, privileges: [] },
        ];
    });
    return { databases, roles, grants, defaultPrivileges };
}
