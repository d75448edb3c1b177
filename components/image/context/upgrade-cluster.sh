#!/usr/bin/env bash
# Major-version upgrade of the pg-platform PostgreSQL image's cluster with pg_upgrade (issue 14).
# Run as the postgres user, with the server stopped, in a container that has both majors'
# binaries (/usr/lib/postgresql/<major>/bin) and the data volume mounted at ROOT:
#
#   upgrade-cluster.sh OLD NEW [ROOT]               upgrade ROOT/OLD/docker to ROOT/NEW/docker
#   upgrade-cluster.sh --rehearse OLD NEW [ROOT]    the same on a copy (cp -a) in a scratch folder
#                                                   under ROOT; reports, changes nothing live
#
# ROOT defaults to /var/lib/postgresql (the image's volume: both majors' PGDATA sit on it, so
# --link hard-links the data files instead of copying them). In order:
#   1. Refuses a downgrade, a same-major run, a missing or foreign old cluster, a running old
#      server, a new data directory that is not empty, and column options the new major refuses
#      (which pg_upgrade --check does not see).
#   2. initdb of the new cluster with the old one's encoding, locale (provider, collate, ctype),
#      data checksums and bootstrap superuser, SCRAM for host connections, peer for local ones,
#      the superuser's password read by initdb from POSTGRES_PASSWORD_FILE.
#   3. The old cluster's postgresql.conf, postgresql.auto.conf, pg_hba.conf and pg_ident.conf
#      are copied over the new ones (settings made with ALTER SYSTEM, preloads, authentication).
#   4. pg_upgrade --check; on failure its report is printed, the new directory removed, and the
#      exit status is 1: nothing of the old cluster changed.
#   5. pg_upgrade --link (PG_UPGRADE_MODE=copy or clone to choose another transfer mode).
#   6. The new cluster is started on a private socket, answers a query, and gets statistics:
#      18+ pg_upgrade carries optimizer statistics over, so only what it did not carry is
#      analysed (vacuumdb --all --analyze-in-stages --missing-stats-only); before 18, all of it.
#      It is then stopped cleanly.
#   7. The old cluster is left where it was; ROOT/UPGRADE-OLD-to-NEW.txt says how to roll back
#      and how to delete it once the new one has served well.
#
# Environment:
#   POSTGRES_PASSWORD_FILE  the superuser's password (first line) for the new cluster's initdb
#   PG_UPGRADE_MODE         link (default), copy or clone
#   PG_UPGRADE_OLD_OPTIONS  server options pg_upgrade gives the old server (-o), e.g. -c config_file=…
#   PG_UPGRADE_NEW_OPTIONS  server options pg_upgrade gives the new server (-O)
#   PG_UPGRADE_BINDIR_ROOT  where the majors' bin folders are (default /usr/lib/postgresql)
#   PG_UPGRADE_OLD_DATA     the old cluster, when not ROOT/OLD/docker (the official image kept
#                           PGDATA at ROOT/data before 18); on the same volume for --link
#   PG_UPGRADE_RESET_COLUMN_OPTIONS  true: remove column options the new major refuses (see
#                           check_column_options) instead of refusing the upgrade
# Any error is one line on stderr and exit status 1 (a failed --check also prints its report).
set -euo pipefail

readonly SELF=upgrade-cluster

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REHEARSE=false
if [[ ${1:-} == --rehearse ]]; then
    REHEARSE=true
    shift
fi
(($# == 2 || $# == 3)) || die "usage: upgrade-cluster.sh [--rehearse] OLD_MAJOR NEW_MAJOR [ROOT]"
readonly OLD=$1 NEW=$2
ROOT=${3:-/var/lib/postgresql}
[[ $OLD =~ ^[1-9][0-9]?$ ]] || die "OLD_MAJOR must be a PostgreSQL major such as 17 (got \"$OLD\")"
[[ $NEW =~ ^[1-9][0-9]?$ ]] || die "NEW_MAJOR must be a PostgreSQL major such as 18 (got \"$NEW\")"
((NEW != OLD)) || die "the cluster is already PostgreSQL $OLD: nothing to upgrade"
((NEW > OLD)) || die "a downgrade from $OLD to $NEW is refused: pg_upgrade only goes forward (restore a backup of $NEW instead)"
(($(id -u) != 0)) || die "run as the postgres user, not root (pg_upgrade refuses root)"
readonly MODE=${PG_UPGRADE_MODE:-link}
case $MODE in link | copy | clone) ;; *) die "PG_UPGRADE_MODE must be link, copy or clone (got \"$MODE\")" ;; esac

BINROOT=${PG_UPGRADE_BINDIR_ROOT:-/usr/lib/postgresql}
readonly OLD_BIN=$BINROOT/$OLD/bin NEW_BIN=$BINROOT/$NEW/bin
for tool in "$OLD_BIN/postgres" "$OLD_BIN/pg_controldata" "$NEW_BIN/postgres" "$NEW_BIN/initdb" "$NEW_BIN/pg_upgrade" "$NEW_BIN/pg_ctl" "$NEW_BIN/psql" "$NEW_BIN/vacuumdb"; do
    [[ -x $tool ]] || die "$tool is missing: this container needs both PostgreSQL $OLD and $NEW"
done
PASSWORD_FILE=${POSTGRES_PASSWORD_FILE:-}
[[ -n $PASSWORD_FILE && -r $PASSWORD_FILE && -s $PASSWORD_FILE ]] || die "POSTGRES_PASSWORD_FILE must name a readable, non-empty file with the superuser's password (the new cluster's initdb sets it)"

[[ -d $ROOT ]] || die "$ROOT is not a directory"
ROOT=$(cd "$ROOT" && pwd)
LIVE_OLD=${PG_UPGRADE_OLD_DATA:-$ROOT/$OLD/docker}
[[ -f $LIVE_OLD/PG_VERSION ]] || die "$LIVE_OLD holds no cluster (no PG_VERSION)"
[[ $(<"$LIVE_OLD/PG_VERSION") == "$OLD" ]] || die "$LIVE_OLD is PostgreSQL $(<"$LIVE_OLD/PG_VERSION"), not $OLD"
[[ ! -e $LIVE_OLD/postmaster.pid ]] || die "$LIVE_OLD has a postmaster.pid: stop the PostgreSQL $OLD server cleanly first (pg_ctl stop -m fast)"
[[ -f $LIVE_OLD/global/pg_control ]] || die "$LIVE_OLD/global/pg_control is missing (pg_control.old there means an earlier --link upgrade started the new cluster: see $ROOT/UPGRADE-$OLD-to-$NEW.txt)"
state=$("$OLD_BIN/pg_controldata" "$LIVE_OLD" | sed -n 's/^Database cluster state: *//p')
# A server killed before its shutdown checkpoint (a stop that outlived its grace period, the OOM
# killer) left "in production": the first start below (read_old_cluster) runs its crash
# recovery on the private socket and the fast stop after it leaves the cluster shut down cleanly,
# as pg_upgrade requires. Any other state (a standby, a restore in progress) is refused.
case $state in
    "shut down") ;;
    "in production") say "$LIVE_OLD was not shut down cleanly; PostgreSQL $OLD recovers it first (crash recovery, then a clean stop)" ;;
    *) die "$LIVE_OLD is not a cleanly stopped primary (state \"$state\"): pg_upgrade needs one" ;;
esac

# Every server this script starts listens only on a private socket folder (0700, this OS user
# alone can reach it) with a pg_hba.conf of its own there that trusts that socket: no password
# is handled and nothing else can connect while the upgrade runs.
SCRATCH=
SOCKET=$(mktemp -d "${TMPDIR:-/tmp}/upgrade-cluster.XXXXXX")
chmod 0700 "$SOCKET"
cleanup() {
    if [[ -n $SCRATCH ]]; then rm -rf "$SCRATCH"; fi
    rm -rf "$SOCKET"
}
trap cleanup EXIT
printf 'local all all trust\n' >"$SOCKET/pg_hba.conf"
readonly PRIVATE="-c listen_addresses='' -c unix_socket_directories='$SOCKET' -c hba_file='$SOCKET/pg_hba.conf'"

if $REHEARSE; then
    # A copy on the same volume, so --link behaves as it will for real.
    SCRATCH=$(mktemp -d "$ROOT/rehearse-$OLD-to-$NEW.XXXXXX")
    mkdir -p "$SCRATCH/$OLD"
    say "rehearsal: copying $LIVE_OLD to $SCRATCH/$OLD/docker"
    cp -a "$LIVE_OLD" "$SCRATCH/$OLD/docker"
    WORK_ROOT=$SCRATCH
else
    WORK_ROOT=$ROOT
fi
if $REHEARSE; then OLD_DATA=$SCRATCH/$OLD/docker; else OLD_DATA=$LIVE_OLD; fi
readonly OLD_DATA NEW_DATA=$WORK_ROOT/$NEW/docker
if [[ -e $NEW_DATA && -n $(find "$NEW_DATA" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
    die "$NEW_DATA is not empty: remove it (a failed earlier attempt) or check that it is not a live PostgreSQL $NEW cluster"
fi
readonly NOTE=$ROOT/UPGRADE-$OLD-to-$NEW.txt
began=$SECONDS

# What the new cluster must share with the old: superuser, encoding, locale, checksums.
read_old_cluster() {
    local log=$SOCKET/old.log query
    "$OLD_BIN/pg_ctl" -D "$OLD_DATA" -l "$log" -w -t 120 -o "$PRIVATE -c port=5432 ${PG_UPGRADE_OLD_OPTIONS:-}" start >/dev/null ||
        die "PostgreSQL $OLD did not start on $OLD_DATA to read its settings: $(tail -n 3 "$log" | tr '\n' ' ')"
    query="SELECT r.rolname, pg_encoding_to_char(d.encoding), d.datlocprovider, d.datcollate, d.datctype, coalesce(d.datlocale, '') FROM pg_database d, pg_authid r WHERE d.datname = 'template1' AND r.oid = 10"
    # Any role name will do to connect over the trusted socket; the bootstrap superuser (oid 10) is read.
    OLD_CLUSTER=$("$NEW_BIN/psql" -XAtq -F '|' -h "$SOCKET" -p 5432 -U "$(id -un)" -d template1 -c "$query" 2>&1) || OLD_CLUSTER="ERROR $OLD_CLUSTER"
    if [[ $OLD_CLUSTER != ERROR* ]]; then check_column_options; fi
    "$OLD_BIN/pg_ctl" -D "$OLD_DATA" -w -t 120 -m fast stop >/dev/null || die "PostgreSQL $OLD did not stop on $OLD_DATA"
    [[ $OLD_CLUSTER != ERROR* ]] || die "cannot read the old cluster's superuser and locale: ${OLD_CLUSTER//$'\n'/ }"
    [[ -z $BAD_OPTIONS ]] || die "$BAD_OPTIONS"
}

# Column options (attoptions) other than n_distinct / n_distinct_inherited: the new pg_dump
# carries them into the new cluster, which refuses them and fails pg_upgrade after --check passed.
# Debian trixie's PostgreSQL 17.12 stores "pg_attver=<n>" on every column it creates (seen
# 2026-11-29). PG_UPGRADE_RESET_COLUMN_OPTIONS=true removes them first (an update of
# pg_attribute by the superuser), on the copy when rehearsing, else on the old cluster.
BAD_OPTIONS=
check_column_options() {
    local databases db found fixed
    # Relations whose column options pg_dump writes (ALTER TABLE ... ALTER COLUMN ... SET): not views.
    local where="c.oid >= 16384 AND c.relkind IN ('r', 'p', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND EXISTS (SELECT 1 FROM unnest(a.attoptions) AS o WHERE split_part(o, '=', 1) NOT IN ('n_distinct', 'n_distinct_inherited'))"
    local slots
    databases=$("$NEW_BIN/psql" -XAtq -h "$SOCKET" -p 5432 -U "$(id -un)" -d template1 -c "SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1") || { BAD_OPTIONS="cannot list the old cluster's databases"; return; }
    slots=$("$NEW_BIN/psql" -XAtq -h "$SOCKET" -p 5432 -U "$(id -un)" -d template1 -c "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical'") || { BAD_OPTIONS="cannot count the old cluster's logical slots"; return; }
    while IFS= read -r db; do
        found=$("$NEW_BIN/psql" -XAtq -h "$SOCKET" -p 5432 -U "$(id -un)" -d "$db" -c "SELECT count(*) || ' ' || coalesce(string_agg(DISTINCT split_part(o, '=', 1), ','), '') FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid, unnest(a.attoptions) AS o WHERE $where AND split_part(o, '=', 1) NOT IN ('n_distinct', 'n_distinct_inherited')") || { BAD_OPTIONS="cannot read column options in database $db"; return; }
        [[ $found != "0 "* ]] || continue
        if [[ ${PG_UPGRADE_RESET_COLUMN_OPTIONS:-false} == true && $slots != 0 ]]; then
            # Removing them here writes WAL after the slots' consumers caught up: pg_upgrade would
            # then refuse the slots ("has not consumed the WAL yet"). It must happen while the
            # server still serves, before the consumers' last catch-up (README has the statement).
            BAD_OPTIONS="database $db has ${found%% *} column option(s) PostgreSQL $NEW refuses (${found#* }) and the cluster has $slots logical slot(s): remove the options with the server running (README, Upgrading PostgreSQL majors), let the consumers catch up, then upgrade"
            return
        fi
        if [[ ${PG_UPGRADE_RESET_COLUMN_OPTIONS:-false} != true ]]; then
            BAD_OPTIONS="database $db has ${found%% *} column option(s) PostgreSQL $NEW refuses (${found#* }): pg_upgrade would fail after its --check passed; set PG_UPGRADE_RESET_COLUMN_OPTIONS=true to remove them first (rehearse with it)"
            return
        fi
        # ALTER TABLE ... ALTER COLUMN ... RESET does not do: 17.12 stamps pg_attver again on
        # every ALTER. The superuser's catalog update keeps only the options 18 knows.
        fixed=$("$NEW_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h "$SOCKET" -p 5432 -U "$(id -un)" -d "$db" 2>&1 <<SQL
UPDATE pg_attribute a
SET attoptions = (SELECT array_agg(o) FROM unnest(a.attoptions) AS o WHERE split_part(o, '=', 1) IN ('n_distinct', 'n_distinct_inherited'))
FROM pg_class c
WHERE c.oid = a.attrelid AND $where;
SQL
        ) || { BAD_OPTIONS="removing the column options in database $db failed: ${fixed//$'\n'/ }"; return; }
        say "database $db: removed ${found%% *} column option(s) PostgreSQL $NEW refuses (${found#* })"
    done <<<"$databases"
}
read_old_cluster
IFS='|' read -r SUPER ENCODING PROVIDER COLLATE CTYPE LOCALE <<<"$OLD_CLUSTER"
CHECKSUMS=$("$OLD_BIN/pg_controldata" "$OLD_DATA" | sed -n 's/^Data page checksum version: *//p')
initdb_args=(--pgdata="$NEW_DATA" --username="$SUPER" --pwfile="$PASSWORD_FILE" --auth-host=scram-sha-256 --auth-local=peer
    --encoding="$ENCODING" --lc-collate="$COLLATE" --lc-ctype="$CTYPE")
case $PROVIDER in
    c) initdb_args+=(--locale-provider=libc) ;;
    i) initdb_args+=(--locale-provider=icu --icu-locale="$LOCALE") ;;
    b) initdb_args+=(--locale-provider=builtin --builtin-locale="$LOCALE") ;;
    *) die "unknown locale provider \"$PROVIDER\" of the old cluster" ;;
esac
if [[ $CHECKSUMS == 0 ]]; then
    # 18's initdb turns checksums on by default; pg_upgrade needs both clusters alike.
    # (The help is read whole: grep -q closing the pipe early would fail it under pipefail.)
    initdb_help=$("$NEW_BIN/initdb" --help)
    if [[ $initdb_help == *--no-data-checksums* ]]; then initdb_args+=(--no-data-checksums); fi
else
    initdb_args+=(--data-checksums)
fi

say "PostgreSQL $OLD -> $NEW: superuser $SUPER, $ENCODING, locale provider $PROVIDER ($COLLATE), checksums $CHECKSUMS, mode $MODE$($REHEARSE && echo ', rehearsal on a copy')"
mkdir -p "$WORK_ROOT/$NEW"
if ! output=$("$NEW_BIN/initdb" "${initdb_args[@]}" 2>&1); then
    rm -rf "$NEW_DATA"
    rmdir "$WORK_ROOT/$NEW" 2>/dev/null || true
    die "initdb of $NEW_DATA failed: ${output//$'\n'/ }"
fi
for file in postgresql.conf postgresql.auto.conf pg_hba.conf pg_ident.conf; do
    if [[ -f $OLD_DATA/$file ]]; then cp "$OLD_DATA/$file" "$NEW_DATA/$file"; fi
done

# pg_upgrade writes its logs under the new cluster (pg_upgrade_output.d) and a
# delete_old_cluster.sh into its working directory: a scratch one (the note says how to delete).
mkdir "$SOCKET/work"
cd "$SOCKET/work"
upgrade_args=(--old-bindir="$OLD_BIN" --new-bindir="$NEW_BIN" --old-datadir="$OLD_DATA" --new-datadir="$NEW_DATA"
    --username="$SUPER" --socketdir="$SOCKET" "--$MODE"
    --old-options="-c hba_file='$SOCKET/pg_hba.conf' ${PG_UPGRADE_OLD_OPTIONS:-}" --new-options="-c hba_file='$SOCKET/pg_hba.conf' ${PG_UPGRADE_NEW_OPTIONS:-}")

write_note() {
    local target=$1
    cat >"$target" <<EOF
PostgreSQL $OLD -> $NEW with pg_upgrade --$MODE, $(date -u +%FT%TZ)
old cluster: $LIVE_OLD (kept)
new cluster: $ROOT/$NEW/docker

Rollback
$(if [[ $MODE == link ]]; then
        cat <<LINK
  --link shares the data files: once PostgreSQL $NEW has started, the old cluster must not start
  again (its files have been written by $NEW). This script starts it right after pg_upgrade, so
  this way back is only for a run that failed in pg_upgrade itself (before that start):
    mv $LIVE_OLD/global/pg_control.old $LIVE_OLD/global/pg_control
    rm -rf $ROOT/$NEW/docker
  and run the PostgreSQL $OLD image again. After it: restore the last backup taken on $OLD
  (or rehearse first: upgrade-cluster.sh --rehearse $OLD $NEW, and use PG_UPGRADE_MODE=copy
  where a rollback after the start must stay possible).
LINK
    else
        cat <<COPY
  --$MODE left the old cluster's files untouched: stop PostgreSQL $NEW, run the PostgreSQL $OLD
  image again (it uses $LIVE_OLD), and remove $ROOT/$NEW/docker.
COPY
    fi)

Once PostgreSQL $NEW has served well, delete the old cluster:
  rm -rf $ROOT/$OLD
EOF
}

check_began=$SECONDS
if ! report=$("$NEW_BIN/pg_upgrade" --check "${upgrade_args[@]}" 2>&1); then
    printf '%s\n' "$report" >&2
    # The files pg_upgrade names in its report (e.g. loadable_libraries.txt) before they go.
    find "$NEW_DATA" -path '*pg_upgrade_output.d*' -name '*.txt' -exec sh -c 'for f; do echo "--- $f"; cat "$f"; done' sh {} + >&2 || true
    rm -rf "$NEW_DATA"
    rmdir "$WORK_ROOT/$NEW" 2>/dev/null || true
    die "pg_upgrade --check from $OLD to $NEW failed (report above); nothing was upgraded, the new cluster was removed, PostgreSQL $OLD can start again on $LIVE_OLD"
fi
say "pg_upgrade --check passed in $((SECONDS - check_began)) s"

upgrade_began=$SECONDS
if ! report=$("$NEW_BIN/pg_upgrade" "${upgrade_args[@]}" 2>&1); then
    printf '%s\n' "$report" >&2
    # The errors of the logs it points at.
    find "$NEW_DATA" -path '*pg_upgrade_output.d*' -name '*.log' -exec grep -H -A2 -E 'ERROR|FATAL|error:' {} + >&2 || true
    if $REHEARSE; then die "the rehearsal of pg_upgrade from $OLD to $NEW failed (report above); the live cluster was not changed"; fi
    write_note "$NOTE"
    die "pg_upgrade from $OLD to $NEW failed (report above); the new cluster $NEW_DATA was never started: see $NOTE to roll back"
fi
say "pg_upgrade --$MODE done in $((SECONDS - upgrade_began)) s"

if ! $REHEARSE; then write_note "$NOTE"; fi

# The new cluster, alone on the private socket: does it answer, and statistics.
new_log=$SOCKET/new.log
"$NEW_BIN/pg_ctl" -D "$NEW_DATA" -l "$new_log" -w -t 300 -o "$PRIVATE -c port=5432 ${PG_UPGRADE_NEW_OPTIONS:-}" start >/dev/null ||
    die "PostgreSQL $NEW did not start on $NEW_DATA after pg_upgrade: $(tail -n 3 "$new_log" | tr '\n' ' ')"
stop_new() { "$NEW_BIN/pg_ctl" -D "$NEW_DATA" -w -t 300 -m fast stop >/dev/null; }
if ! version=$("$NEW_BIN/psql" -XAtq -h "$SOCKET" -p 5432 -U "$SUPER" -d postgres -c 'SHOW server_version_num' 2>&1) || [[ ${version:0:2} != "$NEW" ]]; then
    stop_new || true
    die "PostgreSQL $NEW on $NEW_DATA does not answer as $NEW after pg_upgrade: ${version//$'\n'/ }"
fi
stats_began=$SECONDS
vacuum_args=(--all --analyze-in-stages -h "$SOCKET" -p 5432 -U "$SUPER")
upgrade_help=$("$NEW_BIN/pg_upgrade" --help)
if [[ $upgrade_help == *--no-statistics* ]]; then
    # 18+: pg_upgrade carried the optimizer statistics; analyse what it did not (extended ones).
    vacuum_args+=(--missing-stats-only)
fi
if ! output=$("$NEW_BIN/vacuumdb" "${vacuum_args[@]}" 2>&1); then
    stop_new || true
    die "vacuumdb on PostgreSQL $NEW failed: ${output//$'\n'/ }"
fi
say "statistics: vacuumdb --all --analyze-in-stages$([[ ${vacuum_args[-1]} == --missing-stats-only ]] && echo ' --missing-stats-only (pg_upgrade carried the rest)') in $((SECONDS - stats_began)) s"
stop_new || die "PostgreSQL $NEW did not stop cleanly on $NEW_DATA"

if $REHEARSE; then
    say "rehearsal passed in $((SECONDS - began)) s on a copy of $LIVE_OLD (removed); the live cluster was not changed"
else
    say "PostgreSQL $NEW is ready on $NEW_DATA in $((SECONDS - began)) s; the old cluster stays on $LIVE_OLD until you delete it (see $NOTE)"
fi
