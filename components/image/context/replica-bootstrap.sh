#!/usr/bin/env bash
# Replica bootstrap of the pg-platform PostgreSQL image: clones the primary into an empty data
# directory as a streaming standby, then runs the command it was given (the image's entrypoint).
#
#   replica-bootstrap.sh [command args...]
#
# Environment:
#   PRIMARY_HOST               primary's host name (required)
#   PRIMARY_PORT               its port (default 5432)
#   REPLICATION_USER           role with REPLICATION (default replicator)
#   REPLICATION_PASSWORD_FILE  file holding that role's password (required)
#   REPLICATION_SLOT           physical slot on the primary this replica streams from (required)
#   PGDATA                     data directory (set by the image)
#   REPLICATION_PASSFILE       libpq password file written from REPLICATION_PASSWORD_FILE and
#                              named in primary_conninfo (default: beside PGDATA,
#                              <parent of PGDATA>/replication.pgpass), rewritten on every start
#                              so a rotated password takes effect
#   PRIMARY_SSLMODE            libpq sslmode for replication (default prefer)
#   PRIMARY_WAIT_SECONDS       how long to wait for the primary (default 300)
#
# PGDATA missing or empty: wait for the primary, check the slot exists, then
# `pg_basebackup -R -S <slot>` (standby.signal, primary_conninfo and primary_slot_name written).
# PGDATA already a standby (standby.signal present): a restart; nothing is cloned, unless the
# primary answers with another system identifier (a new cluster: pg_upgrade to a new major, or
# a restore, made it): that standby can never follow it, so it is emptied and cloned again.
# So is a standby that went past the point where the primary's current timeline forked off its
# own (the primary was restored to an earlier time: same system identifier, new timeline).
# After a clone, standbys of other majors left on the volume (<volume>/<major>/docker or
# <volume>/data, from before the primary's major-version upgrade) are deleted: nothing stale stays.
# PGDATA holding anything else (a primary's cluster, stray files): refused with exit 1 and left
# exactly as it was. Only standby data directories are ever deleted.
set -euo pipefail

readonly SELF=replica-bootstrap

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require() {
    [[ -n ${!1:-} ]] || die "$1 must be set: $2"
}
require PGDATA "the data directory"
require PRIMARY_HOST "the host name of the primary"
require REPLICATION_SLOT "the physical slot of this replica on the primary"
require REPLICATION_PASSWORD_FILE "a file holding the replication password"
port=${PRIMARY_PORT:-5432}
user=${REPLICATION_USER:-replicator}
wait_seconds=${PRIMARY_WAIT_SECONDS:-300}
passfile=${REPLICATION_PASSFILE:-$(dirname "$PGDATA")/replication.pgpass}
[[ $REPLICATION_SLOT =~ ^[a-z0-9_]{1,63}$ ]] || die "REPLICATION_SLOT must be lower case letters, digits and _ (got \"$REPLICATION_SLOT\")"
[[ $port =~ ^[1-9][0-9]{0,4}$ ]] || die "PRIMARY_PORT must be a port number (got \"$port\")"
[[ $wait_seconds =~ ^[0-9]{1,6}$ ]] || die "PRIMARY_WAIT_SECONDS must be a whole number of seconds (got \"$wait_seconds\")"
[[ -r $REPLICATION_PASSWORD_FILE ]] || die "cannot read REPLICATION_PASSWORD_FILE $REPLICATION_PASSWORD_FILE"

# A libpq password file for the replication role only; ':' and '\' are escaped as its format asks.
pgpass_escape() {
    local text=${1//\\/\\\\}
    printf '%s' "${text//:/\\:}"
}
write_passfile() {
    local password
    password=$(<"$REPLICATION_PASSWORD_FILE")
    [[ -n $password ]] || die "REPLICATION_PASSWORD_FILE $REPLICATION_PASSWORD_FILE is empty"
    # On a fresh volume even the parent of PGDATA may not exist yet.
    mkdir -p "$(dirname "$passfile")"
    (
        umask 077
        printf '*:*:*:%s:%s\n' "$(pgpass_escape "$user")" "$(pgpass_escape "$password")" >"$passfile.tmp"
    )
    mv -f "$passfile.tmp" "$passfile"
}

# Key=value connection string; values are quoted as libpq's conninfo syntax asks.
conninfo_value() {
    local text=${1//\\/\\\\}
    printf "'%s'" "${text//\'/\\\'}"
}
conninfo() {
    printf 'host=%s port=%s user=%s passfile=%s application_name=%s sslmode=%s' \
        "$(conninfo_value "$PRIMARY_HOST")" "$port" "$(conninfo_value "$user")" "$(conninfo_value "$passfile")" \
        "$REPLICATION_SLOT" "$(conninfo_value "${PRIMARY_SSLMODE:-prefer}")"
}

wait_for_primary() {
    local deadline=$((SECONDS + wait_seconds))
    until pg_isready -q -h "$PRIMARY_HOST" -p "$port" -t 2; do
        ((SECONDS < deadline)) || die "primary $PRIMARY_HOST:$port not accepting connections after ${wait_seconds}s"
        sleep 1
    done
}

check_slot() {
    local slot_type
    # READ_REPLICATION_SLOT (PostgreSQL 15+) answers on a replication connection, which the
    # replication role may open even where pg_hba.conf gives it no database.
    slot_type=$(psql -X -A -t -q -d "$(conninfo) replication=true" -c "READ_REPLICATION_SLOT $REPLICATION_SLOT" 2>&1) ||
        die "cannot query the primary as $user: ${slot_type//$'\n'/ }"
    slot_type=${slot_type%%|*}
    [[ -n $slot_type ]] || die "replication slot \"$REPLICATION_SLOT\" does not exist on the primary $PRIMARY_HOST:$port"
    [[ $slot_type == physical ]] || die "replication slot \"$REPLICATION_SLOT\" on the primary is $slot_type, not physical"
}

# The primary's system identifier (IDENTIFY_SYSTEM on a replication connection), or nothing
# when it does not answer within a few seconds.
primary_system_id() {
    local answer
    answer=$(PGCONNECT_TIMEOUT=5 psql -X -A -t -q -d "$(conninfo) replication=true" -c IDENTIFY_SYSTEM 2>/dev/null) || return 0
    printf '%s' "${answer%%|*}"
}

# Whether the standby in PGDATA belongs to another cluster than the primary's.
foreign_standby() {
    local ours theirs
    ours=$(pg_controldata "$PGDATA" 2>/dev/null | sed -n 's/^Database system identifier: *//p')
    theirs=$(primary_system_id)
    if [[ -z $theirs ]]; then
        say "the primary does not answer; starting the standby as it is (its system identifier is checked on the next start)"
        return 1
    fi
    [[ -n $ours && $ours != "$theirs" ]]
}

# An LSN (X/Y, hexadecimal) as one number, for comparisons.
lsn_number() {
    local high=${1%/*} low=${1#*/}
    printf '%d' $(((16#$high << 32) | 16#$low))
}

# The primary's timeline history file for a timeline (TIMELINE_HISTORY answers its content as
# bytea, \x and hexadecimal digits, on current servers), as text.
primary_timeline_history() {
    local answer hex text='' i
    answer=$(PGCONNECT_TIMEOUT=5 psql -X -A -t -q -d "$(conninfo) replication=true" -c "TIMELINE_HISTORY $1" 2>/dev/null) || return 1
    hex=${answer#*|}
    # Older servers answer the content as text.
    if [[ $hex != \\x* ]]; then
        printf '%s\n' "$hex"
        return 0
    fi
    hex=${hex#\\x}
    [[ $hex =~ ^[0-9a-f]*$ ]] || return 1
    for ((i = 0; i < ${#hex}; i += 2)); do text+="\x${hex:i:2}"; done
    printf '%b' "$text"
}

# Whether the standby in PGDATA went past the point where the primary's timeline forked off its
# own: the primary was restored to an earlier time (backup.restore, or by hand), so it keeps
# the system identifier but starts a new timeline, and PostgreSQL would refuse to follow it
# ("requested timeline is not a child of this server's history") for ever.
diverged_standby() {
    local control ours checkpoint minimum answer theirs switchpoint furthest
    control=$(pg_controldata "$PGDATA" 2>/dev/null) || return 1
    ours=$(sed -n "s/^Latest checkpoint's TimeLineID: *//p" <<<"$control")
    checkpoint=$(sed -n 's/^Latest checkpoint location: *//p' <<<"$control")
    minimum=$(sed -n 's/^Minimum recovery ending location: *//p' <<<"$control")
    answer=$(PGCONNECT_TIMEOUT=5 psql -X -A -t -q -d "$(conninfo) replication=true" -c IDENTIFY_SYSTEM 2>/dev/null) || return 1
    IFS='|' read -r _ theirs _ <<<"$answer"
    [[ $ours =~ ^[0-9]+$ && $theirs =~ ^[0-9]+$ && $checkpoint == */* ]] || return 1
    ((theirs > ours)) || return 1
    # One "parent timeline <tab> switch point <tab> reason" line per fork; ours ends at its switch point.
    switchpoint=$(primary_timeline_history "$theirs" | awk -v tli="$ours" '$1 == tli { print $2; exit }') || return 1
    [[ -n $switchpoint ]] || return 0
    furthest=$checkpoint
    if [[ $minimum == */* ]] && (($(lsn_number "$minimum") > $(lsn_number "$furthest"))); then furthest=$minimum; fi
    (($(lsn_number "$furthest") > $(lsn_number "$switchpoint")))
}

# Standbys of other majors on the volume (PGDATA is <volume>/<major>/docker; <volume>/data in
# the official image's layout before 18): left by the replica's previous image before the
# primary's major-version upgrade.
remove_stale_standbys() {
    local root dir
    [[ $PGDATA == */[0-9]*/docker ]] || return 0
    root=$(dirname "$(dirname "$PGDATA")")
    for dir in "$root"/*/docker "$root/data"; do
        [[ $dir != "$PGDATA" && ! -L $dir && -f $dir/standby.signal ]] || continue
        say "removing $dir: a standby of PostgreSQL $(cat "$dir/PG_VERSION" 2>/dev/null || echo '?') left from before the primary's upgrade"
        rm -rf -- "$dir"
    done
}

clone() {
    wait_for_primary
    check_slot
    mkdir -p "$PGDATA"
    chmod 0700 "$PGDATA"
    say "cloning $PRIMARY_HOST:$port through slot $REPLICATION_SLOT into $PGDATA"
    pg_basebackup --pgdata="$PGDATA" --dbname="$(conninfo)" --slot="$REPLICATION_SLOT" \
        --write-recovery-conf --wal-method=stream --checkpoint=fast --no-password ||
        die "pg_basebackup from $PRIMARY_HOST:$port failed"
    # A primary restored from a backup keeps the restore's settings in postgresql.auto.conf
    # (pgBackRest writes restore_command and recovery_target_*): copied into a standby they would
    # make it stop and promote itself at that target instead of following the primary.
    sed -i -E '/^[[:space:]]*(restore_command|recovery_target[a-z_]*)[[:space:]]*=/d' "$PGDATA/postgresql.auto.conf"
    remove_stale_standbys
}

data_state() {
    if [[ ! -e $PGDATA ]]; then
        echo absent
    elif [[ ! -d $PGDATA ]]; then
        echo other
    elif [[ -f $PGDATA/PG_VERSION && -f $PGDATA/standby.signal ]]; then
        echo standby
    elif [[ -z $(find "$PGDATA" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
        echo empty
    elif [[ -f $PGDATA/PG_VERSION ]]; then
        echo cluster
    else
        echo other
    fi
}

main() {
    case $(data_state) in
        standby)
            write_passfile
            if foreign_standby; then
                say "$PGDATA is a standby of another cluster than the primary's (system identifiers differ: the primary was upgraded or restored); cloning it again"
                find "$PGDATA" -mindepth 1 -delete
                clone
            elif diverged_standby; then
                say "$PGDATA is a standby that went past the point where the primary's timeline began (the primary was restored to an earlier time); cloning it again"
                find "$PGDATA" -mindepth 1 -delete
                clone
            else
                say "$PGDATA is already a standby; starting it without cloning"
            fi
            ;;
        absent | empty)
            write_passfile
            clone
            ;;
        cluster) die "$PGDATA already holds a cluster that is not a standby; refusing to touch it (clone into an empty directory)" ;;
        *) die "$PGDATA is not empty and holds no cluster; refusing to touch it (clone into an empty directory)" ;;
    esac
    if (($# > 0)); then exec "$@"; fi
}

main "$@"
