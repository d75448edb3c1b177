import type * as pulumi from "@pulumi/pulumi";
import { postgresUrl } from "../targets/outputs";
import { databaseRole } from "../platform/constants";
import { type Access } from "./roles";

/** libpq settings every managed URL carries: RDS, RDS Proxy and Cloud SQL here accept only TLS. */
export const MANAGED_TLS_QUERY = "sslmode=require";

/** Who the URLs of a managed instance log in as. */
export interface ManagedLogins {
    /** The database the URLs open. */
    readonly database: string;
    /** PostgreSQL port. */
    readonly port: pulumi.Input<number>;
    /** Managed role → password; empty when the roles are not managed. */
    readonly rolePasswords: Readonly<Record<string, pulumi.Output<string>>>;
    /** The admin role, used when the roles are not managed. */
    readonly adminUser: string;
    /** The admin's password, when the platform holds it (absent: it lives in a secret store). */
    readonly adminPassword?: pulumi.Output<string>;
}

/**
 * A connection URL for one use: the database's role with that access when roles are managed
 * (least privilege), otherwise the admin role. Secret.
 */
export function managedUrl(logins: ManagedLogins, host: pulumi.Input<string>, access: Access): pulumi.Output<string> {
    const role = databaseRole(logins.database, access);
    const password = logins.rolePasswords[role];
    return postgresUrl({
        user: password ? role : logins.adminUser,
        password: password ?? logins.adminPassword,
        host,
        port: logins.port,
        database: logins.database,
        query: MANAGED_TLS_QUERY,
    });
}
