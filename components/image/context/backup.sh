#!/usr/bin/env bash
# A scheduled pgBackRest backup of the stack's writer: `backup.sh full` or `backup.sh diff`,
# then `expire` (retention is pgbackrest.conf's repo1-retention-full, from backup.retention).
# Run as postgres by the backup scheduler's crond (a container beside the writer on Docker, a
# second container of the writer's pod on Kubernetes), with the writer's data directory and
# socket folder mounted: pgBackRest backs up a local cluster only. pgBackRest reads PGBACKREST_CONFIG and PGBACKREST_STANZA from the environment.
set -euo pipefail

SELF=backup
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 && ($1 == full || $1 == diff) ]] || die "usage: backup.sh full|diff"
[[ -n ${PGBACKREST_CONFIG:-} && -n ${PGBACKREST_STANZA:-} ]] || die "PGBACKREST_CONFIG and PGBACKREST_STANZA must be set"

# The first archived WAL segment creates the stanza; a writer that has archived nothing yet
# has none. stanza-create succeeds on an existing, matching stanza.
pgbackrest stanza-create
say "$1 backup of stanza $PGBACKREST_STANZA"
pgbackrest --type="$1" backup
pgbackrest expire
say "done: $(pgbackrest info | sed -n 's/^ *\(full\|diff\|incr\) backup: //p' | tail -n 1)"
