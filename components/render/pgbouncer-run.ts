/**
 * How a pool runs: PgBouncer under a small POSIX shell supervisor that reloads it when its auth
 * file changes. Both self-hosted targets deliver the auth file so that a new version reaches
 * the running container (Kubernetes refreshes a Secret volume mounted as a folder; Docker's
 * auth writer container replaces the file in a shared volume); this script notices the new
 * content and sends PgBouncer SIGHUP, which re-reads pgbouncer.ini and the auth file without
 * dropping a client. PgBouncer itself never looks at the auth file again on its own.
 */

/** How often the supervisor compares the auth file's checksum, in seconds. */
export const AUTH_FILE_POLL_SECONDS = 5;

/** The supervisor's command line: `sh <script> <pgbouncer binary> <pgbouncer.ini> <auth file> <poll seconds>`. */
export function pgbouncerRunCommand(script: string, binary: string, ini: string, authFile: string, pollSeconds = AUTH_FILE_POLL_SECONDS): string[] {
    return ["/bin/sh", script, binary, ini, authFile, String(pollSeconds)];
}

/**
 * The supervisor script (POSIX sh: BusyBox ash in the PgBouncer image, dash on Debian). It
 * starts PgBouncer in the background and passes TERM, INT, QUIT and HUP on to it, so a
 * container stop still reaches PgBouncer (SIGINT is its safe shutdown), and exits with
 * PgBouncer's status when PgBouncer exits; it refuses to start without a readable auth file
 * (PgBouncer would start and refuse every platform role). A checksum (not a timestamp) decides "changed":
 * Kubernetes swaps a symlink and Docker renames a file into place, neither keeps mtimes meaningful.
 */
export function renderPgbouncerRunScript(): string {
    return `#!/bin/sh
# Rendered by pg-platform: runs PgBouncer and reloads it (SIGHUP) whenever the content of its
# auth file changes, so a rotated password reaches the pool without a restart.
# usage: run-pgbouncer.sh PGBOUNCER_BINARY PGBOUNCER_INI AUTH_FILE [POLL_SECONDS]
set -u
binary=$1
ini=$2
auth=$3
poll=\${4:-${AUTH_FILE_POLL_SECONDS}}

# Without its auth file PgBouncer would start and refuse every platform role: fail instead.
[ -r "$auth" ] || { echo "run-pgbouncer: cannot read the auth file $auth" >&2; exit 1; }
"$binary" "$ini" &
child=$!
forward() { kill -"$1" "$child" 2>/dev/null || true; }
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward QUIT' QUIT
trap 'forward HUP' HUP

fingerprint() { cksum < "$auth" 2>/dev/null || echo unreadable; }
seen=$(fingerprint)
while kill -0 "$child" 2>/dev/null; do
    # Sleep in the background and wait for it: a trapped signal interrupts the wait at once.
    sleep "$poll" &
    sleeper=$!
    wait "$sleeper" 2>/dev/null || kill "$sleeper" 2>/dev/null || true
    now=$(fingerprint)
    if [ "$now" != "$seen" ]; then
        seen=$now
        echo "run-pgbouncer: $auth changed, reloading PgBouncer" >&2
        forward HUP
    fi
done
wait "$child"
`;
}
