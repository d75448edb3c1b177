import { REPLICA_BOOTSTRAP_ENV as ENV } from "../../components/image/runtime";
import { PLATFORM_ROLES } from "../../components/platform/constants";

/** Where a test's replica bootstrap finds its primary. */
export interface BootstrapTarget {
    /** The replica's data directory. */
    readonly pgdata: string;
    /** The primary's port on 127.0.0.1. */
    readonly primaryPort: number;
    /** The replication role's password file. */
    readonly passwordFile: string;
    /** The replication slot. */
    readonly slot: string;
}

/**
 * The environment the image gives replica-bootstrap.sh, for a primary on loopback: the
 * platform's replication role, 10 s of waiting for the primary, binaries from `binPath` first.
 */
export function replicaBootstrapEnv(target: BootstrapTarget, binPath: string): Record<string, string> {
    return {
        PATH: `${binPath}:${process.env.PATH}`,
        PGDATA: target.pgdata,
        [ENV.primaryHost]: "127.0.0.1",
        [ENV.primaryPort]: String(target.primaryPort),
        [ENV.user]: PLATFORM_ROLES.replication,
        [ENV.passwordFile]: target.passwordFile,
        [ENV.slot]: target.slot,
        [ENV.waitSeconds]: "10",
    };
}
