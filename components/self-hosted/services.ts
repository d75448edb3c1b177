// What the self-hosted targets (Docker and Kubernetes) run: one service per container or pod,
// named as the renderer names them, and what each endpoint logs in as. Pure: no Pulumi import.
import { BACKUPS_OFF, type OptionalEndpoint } from "../targets/outputs";
import { renderServices, type RenderedService } from "../render";
import { SUPERUSER } from "../render/hba";
import { SECRET_PLACEHOLDER_PATTERN } from "../render/layout";
import { loginRoles } from "../render/roles";
import { hasExporter, hasPooler, type PlatformSpec } from "../config";
import { CONTAINER_PORTS, databaseRole } from "../platform/constants";

/** A service the Docker target runs, one container each, named as the renderer names it. */
export type ServiceName = "single" | "primary" | `replica-${number}` | "pooler-transaction" | "pooler-session" | "exporter";

/** Replica number of `replica-<n>`, or undefined for every other service. */
export function replicaNumber(service: ServiceName): number | undefined {
    const match = /^replica-(\d+)$/.exec(service);
    return match ? Number(match[1]) : undefined;
}

/** The port a service listens on inside its container (fixed per service kind). */
export function containerPort(service: ServiceName): number {
    if (service === "exporter") return CONTAINER_PORTS.exporter;
    if (service.startsWith("pooler-")) return CONTAINER_PORTS.pooler;
    return CONTAINER_PORTS.postgres;
}

/** The roles each endpoint URL logs in as, all in the first database. */
export interface EndpointRoles {
    /** Database every URL points at: the first of `postgres.databases`. */
    readonly database: string;
    /** Primary and transaction pool: the read-write application role (`<db>_app`). */
    readonly application: string;
    /** Session pool: the migrate (owner) role (`<db>_migrate`), as migrations need session state. */
    readonly migrate: string;
    /** Replica: the read-only role (`<db>_readonly`). */
    readonly readOnly: string;
}

/** Which role each output URL uses. */
export function endpointRoles(spec: PlatformSpec): EndpointRoles {
    const database = spec.postgres.databases[0].name;
    return {
        database,
        application: databaseRole(database, "readwrite"),
        migrate: databaseRole(database, "migrate"),
        readOnly: databaseRole(database, "readonly"),
    };
}

/** Each endpoint the spec's Docker deployment lacks, with the reason and what to use instead. */
export function unavailableEndpoints(spec: PlatformSpec): Partial<Record<OptionalEndpoint, string>> {
    const unavailable: Partial<Record<OptionalEndpoint, string>> = {};
    const single = spec.topology === "single";
    const pools = single
        ? 'topology "single" runs no PgBouncer: set pg-platform:topology to "primary", or use primaryUrl'
        : "pooler.enabled is false: set it to true, or use primaryUrl";
    if (!hasPooler(spec)) {
        unavailable.transactionPoolUrl = pools;
        unavailable.sessionPoolUrl = pools;
    }
    if (spec.replicas === 0) {
        unavailable.readOnlyUrl = 'replicas is 0: set pg-platform:replicas to 1 or more (topology "primary"), or use primaryUrl';
    }
    if (!spec.backup.enabled) unavailable.backup = BACKUPS_OFF;
    if (!hasExporter(spec)) {
        unavailable.metricsUrl = single
            ? 'topology "single" runs no postgres_exporter: set pg-platform:topology to "primary"'
            : "exporter.enabled is false: set it to true";
    }
    return unavailable;
}

/** Whether rendered text still holds one of the renderer's secret placeholders. */
export function holdsPlaceholder(content: string): boolean {
    return (content.match(SECRET_PLACEHOLDER_PATTERN) ?? []).length > 0;
}

/** The rendered service named `name`; throws when the renderer made none. */
export function serviceOf(services: readonly RenderedService[], name: ServiceName): RenderedService {
    const found = services.find((service) => service.name === name);
    if (!found) throw new Error(`the renderer produced no files for service ${name} (it produced ${services.map((s) => s.name).join(", ")})`);
    return found;
}

/**
 * Paths of the service's files whose content depends on a password: those that change when
 * the render is given passwords. Decided by comparison, not by looking for placeholders, so a
 * file that escapes its placeholder (a libpq passfile escapes `:`) is still recognised.
 */
export function secretBearingPaths(spec: PlatformSpec, service: ServiceName): Set<string> {
    const probe = Object.fromEntries([SUPERUSER, ...loginRoles(spec)].map((role) => [role, `probe-${role}`]));
    const clear = serviceOf(renderServices(spec), service).files;
    const probed = serviceOf(renderServices(spec, { passwords: probe }), service).files;
    return new Set(clear.filter((file) => probed.find((other) => other.path === file.path)?.content !== file.content).map((file) => file.path));
}
