#!/usr/bin/env bash
# Restore-as-configuration of the pg-platform PostgreSQL image (`backup.restore`): fills an empty
# data directory from a pgBackRest repository instead of initdb, then runs the command it was
# given (the image's entrypoint), exactly as replica-bootstrap.sh does for a replica.
#
#   restore-from-backup.sh [command args...]
#
# Environment:
#   PG_PLATFORM_RESTORE_TYPE         time | name | default (unset: nothing to restore, the command runs)
#   PG_PLATFORM_RESTORE_TARGET       the time (ISO 8601 with zone) or restore point; none for default
#   PG_PLATFORM_RESTORE_CONFIG       pgbackrest.conf naming the repository restored from
#   PG_PLATFORM_RESTORE_CONFIG_PATH  pgBackRest --config-path holding its secret file (S3 keys, cipher pass)
#   PG_PLATFORM_RESTORE_STANZA       the stanza (the platform's: pg-platform)
#   PGDATA                           data directory (set by the image)
#
# PGDATA missing or empty: `pgbackrest restore` into it, recovery to the target then promotion
# (time, name) or to the end of the archive (default); the server the command starts does the
# recovery. PGDATA holding a cluster: a restart, nothing is restored. A restore that did not
# finish (its marker beside PGDATA) is refused rather than started half-restored; PGDATA holding
# anything else is refused too. Nothing here ever deletes a data directory.
set -euo pipefail

readonly SELF=restore-from-backup

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly TYPE=${PG_PLATFORM_RESTORE_TYPE:-}
[[ -n $TYPE ]] || exec "$@"

[[ -n ${PGDATA:-} ]] || die "PGDATA must be set: the data directory"
readonly TARGET=${PG_PLATFORM_RESTORE_TARGET:-}
case $TYPE in
    time | name) [[ -n $TARGET ]] || die "PG_PLATFORM_RESTORE_TARGET must be set for a restore of type $TYPE" ;;
    default) [[ -z $TARGET ]] || die "PG_PLATFORM_RESTORE_TARGET must be empty for a restore to the end of the archive (type default)" ;;
    *) die "PG_PLATFORM_RESTORE_TYPE must be time, name or default (got \"$TYPE\")" ;;
esac
readonly CONFIG=${PG_PLATFORM_RESTORE_CONFIG:-}
readonly CONFIG_PATH=${PG_PLATFORM_RESTORE_CONFIG_PATH:-}
readonly STANZA=${PG_PLATFORM_RESTORE_STANZA:-}
[[ -r $CONFIG ]] || die "cannot read PG_PLATFORM_RESTORE_CONFIG \"$CONFIG\""
[[ -n $CONFIG_PATH ]] || die "PG_PLATFORM_RESTORE_CONFIG_PATH must name pgBackRest's config path"
[[ $STANZA =~ ^[a-z0-9-]{1,63}$ ]] || die "PG_PLATFORM_RESTORE_STANZA must be a stanza name (got \"$STANZA\")"
(($(id -u) != 0)) || die "run as the postgres user (the image's USER), not root: the restored files must be the server's"

MARKER=$(dirname "$PGDATA")/restore-in-progress
readonly MARKER
[[ ! -e $MARKER ]] || die "a restore into $PGDATA did not finish ($MARKER is there); empty the data volume (remove $PGDATA and $MARKER) to restore again"
if [[ -f $PGDATA/PG_VERSION ]]; then
    say "$PGDATA holds a cluster: a restart, nothing to restore"
    exec "$@"
fi
if [[ -e $PGDATA && -n $(find "$PGDATA" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
    die "$PGDATA is not empty and holds no cluster; refusing to restore over it"
fi

mkdir -p "$PGDATA"
chmod 0700 "$PGDATA"
touch "$MARKER"
options=(--config="$CONFIG" --config-path="$CONFIG_PATH" --stanza="$STANZA" --type="$TYPE")
[[ $TYPE == default ]] || options+=("--target=$TARGET" --target-action=promote)
say "restoring $PGDATA from the repository of $CONFIG: type $TYPE${TARGET:+, target $TARGET}"
pgbackrest "${options[@]}" restore || die "pgbackrest restore failed (above); $PGDATA is left as it is, with $MARKER"
# The archiver's stanza marker (render/pgbackrest.ts STANZA_MARKER) came with the files: this
# server archives into its own repository, whose stanza it must create the first time.
rm -f -- "$PGDATA/pg-platform-stanza-created"
rm -f -- "$MARKER"
say "restored; the server recovers${TARGET:+ to $TARGET} and is promoted"
exec "$@"
