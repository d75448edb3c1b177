// The migration job on the self-hosted targets (a one-shot container on Docker, a Job on
// Kubernetes): what it runs, as whom, and the URL it connects with. Pure: no Pulumi import.
import { SERVICE_HOSTS } from "../render/layout";
import { hasPooler, type PlatformSpec } from "../config";
import { CONNECTION_URL_ENV, CONTAINER_PORTS } from "../platform/constants";
import { endpointRoles } from "./services";

/** Where the job finds the stack's CA certificate when TLS is on (the URL's sslrootcert). */
export const MIGRATION_CA_PATH = "/etc/pg-platform/migrations/ca.crt";

/**
 * The environment variable the job's connection URL arrives in (what node-pg-migrate, knex,
 * Prisma, Alembic set-ups read); the policy pack checks the URL found there.
 */
export const MIGRATION_URL_ENV = CONNECTION_URL_ENV;

/** What the migration job runs. */
export interface MigrationJobPlan {
    /** The image, pinned by digest. */
    readonly image: string;
    /** The command, or undefined for the image's own. */
    readonly command?: readonly string[];
    /** Plain environment, `DATABASE_URL` excluded (it is secret and added by the target). */
    readonly env: Readonly<Record<string, string>>;
    /** Seconds a run may take. */
    readonly timeoutSeconds: number;
    /** The role it logs in as: the first database's migrate (owner) role. */
    readonly user: string;
    /** The database. */
    readonly database: string;
    /**
     * Where it connects inside the stack's network: the session pool, which keeps the session
     * state (advisory locks, SET, prepared statements) migration tools rely on; the primary
     * when the stack runs no pools.
     */
    readonly host: string;
    /** Port there. */
    readonly port: number;
    /** The URL's query: verify-full against {@link MIGRATION_CA_PATH} with TLS on, else none. */
    readonly query?: string;
}

/** The migration job of a spec, or undefined when `migrations.image` is not set. */
export function migrationJobPlan(spec: PlatformSpec): MigrationJobPlan | undefined {
    const { image, command, env, timeoutSeconds } = spec.migrations;
    if (image === undefined) return undefined;
    const roles = endpointRoles(spec);
    const pooled = hasPooler(spec);
    return {
        image,
        command,
        env,
        timeoutSeconds,
        user: roles.migrate,
        database: roles.database,
        host: pooled ? SERVICE_HOSTS.pooler("session") : SERVICE_HOSTS.primary,
        port: pooled ? CONTAINER_PORTS.pooler : CONTAINER_PORTS.postgres,
        query: spec.postgres.tls.enabled ? `sslmode=verify-full&sslrootcert=${MIGRATION_CA_PATH}` : undefined,
    };
}

/** The job's `DATABASE_URL` for the migrate role's password (percent-encoded). */
export function migrationUrl(plan: MigrationJobPlan, password: string): string {
    const query = plan.query ? `?${plan.query}` : "";
    return `postgresql://${encodeURIComponent(plan.user)}:${encodeURIComponent(password)}@${plan.host}:${plan.port}/${encodeURIComponent(plan.database)}${query}`;
}

/** Why a finished run fails the deployment, or undefined when it succeeded (or is not known yet, as in a preview). */
export function migrationFailure(exitCode: number | undefined, where: string): string | undefined {
    if (exitCode === undefined || exitCode === 0) return undefined;
    return `the migration job exited with code ${exitCode}: the stack's outputs are withheld; read its output with ${where}, fix the migration and run pulumi up again (a new image digest re-runs it; the same one needs pulumi up --replace on the job)`;
}
