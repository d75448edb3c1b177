/**
 * What the self-hosted parts of the spec mean on a managed target (RDS, Cloud SQL), decided
 * in one place for both. Pure: no Pulumi import.
 */
import { PROJECT } from "../platform/constants";
import { ConfigError, type PlatformSpec } from "../config";
import { SERVER_SIZE_DEFAULTS } from "../config/schema";
import { BACKUPS_OFF, type OptionalEndpoint } from "../targets/outputs";
import { managedCdcUnavailable } from "./cdc";

/** The role the platform administers a managed instance as (RDS master user, Cloud SQL built-in user). */
export const MANAGED_ADMIN_ROLE = "platform_admin";

/** What a managed target offers in place of the self-hosted services. */
export interface ManagedCapabilities {
    /** Display name, e.g. `aws` (used in messages). */
    readonly target: "aws" | "gcp";
    /** The service's transaction pool, or undefined when it has none the platform can deploy. */
    readonly pool?: string;
    /** Where metrics live instead of a Prometheus endpoint. */
    readonly metrics: string;
    /** Where network access is granted instead of pg_hba rules. */
    readonly access: string;
    /** Where the instance size is set instead of postgres.memory / postgres.cpus. */
    readonly size: string;
    /** Databases the service can create without the postgresql provider: all, or only the first. */
    readonly apiCreatesDatabases: "all" | "first";
    /** Whether stack config asks for the postgresql provider (roles, grants, extensions). */
    readonly manageDatabases: boolean;
    /** Settings key of that switch, for messages. */
    readonly manageDatabasesKey: string;
}

/**
 * Every way the spec asks a managed target for something it cannot do, one line per key in
 * ConfigError form. The self-hosted switches that default to on (pooler, exporter) must be
 * turned off explicitly where the service has no equivalent, so no stack silently loses them.
 */
export function managedSpecProblems(spec: PlatformSpec, caps: ManagedCapabilities): string[] {
    const problems: string[] = [];
    const at = (path: string, message: string) => problems.push(`${PROJECT}:${path}: ${message}`);
    const primary = spec.topology === "primary";

    if (primary && spec.pooler.enabled && !caps.pool) {
        at(
            "pooler.enabled",
            `the ${caps.target} target has no transaction pool the platform can deploy; set pooler.enabled: false (run PgBouncer beside the application if it needs one)`,
        );
    }
    if (primary && spec.exporter.enabled) {
        at("exporter.enabled", `the ${caps.target} target runs no postgres_exporter; metrics come from ${caps.metrics}. Set exporter.enabled: false`);
    }
    const image = spec.image;
    if (image.extensions.length > 0 || image.prebuilt || image.repository || image.push || image.cacheRef) {
        at(
            "image",
            `the ${caps.target} target runs the provider's PostgreSQL build, not the platform image; remove pg-platform:image (pgvector needs only postgres.extensions here)`,
        );
    }
    if (spec.postgres.memory !== SERVER_SIZE_DEFAULTS.memory || spec.postgres.cpus !== SERVER_SIZE_DEFAULTS.cpus) {
        at("postgres.memory", `sizes self-hosted servers; on ${caps.target} the size is ${caps.size}. Remove postgres.memory and postgres.cpus`);
    }
    if (spec.postgres.hba.length > 0) {
        at("postgres.hba", `managed services have no pg_hba.conf; admit clients with ${caps.access}`);
    }
    const first = spec.postgres.databases[0].name;
    spec.postgres.databases.forEach((db, i) => {
        if (i > 0 && db.extensions.includes("pg_cron")) {
            at(`postgres.databases.${i}.extensions`, `pg_cron can only be created in the first database ("${first}", its cron.database_name)`);
        }
        if (i > 0 && caps.apiCreatesDatabases === "first" && !caps.manageDatabases) {
            at(
                `postgres.databases.${i}.name`,
                `"${db.name}" cannot be created by the ${caps.target} API (it creates only the first database); set ${caps.manageDatabasesKey}: true or list one database`,
            );
        }
    });
    if (spec.postgres.roles.length > 0 && !caps.manageDatabases) {
        at("postgres.roles", `roles are created through the postgresql provider; set ${caps.manageDatabasesKey}: true`);
    }
    if (spec.replicas > 0 && !spec.backup.enabled) {
        at("backup.enabled", "read replicas are built from the primary's automated backups; keep backups on or set replicas: 0");
    }
    return problems;
}

/**
 * The target's own settings (`pg-platform:aws` or `:gcp`), after every refusal the managed
 * target makes: one ConfigError naming each key it cannot honour, its missing settings included.
 */
export function managedSettings<T extends "aws" | "gcp">(
    spec: PlatformSpec,
    caps: Omit<ManagedCapabilities, "manageDatabases" | "manageDatabasesKey"> & { readonly target: T },
): NonNullable<PlatformSpec[T]> {
    const { target } = caps;
    const settings = spec[target];
    if (!settings) throw new ConfigError([`${PROJECT}:${target}: target "${target}" needs its own settings under ${PROJECT}:${target}`]);
    const problems = managedSpecProblems(spec, { ...caps, manageDatabases: settings.manageDatabases, manageDatabasesKey: `${target}.manageDatabases` });
    if (problems.length > 0) throw new ConfigError(problems);
    return settings;
}

/**
 * Every endpoint a managed stack lacks: the target's own (`service`: pools and metrics it has
 * no equivalent for), the read-only URL without replicas, and CDC it cannot serve yet.
 */
export function managedUnavailable(
    spec: PlatformSpec,
    target: "aws" | "gcp",
    service: Partial<Record<OptionalEndpoint, string>>,
): Partial<Record<OptionalEndpoint, string>> {
    const unavailable = { ...service };
    if (spec.replicas === 0) unavailable.readOnlyUrl = "no read replica: set replicas to 1 or more (topology primary)";
    if (!spec.backup.enabled) unavailable.backup = BACKUPS_OFF;
    const cdc = managedCdcUnavailable(spec, target);
    if (cdc) unavailable.cdc = cdc;
    return unavailable;
}
