#!/usr/bin/env bash
# Healthcheck of the pg-platform PostgreSQL image. Exit 0 healthy, 1 unhealthy (one line on
# stderr saying why), as Docker and Kubernetes exec probes expect.
#
#   healthcheck.sh [--role primary|replica] [--available ext,...] [--preloaded lib,...]
#
# Healthy means: the server accepts connections and answers a query; it runs the image's major
# (PG_MAJOR, when set: not an old major kept serving after a refused upgrade); it is the real server,
# not the temporary one the entrypoint runs for the init SQL (that one listens on
# no TCP address, so a healthy status would let the pools start too early); with --role,
# a primary is not in recovery and a replica is; every --available extension is installed in
# the image (pg_available_extensions) and every --preloaded library is in
# shared_preload_libraries.
#
# Connects with libpq's defaults and environment (PGHOST, PGPORT, PGUSER, PGDATABASE,
# PGPASSFILE...): inside the image that is the postgres user over the local socket.
set -euo pipefail

readonly SELF=healthcheck

unhealthy() {
    printf '%s: %s\n' "$SELF" "$*" >&2
    exit 1
}

role='' available='' preloaded=''
while (($# > 0)); do
    case $1 in
        --role | --available | --preloaded)
            (($# >= 2)) || unhealthy "$1 needs a value"
            case $1 in
                --role) role=$2 ;;
                --available) available=$2 ;;
                --preloaded) preloaded=$2 ;;
            esac
            shift 2
            ;;
        *) unhealthy "unknown argument \"$1\" (expected --role, --available or --preloaded)" ;;
    esac
done
case $role in '' | primary | replica) ;; *) unhealthy "--role must be primary or replica (got \"$role\")" ;; esac

export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-5}
pg_isready -q || unhealthy "not accepting connections"

# One round trip: listen_addresses | in recovery | missing extensions | missing preloads.
# Lists travel as psql variables, quoted by psql (:'name'), never spliced into the SQL.
# It runs as the superuser, periodically: every name is schema-qualified and the search_path is
# fixed at connection (PGOPTIONS outranks a database's own setting), so no database owner can
# make it call a function of theirs.
state=$(PGOPTIONS="-c search_path=pg_catalog,pg_temp" psql -X -A -t -q -v ON_ERROR_STOP=1 -v "available=$available" -v "preloaded=$preloaded" 2>&1 <<'SQL'
SELECT pg_catalog.concat_ws('|',
    pg_catalog.current_setting('server_version_num')::int / 10000,
    pg_catalog.current_setting('listen_addresses'),
    pg_catalog.pg_is_in_recovery(),
    coalesce((SELECT pg_catalog.string_agg(name, ',') FROM pg_catalog.unnest(pg_catalog.string_to_array(:'available', ',')) AS name
      WHERE name OPERATOR(pg_catalog.<>) '' AND name NOT IN (SELECT a.name FROM pg_catalog.pg_available_extensions a)), ''),
    coalesce((SELECT pg_catalog.string_agg(lib, ',') FROM pg_catalog.unnest(pg_catalog.string_to_array(:'preloaded', ',')) AS lib
      WHERE lib OPERATOR(pg_catalog.<>) '' AND lib OPERATOR(pg_catalog.<>) ALL (pg_catalog.string_to_array(pg_catalog.replace(pg_catalog.current_setting('shared_preload_libraries'), ' ', ''), ','))), ''));
SQL
) || unhealthy "query failed: ${state//$'\n'/ }"

IFS='|' read -r major listen in_recovery missing_available missing_preloaded <<<"$state"
# A refused major-version upgrade leaves the old major serving the old cluster (the entrypoint's
# fallback): the server answers, but it is not the one this image is for.
[[ -z ${PG_MAJOR:-} || $major == "$PG_MAJOR" ]] || unhealthy "serving PostgreSQL $major, but this image is PostgreSQL $PG_MAJOR: the major-version upgrade was refused (the container's log has pg_upgrade's report)"
[[ -n $listen ]] || unhealthy "initialisation server (listen_addresses is empty); the real server is not up yet"
[[ $role != primary || $in_recovery == f ]] || unhealthy "expected a primary, but the server is in recovery"
[[ $role != replica || $in_recovery == t ]] || unhealthy "expected a replica, but the server is not in recovery"
[[ -z $missing_available ]] || unhealthy "extensions missing from the image: $missing_available"
[[ -z $missing_preloaded ]] || unhealthy "not in shared_preload_libraries: $missing_preloaded"
