import { CONNECTION_URL_ENV, VERIFYING_SSLMODES } from "../shared/vocabulary";
import { TYPES, propsOf, type InspectedResource } from "./resources";
import { UNKNOWN, known, knownItems, knownKeys } from "./unknowns";

/**
 * The connection URLs a resource hands a client in {@link CONNECTION_URL_ENV} (the platform's
 * migration job: a Docker container's environment, or the Kubernetes Secret its Job reads),
 * as far as they are known: in a preview the URL holds a password not generated yet, and is
 * left out (the servers' hostssl rules and PgBouncer's client TLS, checked on their own, are
 * what refuse a client without TLS).
 */
export function clientUrls(resource: InspectedResource): string[] {
    const container = propsOf(resource, TYPES.dockerContainer);
    if (container) {
        const envs = knownItems(() => container.envs);
        if (envs === UNKNOWN) return [];
        const prefix = `${CONNECTION_URL_ENV}=`;
        return envs.flatMap((env) => (env !== UNKNOWN && env.startsWith(prefix) ? [env.slice(prefix.length)] : []));
    }
    const secret = propsOf(resource, TYPES.kubernetesSecret);
    if (!secret) return [];
    const entry = (read: () => Readonly<Record<string, string>> | undefined, decode: (text: string) => string): string[] => {
        const keys = knownKeys(read);
        if (keys === UNKNOWN || !keys.includes(CONNECTION_URL_ENV)) return [];
        const value = known(() => (read() as Readonly<Record<string, string>>)[CONNECTION_URL_ENV]);
        return value === UNKNOWN ? [] : [decode(value)];
    };
    return [
        ...entry(
            () => secret.stringData,
            (text) => text,
        ),
        ...entry(
            () => secret.data,
            (text) => Buffer.from(text, "base64").toString("utf8"),
        ),
    ];
}

/**
 * Why a client URL does not verify the server it connects to, or nothing when it does (or is no
 * PostgreSQL URL). The message names the sslmode only: the URL carries a password.
 */
export function unverifiedUrlFinding(where: string, url: string): string[] {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return [];
    }
    if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") return [];
    const mode = parsed.searchParams.get("sslmode");
    if (mode !== null && (VERIFYING_SSLMODES as readonly string[]).includes(mode)) return [];
    return [
        `${where} hands its client a ${CONNECTION_URL_ENV} with ${mode === null ? "no sslmode (libpq then tries TLS without verifying the server and falls back to plain text)" : `sslmode=${mode}, which does not verify the server`}; set postgres.tls.enabled: true, so the platform's URL verifies the server against the stack's CA (sslmode=verify-full)`,
    ];
}
