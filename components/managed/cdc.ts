/**
 * CDC on the managed targets: `postgres.cdc` turns the service's switch on (RDS
 * `rds.logical_replication = 1`, Cloud SQL `cloudsql.logical_decoding = on`, both with
 * `max_slot_wal_keep_size`), but the platform does not yet make the CDC role, publication and
 * slot there; the `cdc` output is absent and `unavailable.cdc` says what to run instead.
 * Pure: no Pulumi import.
 */
import type { PlatformSpec } from "../config";
import { cdcNames } from "../platform/constants";

/** Why a managed target has no `cdc` output for a spec that declares CDC, or undefined when it declares none. */
export function managedCdcUnavailable(spec: PlatformSpec, target: "aws" | "gcp"): string | undefined {
    const databases = spec.postgres.cdc.databases;
    if (databases.length === 0) return undefined;
    const { role, publication, slot } = cdcNames(databases[0].name);
    const replication = target === "aws" ? `GRANT rds_replication TO ${role}` : `ALTER ROLE ${role} WITH REPLICATION`;
    const service = target === "aws" ? "rds.logical_replication is on in the parameter group" : "cloudsql.logical_decoding is on";
    return (
        `${service}, but the platform makes no CDC role, publication or slot on ${target === "aws" ? "RDS" : "Cloud SQL"} yet: ` +
        `as the admin, CREATE ROLE ${role} LOGIN PASSWORD '…'; ${replication}; GRANT CONNECT ON DATABASE ${databases[0].name} TO ${role}; ` +
        `GRANT USAGE ON SCHEMA <schema> and SELECT ON <tables> TO ${role}; CREATE PUBLICATION ${publication} FOR TABLE <tables>; ` +
        `SELECT pg_create_logical_replication_slot('${slot}', 'pgoutput') (README: CDC on managed targets)`
    );
}
