#!/usr/bin/env bash
# Init SQL apply of the pg-platform PostgreSQL image: converges a cluster to the rendered init
# SQL (roles, databases, grants, extensions, replication slots, the pooler's auth function)
# before the real server starts. The entrypoint runs it on every start, right after initdb on a
# new cluster and alone on an existing one, so a database, role, extension or replica added to
# the stack config later is created too.
#
#   apply-init-sql.sh postgres [postgres options...]
#
# The entrypoint calls it with the very command (and tuned flags) it then starts the server with.
#
# Environment:
#   PG_PLATFORM_INIT_SQL  the init SQL file (set by the platform's targets; unset: no file)
#   PGDATA                data directory (set by the image)
#   POSTGRES_USER         superuser that applies it over the socket (default postgres)
#   POSTGRES_DB           a database to create first when missing (default POSTGRES_USER, as the
#                         official image; nothing to do when that is postgres)
#
# It works only when PGDATA already holds a cluster (PG_VERSION) that is not a standby (no
# standby.signal or recovery.signal) and there is something to do. An empty PGDATA is the
# entrypoint's to initialise first; a standby receives everything through replication. The
# temporary server is the container's own command (so config_file and the rendered settings
# apply) listening on a private Unix socket only (a fresh 0700 directory), with a pg_hba.conf of
# its own there that admits only this OS user, by peer, as the superuser: nothing else can
# connect while it runs, and no password is needed or handled. It is stopped (fast) before this
# script returns, also on failure. A failing file is one line on stderr and exit status 1, so
# the container fails visibly instead of running unconverged.
set -euo pipefail

readonly SELF=apply-init-sql
# Only the socket's file name: the server listens on no TCP address.
readonly SOCKET_PORT=5432

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

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
    local os_user
    os_user=$(id -un) || die "the user $(id -u) has no name, so peer authentication cannot admit it"
    SOCKET_DIR=$(mktemp -d)
    # Only this OS user, as the superuser, over this socket.
    printf 'local all %s peer map=init\n' "$SUPERUSER" >"$SOCKET_DIR/pg_hba.conf"
    printf 'init %s %s\n' "$os_user" "$SUPERUSER" >"$SOCKET_DIR/pg_ident.conf"
    # The server's log goes to stdout, so stderr carries only this script's own line.
    "$@" -c listen_addresses= -c unix_socket_directories="$SOCKET_DIR" -c port="$SOCKET_PORT" \
        -c hba_file="$SOCKET_DIR/pg_hba.conf" -c ident_file="$SOCKET_DIR/pg_ident.conf" 2>&1 &
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

# psql as the superuser on the temporary server; stdout dropped, stderr (notices and errors) kept.
# The search_path is fixed at connection (PGOPTIONS outranks a database's or role's own setting,
# on every \connect too): a database owner cannot steer the superuser's unqualified names into
# a schema it controls.
run_psql() {
    { PGOPTIONS="-c search_path=pg_catalog,pg_temp" psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$SOCKET_PORT" -U "$SUPERUSER" -d postgres "$@" >/dev/null; } 2>&1
}

SUPERUSER=${POSTGRES_USER:-postgres}

main() {
    [[ ${1:-} == postgres ]] || die "usage: $SELF postgres [postgres options...]"
    [[ $SUPERUSER =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "POSTGRES_USER must be a plain role name: lower case letters, digits and _ (got \"$SUPERUSER\")"
    local file=${PG_PLATFORM_INIT_SQL:-} database=${POSTGRES_DB:-$SUPERUSER}
    if [[ $database == postgres ]]; then database=; fi
    if [[ -z $file && -z $database ]] || wants_no_server "${@:2}"; then return 0; fi
    [[ -n ${PGDATA:-} ]] || die "PGDATA must be set: the data directory"
    if [[ ! -f $PGDATA/PG_VERSION ]]; then return 0; fi
    if [[ -f $PGDATA/standby.signal || -f $PGDATA/recovery.signal ]]; then
        say "$PGDATA is a standby; it receives roles and databases from its primary"
        return 0
    fi
    if [[ -n $file && ! -f $file ]]; then
        say "no init SQL at $file; nothing applied"
        file=
    fi
    if [[ -z $file && -z $database ]]; then return 0; fi
    # PostgreSQL refuses to run as root: run again as postgres, as the entrypoint does.
    if (($(id -u) == 0)); then
        command -v setpriv >/dev/null || die "started as root, and setpriv (util-linux) is missing to switch to the postgres user"
        exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
    fi

    start_server "$@"
    local output
    if [[ -n $database ]]; then
        # POSTGRES_DB, as the official image creates it; the name travels as a psql variable.
        if ! output=$(run_psql -v "database=$database" <<'SQL'
SELECT pg_catalog.format('CREATE DATABASE %I', :'database') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = :'database')
\gexec
SQL
        ); then
            stop_server
            die "creating database $database in $PGDATA failed: ${output//$'\n'/ }"
        fi
    fi
    if [[ -n $file ]] && ! output=$(run_psql -f "$file"); then
        stop_server
        die "applying $file to the existing cluster in $PGDATA failed: ${output//$'\n'/ }"
    fi
    stop_server
    if [[ -n $output ]]; then printf '%s\n' "$output" >&2; fi
    if [[ -n $file ]]; then say "applied $file to the existing cluster in $PGDATA"; fi
}

main "$@"
