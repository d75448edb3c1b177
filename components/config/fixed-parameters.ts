import { PASSWORD_ENCRYPTION, RDS_ACCEPTED_PASSWORD_AUTH_METHOD } from "../platform/constants";

/**
 * PostgreSQL parameters the platform sets itself and a stack may not override through
 * `postgres.parameters`, each with the reason shown in the validation error
 * (CloudNativePG's "fixed" class of settings).
 */
export const FIXED_PARAMETERS: Readonly<Record<string, string>> = {
    password_encryption: `always ${PASSWORD_ENCRYPTION}: the platform is SCRAM-only`,
    listen_addresses: "decided per target (container network or loopback), never by stack config",
    port: "decided per target; publish a different host port with network.ports instead",
    ssl: "set postgres.tls.enabled instead",
    ssl_cert_file: "TLS file paths are fixed by the target's mounts; set postgres.tls.enabled",
    ssl_key_file: "TLS file paths are fixed by the target's mounts; set postgres.tls.enabled",
    ssl_ca_file: "TLS file paths are fixed by the target's mounts; set postgres.tls.enabled",
    ssl_crl_file: "TLS file paths are fixed by the target's mounts; set postgres.tls.enabled",
    ssl_crl_dir: "TLS file paths are fixed by the target's mounts; set postgres.tls.enabled",
    hba_file: "pg_hba.conf is rendered by the platform; add rules with postgres.hba",
    ident_file: "the platform does not use ident maps",
    config_file: "postgresql.conf is rendered by the platform",
    data_directory: "the data directory is fixed by the target's volume",
    shared_preload_libraries: "chosen from postgres.extensions; list the extension there",
    wal_level: "derived from the topology and postgres.cdc (logical when CDC names databases or is enabled)",
    primary_conninfo: "replica wiring is generated from the primary's outputs",
    primary_slot_name: "each replica gets its own slot, named by the platform",
    // The managed targets' own switches for the same guarantees: stack parameters reach the
    // RDS parameter group and Cloud SQL flags last, so without these a parameter could turn
    // TLS or SCRAM-only logins off there.
    "rds.force_ssl": "RDS always requires TLS (rds.force_ssl = 1)",
    "rds.accepted_password_auth_method": `always ${RDS_ACCEPTED_PASSWORD_AUTH_METHOD}: the platform is SCRAM-only`,
    "rds.logical_replication": "turned on by postgres.cdc (name the databases there)",
    "cloudsql.logical_decoding": "turned on by postgres.cdc (name the databases there)",
};

/** The reason a parameter is fixed, or undefined when a stack may set it. */
export function fixedParameterReason(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(FIXED_PARAMETERS, name.toLowerCase()) ? FIXED_PARAMETERS[name.toLowerCase()] : undefined;
}
