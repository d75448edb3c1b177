// How every self-hosted service is started, probed and stopped: Docker's healthchecks and
// Kubernetes' probes read the same numbers, so a stack behaves alike on both.
import { CONTAINER_PORTS } from "../platform/constants";

/** Start, probe and stop timings of the self-hosted services, in seconds. */
export const TIMINGS = {
    /** A new server may take this long to turn healthy (initdb and the init SQL, or a replica's base backup) before the deploy fails. */
    serverStart: 600,
    /** A pool, the exporter or another companion may take this long to turn healthy. */
    companionStart: 120,
    /** Docker counts no failed probe this long after a server starts (Kubernetes' startup probe covers it). */
    serverGrace: 60,
    /** Docker counts no failed probe this long after a companion starts. */
    companionGrace: 10,
    /** A server gets this long to shut down cleanly (checkpoint included) before it is killed. */
    serverStop: 120,
    /** Between two probes. */
    probeInterval: 10,
    /** One probe counts as failed after this long. */
    probeTimeout: 5,
} as const;

/** Failed probes in a row before a running container counts as unhealthy (Docker) or is restarted (Kubernetes). */
export const PROBE_RETRIES = 6;

/** A pool is up when PgBouncer answers the protocol on its port (`pg_isready` ships in its image). */
export const POOLER_READY_COMMAND = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", String(CONTAINER_PORTS.pooler)];
