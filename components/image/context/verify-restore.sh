#!/usr/bin/env bash
# Scheduled restore verification (backup.verify): restores the repository's latest backup,
# with every archived WAL segment after it, into a scratch data directory of this container,
# starts a throwaway server on it (this user, socket only, no archiving), and checks it:
#   - it opens (recovery ends and it promotes);
#   - pg_amcheck finds no corruption in the catalog and in the largest tables of each database;
#   - each of those tables has as many rows as the primary had, between a count taken before
#     the restore and one taken after (the lag: writes during the run may differ).
# The outcome, the backup it restored and the restore's seconds are written on the primary
# (over its socket, as the superuser pgBackRest already needs) into pgplatform.backup_verification
# of the maintenance database, which the exporter serves as pg_platform_backup_verification_*.
# Exit status 0 only when every check passed; a failure is recorded too.
#
# Environment: PGBACKREST_CONFIG and PGBACKREST_STANZA (as for pgBackRest; required), PGHOST
# (the primary's socket folder, default /var/run/postgresql), PGPORT (default 5432),
# VERIFY_SCRATCH (default /tmp/pg-platform-verify; needs room for the whole database),
# VERIFY_SAMPLE_TABLES (largest tables checked per database, default 3).
set -euo pipefail

SELF=verify-restore
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n ${PGBACKREST_CONFIG:-} && -n ${PGBACKREST_STANZA:-} ]] || die "PGBACKREST_CONFIG and PGBACKREST_STANZA must be set"
export PGHOST=${PGHOST:-/var/run/postgresql} PGPORT=${PGPORT:-5432} PGUSER=postgres
readonly SCRATCH=${VERIFY_SCRATCH:-/tmp/pg-platform-verify}
readonly SAMPLE=${VERIFY_SAMPLE_TABLES:-3}
[[ $SAMPLE =~ ^[0-9]+$ ]] || die "VERIFY_SAMPLE_TABLES must be a whole number (got \"$SAMPLE\")"
readonly DATA=$SCRATCH/data
# The server binaries of the image's major (PATH may be cron's bare one).
BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)
readonly BIN

primary() { psql -XAtq -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
scratch() { psql -XAtq -v ON_ERROR_STOP=1 -h "$SCRATCH" -p 5432 -d "$1" -c "$2"; }

# Records the outcome on the primary; $1 success (true/false), $2 detail.
record() {
    psql -XAtq -v ON_ERROR_STOP=1 -d postgres -v success="$1" -v detail="$2" -v label="${LABEL:-}" \
        -v started="$STARTED" -v restore="${RESTORE_SECONDS:-}" <<'SQL'
INSERT INTO pgplatform.backup_verification (started_at, success, backup_label, restore_seconds, duration_seconds, detail)
VALUES (to_timestamp(:'started'), :'success', NULLIF(:'label', ''), NULLIF(:'restore', '')::float8,
        extract(epoch FROM clock_timestamp()) - :'started'::float8, :'detail');
SQL
}

stop_scratch() {
    if [[ -f $DATA/postmaster.pid ]]; then "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$SCRATCH"
}

fail() {
    say "FAILED: $*"
    [[ -f $SCRATCH/server.log ]] && tail -n 20 "$SCRATCH/server.log" >&2
    record false "$*" || say "could not record the failure on the primary"
    exit 1
}

# "db<TAB>table" lines: the largest ordinary tables of every database the primary accepts connections to.
sample_tables() {
    local db
    for db in $(primary postgres "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1"); do
        primary "$db" "SELECT current_database() || chr(9) || format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
            ORDER BY pg_total_relation_size(c.oid) DESC, 1 LIMIT $SAMPLE"
    done
}

counts() { # $1: primary or scratch; one count per sampled table, in order
    local entry
    for entry in "${SAMPLED[@]}"; do "$1" "${entry%%$'\t'*}" "SELECT count(*) FROM ${entry#*$'\t'}"; done
}

restore_and_start() {
    rm -rf "$SCRATCH" && mkdir -p "$DATA" && chmod 0700 "$DATA"
    pgbackrest --pg1-path="$DATA" --archive-mode=off --type=default restore || fail "pgbackrest restore failed"
    printf 'local all postgres peer\n' >"$SCRATCH/pg_hba.conf"
    # Socket only, in the scratch folder; nothing archived; no preloaded library the checks need;
    # no hot standby (its checks want the writer's auto-tuned limits; nobody reads during recovery);
    # no event triggers (pgAudit's need its library, which is not loaded here).
    "$BIN/pg_ctl" -D "$DATA" -l "$SCRATCH/server.log" -w -t 3600 start -o "-c listen_addresses='' -c port=5432 \
        -c unix_socket_directories='$SCRATCH' -c hba_file='$SCRATCH/pg_hba.conf' -c archive_mode=off -c hot_standby=off -c event_triggers=off \
        -c shared_preload_libraries='' -c max_parallel_workers_per_gather=0" >/dev/null || fail "the restored cluster did not start"
    local i
    for ((i = 0; i < 3600; i++)); do
        [[ $(scratch postgres "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && return 0
        sleep 1
    done
    fail "the restored cluster did not finish recovery"
}

STARTED=$(date +%s.%N)
trap stop_scratch EXIT
LABEL=$(pgbackrest info | sed -n 's/^ *\(full\|diff\|incr\) backup: //p' | tail -n 1)
[[ -n $LABEL ]] || fail "the repository holds no backup"
LISTED=$(sample_tables) || fail "could not list the primary's tables"
mapfile -t SAMPLED < <(grep . <<<"$LISTED" || true)
mapfile -t BEFORE < <(counts primary)
# Forces a WAL switch on the primary and waits until that segment is archived, so every row
# counted above is in the repository.
pgbackrest check || fail "pgbackrest check failed (the primary's WAL does not reach the repository)"

say "restoring $LABEL into $DATA"
RESTORE_STARTED=$(date +%s.%N)
restore_and_start
RESTORE_SECONDS=$(awk -v a="$RESTORE_STARTED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
say "restored and open in $RESTORE_SECONDS s"

AMCHECK=(--schema=pg_catalog)
for entry in "${SAMPLED[@]}"; do AMCHECK+=("--table=${entry%%$'\t'*}.${entry#*$'\t'}"); done
"$BIN/pg_amcheck" -h "$SCRATCH" -p 5432 --all --install-missing "${AMCHECK[@]}" >&2 || fail "pg_amcheck failed (corruption, or an error shown above)"
mapfile -t RESTORED < <(counts scratch) || fail "the restored tables cannot be read"
mapfile -t AFTER < <(counts primary)
((${#RESTORED[@]} == ${#SAMPLED[@]})) || fail "the restored tables cannot be read"
for i in "${!SAMPLED[@]}"; do
    before=${BEFORE[i]} restored=${RESTORED[i]} after=${AFTER[i]}
    low=$((before < after ? before : after)) high=$((before > after ? before : after))
    ((restored >= low && restored <= high)) ||
        fail "${SAMPLED[i]/$'\t'/.} has $restored rows restored, the primary $before before and $after after"
done

record true "${#SAMPLED[@]} tables counted, catalog and sample amchecked"
say "verified $LABEL (restore $RESTORE_SECONDS s)"
