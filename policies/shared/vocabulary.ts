/**
 * The platform's security vocabulary the pack enforces. One copy, shipped inside the policy pack
 * (`pulumi policy publish` uploads this folder alone, so the rules may import nothing outside
 * it); components/platform re-exports these names for the rest of the program.
 */

/** The only password hashing PostgreSQL is allowed to use. */
export const PASSWORD_ENCRYPTION = "scram-sha-256";

/** pg_hba.conf methods a rendered or managed configuration may contain. */
export const ALLOWED_HBA_METHODS = ["scram-sha-256", "peer", "reject"] as const;

/** RDS `rds.accepted_password_auth_method`: SCRAM only, so md5 logins are refused. */
export const RDS_ACCEPTED_PASSWORD_AUTH_METHOD = "scram";

/** The only client authentication an RDS Proxy for PostgreSQL accepts. */
export const RDS_PROXY_CLIENT_AUTH = "POSTGRES_SCRAM_SHA_256";

/** Host addresses that count as loopback for port publishing. */
export const LOOPBACK_ADDRESSES = ["127.0.0.1", "::1", "localhost"] as const;

/** The environment variable (and Secret key) a platform job's connection URL arrives in, as migration tools read it. */
export const CONNECTION_URL_ENV = "DATABASE_URL";

/** libpq sslmode values that verify the server's certificate (verify-full also its name). */
export const VERIFYING_SSLMODES = ["verify-full", "verify-ca"] as const;

/** A content digest as registries and engines report it. */
export const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Whether an image reference names a digest (`repository[:tag]@sha256:<64 hex>`). */
export function isDigestPinned(ref: string): boolean {
    const at = ref.lastIndexOf("@");
    return at > 0 && IMAGE_DIGEST.test(ref.slice(at + 1));
}
