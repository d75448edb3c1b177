#!/usr/bin/env bash
# Init SQL re-apply of the pg-platform PostgreSQL image: converges an existing cluster to the
# rendered init SQL (roles, databases, grants, extensions, replication slots, the pooler's auth
# function) before the real server starts. The official entrypoint runs that script only when
# it initialises an empty data directory, so without this a database, role, extension or
# replica added to the stack config later would never be created.
#
#   apply-init-sql.sh postgres [postgres options...]
#
# The auto-tuning entrypoint calls it with the very command it hands to docker-entrypoint.sh.
#
# Environment:
#   PG_PLATFORM_INIT_SQL  the init SQL file (set by the platform's targets; unset: nothing to do)
#   PGDATA                data directory (set by the official image)
#   POSTGRES_USER         superuser that applies it over the socket (default postgres, as the
#                         official image)
#
# It applies the file only when PGDATA already holds a cluster (PG_VERSION) that is not a
# standby (no standby.signal or recovery.signal) and the file exists. An empty PGDATA is left to
# the official entrypoint, whose initdb runs the same file; a standby receives everything
# through replication. The temporary server is the container's own command (so config_file and
# the rendered pg_hba.conf apply, and the superuser gets in by peer) listening on a private
# Unix socket only: nothing else can connect while it runs. It is stopped (fast) before this
# script returns, also on failure. A failing file is one line on stderr and exit status 1, so
# the container fails visibly instead of running unconverged.
set -euo pipefail

readonly SELF=apply-init-sql
# Only the socket's file name: the server listens on no TCP address.
readonly SOCKET_PORT=5432

die() {
    printf '%s: %s\n' "$SELF" "$*" >&2
    exit 1
}
say() { printf '%s: %s\n' "$SELF" "$*" >&2; }

# Options that make postgres print something and exit: no server starts, so nothing to apply
# (the official entrypoint skips its setup for the same ones).
wants_no_server() {
    local arg
    for arg in "$@"; do
        case $arg in -'?' | --help | --describe-config | -V | --version | -C | -C?*) return 0 ;; esac
    done
    return 1
}

SERVER_PID=
SOCKET_DIR=
stop_server() {
    if [[ -n $SERVER_PID ]]; then
        # SIGINT is a fast shutdown: sessions are ended, a checkpoint is written.
        kill -INT "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
    if [[ -n $SOCKET_DIR ]]; then rm -rf "$SOCKET_DIR"; fi
    SOCKET_DIR=
}
trap stop_server EXIT

start_server() {
    SOCKET_DIR=$(mktemp -d)
    # The server's log goes to stdout, so stderr carries only this script's own line.
    "$@" -c listen_addresses= -c unix_socket_directories="$SOCKET_DIR" -c port="$SOCKET_PORT" 2>&1 &
    SERVER_PID=$!
    # Crash recovery of an unclean stop may take a while: wait as long as the server is alive
    # (the orchestrator's start timeout bounds the container as a whole).
    until pg_isready -q -h "$SOCKET_DIR" -p "$SOCKET_PORT"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            SERVER_PID=
            die "the temporary server on $PGDATA did not start (its log is above)"
        fi
        sleep 0.2
    done
}

main() {
    [[ ${1:-} == postgres ]] || die "usage: $SELF postgres [postgres options...]"
    local file=${PG_PLATFORM_INIT_SQL:-}
    if [[ -z $file ]] || wants_no_server "${@:2}"; then return 0; fi
    [[ -n ${PGDATA:-} ]] || die "PGDATA must be set: the data directory"
    if [[ ! -f $PGDATA/PG_VERSION ]]; then return 0; fi
    if [[ -f $PGDATA/standby.signal || -f $PGDATA/recovery.signal ]]; then
        say "$PGDATA is a standby; it receives roles and databases from its primary"
        return 0
    fi
    if [[ ! -f $file ]]; then
        say "no init SQL at $file; nothing applied"
        return 0
    fi
    # PostgreSQL refuses to run as root; the official entrypoint switches user the same way.
    if (($(id -u) == 0)); then exec gosu postgres "${BASH_SOURCE[0]}" "$@"; fi

    start_server "$@"
    local output
    if ! output=$(psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$SOCKET_PORT" -U "${POSTGRES_USER:-postgres}" -d postgres -f "$file" 2>&1 >/dev/null); then
        stop_server
        die "applying $file to the existing cluster in $PGDATA failed: ${output//$'\n'/ }"
    fi
    stop_server
    if [[ -n $output ]]; then printf '%s\n' "$output" >&2; fi
    say "applied $file to the existing cluster in $PGDATA"
}

main "$@"
