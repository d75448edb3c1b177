import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { APP_SCHEMA, type DatabasePlan } from "./roles";

/**
 * A generated password that satisfies the strictest policy a managed service applies
 * (Cloud SQL's default complexity: upper, lower, digit, symbol), with symbols that need no
 * quoting in a URL or a shell, nor any RDS refuses (`/`, `'`, `"`, `@`, space). A change of
 * `keepers` makes a new one. Default: none.
 */
export function managedPassword(name: string, parent: pulumi.Resource, keepers?: Record<string, string>): random.RandomPassword {
    return new random.RandomPassword(
        name,
        {
            keepers,
            length: 32,
            special: true,
            overrideSpecial: "-_.~",
            minUpper: 2,
            minLower: 2,
            minNumeric: 2,
            minSpecial: 2,
        },
        { parent },
    );
}

/** Arguments of {@link DatabaseRoles}. */
export interface DatabaseRolesArgs {
    /** Databases, roles and grants to create (from `databasePlan`). */
    readonly plan: DatabasePlan;
    /** The postgresql provider connected to the instance as its admin role. */
    readonly provider: postgresql.Provider;
    /** Databases to create here; the others already exist (made by the service's API). Default: none. */
    readonly createDatabases?: readonly string[];
    /** Resources the databases depend on, e.g. the API-created databases. Default: none. */
    readonly dependsOn?: pulumi.Resource[];
}

/**
 * The spec's least-privilege login roles, their grants and extensions, created through the
 * postgresql provider on a managed instance. Every password is a random secret.
 */
export class DatabaseRoles extends pulumi.ComponentResource {
    /** Role name → its password (secret). */
    public readonly passwords: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: DatabaseRolesArgs, options?: pulumi.ComponentResourceOptions) {
        super("pg-platform:managed:DatabaseRoles", name, {}, options);
        // Every child waits for the resources it names and for whatever the caller listed.
        const opts = (...deps: (pulumi.Resource | undefined)[]): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: args.provider,
            dependsOn: [...(args.dependsOn ?? []), ...deps.filter((dep): dep is pulumi.Resource => dep !== undefined)],
        });

        const databases = new Map<string, postgresql.Database>();
        for (const db of args.plan.databases) {
            if (args.createDatabases?.includes(db.name)) {
                databases.set(db.name, new postgresql.Database(`${name}-db-${db.name}`, { name: db.name }, opts()));
            }
        }

        const passwords: Record<string, pulumi.Output<string>> = {};
        const roles = new Map<string, postgresql.Role>();
        for (const role of args.plan.roles) {
            const password = managedPassword(`${name}-${role.name}-password`, this);
            passwords[role.name] = pulumi.secret(password.result);
            roles.set(
                role.name,
                new postgresql.Role(
                    `${name}-role-${role.name}`,
                    {
                        name: role.name,
                        login: true,
                        password: password.result,
                        connectionLimit: role.connectionLimit,
                        roles: [...role.memberOf],
                        inherit: true,
                        superuser: false,
                        createDatabase: false,
                        createRole: false,
                    },
                    opts(...role.memberOf.map((member) => roles.get(member))),
                ),
            );
        }

        for (const db of args.plan.databases) {
            for (const extension of db.extensions) {
                new postgresql.Extension(`${name}-ext-${db.name}-${extension}`, { name: extension, database: db.name }, opts(databases.get(db.name)));
            }
        }
        for (const grant of args.plan.grants) {
            new postgresql.Grant(
                `${name}-grant-${grant.database}-${grant.role}-${grant.objectType}`,
                {
                    role: grant.role,
                    database: grant.database,
                    objectType: grant.objectType,
                    schema: grant.objectType === "database" ? undefined : APP_SCHEMA,
                    privileges: [...grant.privileges],
                },
                opts(databases.get(grant.database), roles.get(grant.role)),
            );
        }
        for (const grant of args.plan.defaultPrivileges) {
            new postgresql.DefaultPrivileges(
                `${name}-default-${grant.database}-${grant.role}-${grant.objectType}`,
                {
                    role: grant.role,
                    database: grant.database,
                    owner: grant.owner,
                    // No schema: database-wide, so schemas a migration makes are covered too.
                    objectType: grant.objectType,
                    privileges: [...grant.privileges],
                },
                opts(databases.get(grant.database), roles.get(grant.role), roles.get(grant.owner)),
            );
        }

        this.passwords = passwords;
        this.registerOutputs({ roles: Object.keys(passwords) });
    }
}
