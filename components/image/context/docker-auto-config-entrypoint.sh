#!/usr/bin/env bash
# Entrypoint of the pg-platform PostgreSQL image: the image's whole runtime, from an empty volume
# to a tuned server. It depends on no other image's entrypoint, so the production image (the
# official postgres base) and images built from Debian's packages run the very same code.
#
#   docker-auto-config-entrypoint.sh postgres [postgres options...]   start the server
#   docker-auto-config-entrypoint.sh -<option> [...]                  the same, "postgres" implied
#   docker-auto-config-entrypoint.sh --print                          print the tuned settings, start nothing
#   docker-auto-config-entrypoint.sh <other command...>               run it unchanged
#
# Starting the server, in order:
#   1. Started as root: creates PGDATA, hands it to the postgres user and runs itself again as
#      postgres (setpriv). PostgreSQL refuses root; the image's USER is postgres anyway.
#   2. Finds the server binaries: /usr/lib/postgresql/$PG_MAJOR/bin (the official image and
#      Debian's packages), else `postgres` on PATH, else `pg_config --bindir`, else the only
#      /usr/lib/postgresql/*/bin. That directory goes first on PATH.
#   3. Tunes memory, connections and parallelism for the memory and CPUs the container has.
#   4. PGDATA absent or empty: initdb with SCRAM for every connection, superuser POSTGRES_USER
#      (default postgres) with the first line of POSTGRES_PASSWORD_FILE as its password, read
#      by initdb from that file (--pwfile): the password is never on a command line or in the
#      environment. PGDATA holding a cluster: no initdb (its major must be the server's).
#      PGDATA holding anything else: refused, left as it is. PGDATA absent while the volume
#      holds an older major's cluster (<volume>/<old>/docker, or <volume>/data as the official
#      image kept it before 18): upgraded with upgrade-cluster.sh (pg_upgrade --check, then
#      --link) when PG_UPGRADE_FROM names that major and the image has its binaries, refused
#      otherwise with the setting to change. A refused --check leaves the old major serving the
#      old cluster from this image, and the healthcheck reports the container unhealthy.
#   5. apply-init-sql.sh (beside this script) with the server's command and the tuned flags:
#      PG_PLATFORM_INIT_SQL (and POSTGRES_DB) through a socket-only temporary server, on a new
#      cluster and on every later start alike; a standby (standby.signal, recovery.signal, as
#      replica-bootstrap.sh leaves it) gets neither initdb nor init SQL.
#   6. execs postgres with the command's options followed by the tuned `-c name=value` flags,
#      which override every configuration file.
#
# Environment:
#   PGDATA                  data directory (required; the image sets it)
#   POSTGRES_PASSWORD_FILE  file holding the superuser's password (required for initdb only)
#   POSTGRES_USER           bootstrap superuser initdb creates (default postgres)
#   POSTGRES_DB             database created if missing (default POSTGRES_USER; none for postgres)
#   POSTGRES_INITDB_ARGS    extra initdb options, split on blanks (not --auth*, -A, --username,
#                           -U, --pwfile, -W, --pgdata, -D: those are the platform's)
#   POSTGRES_INITDB_WALDIR  initdb --waldir
#   PG_PLATFORM_INIT_SQL    init SQL file applied on every start of a writer (see apply-init-sql.sh)
#   PG_MAJOR                server major (the official image sets it); unset, read from the binary
#   PG_UPGRADE_FROM         the major of the cluster to upgrade (postgres.upgradeFrom); see step 4
# Refused, because they would put a secret in the environment or open authentication the
# platform's pg_hba.conf decides: POSTGRES_PASSWORD, POSTGRES_HOST_AUTH_METHOD other than
# scram-sha-256.
#
# Auto-tuning inputs (first that applies):
#   memory  POSTGRES_MEMORY (whole MB, 1..1048576; empty = unset) > cgroup v2 memory.max (unless
#           "max") > cgroup v1 memory/memory.limit_in_bytes (unless it is at least the host's
#           MemTotal, as the "unlimited" 9223372036854771712 is) > MemTotal of /proc/meminfo.
#           Less than 512 MB is refused.
#   CPUs    cgroup v2 cpu.max quota/period, rounded up (unless "max") > cgroup v1
#           cpu.cfs_quota_us / cpu.cfs_period_us of cpu,cpuacct/ or cpu/ (unless the quota is
#           -1), rounded up > nproc.
#   Inside a container the container's own cgroup is mounted at those places (v2: the root;
#   v1: the root of each controller).
# Optional profiles: POSTGRES_WORKLOAD=web|oltp|dw, POSTGRES_STORAGE=ssd|hdd.
# The major (PG_MAJOR, or the binary's when starting) adds settings only newer majors know
# (io_workers on 18+); `--print` reads PG_MAJOR only.
# Where detection reads from, for tests and unusual hosts:
#   PG_AUTOCONFIG_CGROUP_ROOT (default /sys/fs/cgroup), PG_AUTOCONFIG_MEMINFO (default
#   /proc/meminfo), PG_AUTOCONFIG_NPROC (CPU count used instead of `nproc` when cgroup sets no quota).
#
# A setting the command line already passes (`-c name=value` or `--name=value`) is not tuned:
# the explicit value is kept. Any error is one line on stderr and exit status 1.
set -euo pipefail

readonly SELF=docker-auto-config-entrypoint
readonly MAX_MEMORY_MB=1048576
readonly MIN_MEMORY_MB=512

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Whole number without sign or leading zeros (bash would read 010 as octal).
is_count() {
    [[ $1 =~ ^[1-9][0-9]{0,17}$ ]]
}

min() { if (($1 < $2)); then echo "$1"; else echo "$2"; fi; }
max() { if (($1 > $2)); then echo "$1"; else echo "$2"; fi; }
clamp() { min "$(max "$1" "$2")" "$3"; }

# The first line of a file, when it exists and is readable; fails otherwise.
first_line() {
    [[ -r $1 ]] || return 1
    local line=
    IFS= read -r line <"$1" || [[ -n $line ]] || return 1
    printf '%s' "$line"
}

CGROUP_ROOT=${PG_AUTOCONFIG_CGROUP_ROOT:-/sys/fs/cgroup}
MEMINFO=${PG_AUTOCONFIG_MEMINFO:-/proc/meminfo}

# MemTotal in MB, or nothing when meminfo cannot be read.
host_memory_mb() {
    local kb
    kb=$(awk '$1 == "MemTotal:" { print $2 }' "$MEMINFO" 2>/dev/null) || true
    if is_count "${kb:-}"; then echo $((kb / 1024)); fi
}

# Whether a cgroup v1 memory.limit_in_bytes value limits anything. v1 has no "max": an unlimited
# group shows 9223372036854771712 (19 digits or more are taken as unlimited before any
# arithmetic), and a limit at or above the host's RAM limits nothing either. A garbled value
# counts as a limit, so that it is reported rather than skipped.
v1_limits() {
    local host
    if [[ $1 =~ ^[1-9][0-9]{18,}$ ]]; then return 1; fi
    is_count "$1" || return 0
    host=$(host_memory_mb)
    [[ -z $host ]] || (($1 / 1048576 < host))
}

MEMORY_MB=
MEMORY_SOURCE=
detect_memory() {
    local v2=$CGROUP_ROOT/memory.max v1=$CGROUP_ROOT/memory/memory.limit_in_bytes
    local limit
    if [[ -n ${POSTGRES_MEMORY:-} ]]; then
        if ! is_count "$POSTGRES_MEMORY" || ((POSTGRES_MEMORY > MAX_MEMORY_MB)); then
            die "POSTGRES_MEMORY must be a whole number of MB from 1 to $MAX_MEMORY_MB (got \"$POSTGRES_MEMORY\")"
        fi
        MEMORY_MB=$POSTGRES_MEMORY
        MEMORY_SOURCE=POSTGRES_MEMORY
    elif limit=$(first_line "$v2") && [[ $limit != max ]]; then
        is_count "$limit" || die "cannot read a memory limit from $v2 (got \"$limit\")"
        MEMORY_MB=$((limit / 1048576))
        MEMORY_SOURCE="cgroup $v2"
    elif limit=$(first_line "$v1") && v1_limits "$limit"; then
        is_count "$limit" || die "cannot read a memory limit from $v1 (got \"$limit\")"
        MEMORY_MB=$((limit / 1048576))
        MEMORY_SOURCE="cgroup $v1"
    else
        MEMORY_MB=$(host_memory_mb)
        [[ -n $MEMORY_MB ]] || die "cannot read MemTotal from $MEMINFO; set POSTGRES_MEMORY (MB)"
        MEMORY_SOURCE=$MEMINFO
    fi
    ((MEMORY_MB >= MIN_MEMORY_MB)) || die "$MEMORY_MB MB of memory ($MEMORY_SOURCE); PostgreSQL needs at least $MIN_MEMORY_MB MB"
}

# CPUs of a quota (microseconds per period), rounded up; fails when there is no quota.
CPUS=
CPU_SOURCE=
quota_cpus() {
    local quota=$1 period=$2 source=$3
    if ! is_count "$quota" || ! is_count "$period"; then
        die "cannot read a CPU quota from $source (got \"$quota $period\")"
    fi
    CPUS=$(((quota + period - 1) / period))
    CPU_SOURCE="cgroup $source"
}

detect_cpus() {
    local v2=$CGROUP_ROOT/cpu.max line quota period dir
    if line=$(first_line "$v2"); then
        read -r quota period <<<"$line" || true
        if [[ $quota != max ]]; then
            quota_cpus "$quota" "${period:-}" "$v2"
            return
        fi
    else
        # v1: Docker and systemd mount cpu and cpuacct together (cpu,cpuacct, with a cpu link).
        for dir in "$CGROUP_ROOT/cpu,cpuacct" "$CGROUP_ROOT/cpu" "$CGROUP_ROOT/cpuacct,cpu"; do
            quota=$(first_line "$dir/cpu.cfs_quota_us") || continue
            if [[ $quota != -1 ]]; then
                period=$(first_line "$dir/cpu.cfs_period_us") || period=
                quota_cpus "$quota" "$period" "$dir/cpu.cfs_quota_us"
                return
            fi
            break
        done
    fi
    if [[ -n ${PG_AUTOCONFIG_NPROC+set} ]]; then
        is_count "$PG_AUTOCONFIG_NPROC" || die "PG_AUTOCONFIG_NPROC must be a whole number of CPUs (got \"$PG_AUTOCONFIG_NPROC\")"
        CPUS=$PG_AUTOCONFIG_NPROC
        CPU_SOURCE=PG_AUTOCONFIG_NPROC
    else
        CPUS=$(nproc)
        CPU_SOURCE=nproc
    fi
}

# Ordered name=value pairs, exactly as passed to -c.
SETTINGS=()
set_value() { SETTINGS+=("$1=$2"); }

compute_settings() {
    local ram=$MEMORY_MB cpus=$CPUS
    local workload=${POSTGRES_WORKLOAD:-} storage=${POSTGRES_STORAGE:-} major=$MAJOR
    case $workload in '' | web | oltp | dw) ;; *) die "POSTGRES_WORKLOAD must be web, oltp or dw (got \"$workload\")" ;; esac
    case $storage in '' | ssd | hdd) ;; *) die "POSTGRES_STORAGE must be ssd or hdd (got \"$storage\")" ;; esac
    [[ -z $major ]] || is_count "$major" || die "PG_MAJOR must be a PostgreSQL major version such as 18 (got \"$major\")"

    # The documented rules (seed 001); MB, integer arithmetic, rounding down.
    local connections shared_buffers cache maintenance work_mem
    if ((ram < 1024)); then connections=80; elif ((ram < 4096)); then connections=120; else connections=200; fi
    if ((ram <= 8192)); then
        shared_buffers=$((ram * 25 / 100))
    elif ((ram <= 32768)); then
        shared_buffers=$((ram * 20 / 100))
    else
        shared_buffers=$((ram * 15 / 100))
    fi
    shared_buffers=$(clamp "$shared_buffers" 64 32768)
    cache=$(min "$(max $((ram - shared_buffers)) $((2 * shared_buffers)))" $((ram * 3 / 4)))
    maintenance=$(clamp $((ram / 32)) 32 2048)

    # Profiles: more connections with smaller sorts for OLTP, fewer with bigger sorts for
    # analytics. Without one the documented rules stand as they are.
    local sorts_per_connection=4 work_mem_cap=32
    case $workload in
        oltp) connections=$((connections * 3 / 2)) ;;
        dw)
            connections=$((connections / 2))
            sorts_per_connection=2
            work_mem_cap=256
            maintenance=$(min $((maintenance * 2)) 2048)
            ;;
    esac
    work_mem=$(clamp $((ram / (connections * sorts_per_connection))) 1 "$work_mem_cap")

    # Parallelism: one parallel worker per CPU, at most 4 per query or index build (more rarely
    # pays off), half the CPUs so concurrent queries still get some. max_worker_processes keeps
    # PostgreSQL's 8 on top for pg_cron, logical replication and other background workers, so
    # every parallel setting stays below it.
    local parallel=$cpus per_query
    per_query=$(min $((cpus / 2)) 4)

    set_value max_connections "$connections"
    set_value shared_buffers "${shared_buffers}MB"
    set_value effective_cache_size "${cache}MB"
    set_value maintenance_work_mem "${maintenance}MB"
    set_value work_mem "${work_mem}MB"
    set_value max_worker_processes $((parallel + 8))
    set_value max_parallel_workers "$parallel"
    set_value max_parallel_workers_per_gather "$per_query"
    set_value max_parallel_maintenance_workers "$per_query"
    # 18+: asynchronous I/O workers, half the CPUs within PostgreSQL's 3 (default) .. 32 (maximum).
    if [[ -n $major ]] && ((major >= 18)); then
        set_value io_workers "$(clamp $((cpus / 2)) 3 32)"
    fi

    case $workload in
        web) set_value min_wal_size 1024MB && set_value max_wal_size 4096MB ;;
        oltp) set_value min_wal_size 2048MB && set_value max_wal_size 8192MB ;;
        dw) set_value min_wal_size 4096MB && set_value max_wal_size 16384MB ;;
    esac
    case $storage in
        ssd) set_value random_page_cost 1.1 && set_value effective_io_concurrency 200 ;;
        hdd) set_value random_page_cost 4 && set_value effective_io_concurrency 2 ;;
    esac
}

# Names of settings the command line already sets, one per line, normalised like PostgreSQL
# does (lower case, dashes as underscores).
explicit_names() {
    local expect_value=false arg
    for arg in "$@"; do
        if $expect_value; then
            expect_value=false
            printf '%s\n' "${arg%%=*}"
        elif [[ $arg == -c ]]; then
            expect_value=true
        elif [[ $arg == -c?* ]]; then
            arg=${arg#-c}
            printf '%s\n' "${arg%%=*}"
        elif [[ $arg == --?*=* ]]; then
            arg=${arg#--}
            printf '%s\n' "${arg%%=*}"
        fi
    done | tr 'A-Z-' 'a-z_'
}

# Variables the official image reads that this runtime refuses rather than ignores.
refuse_unsafe_environment() {
    if [[ -n ${POSTGRES_PASSWORD:-} ]]; then
        die "POSTGRES_PASSWORD is refused: a password in the environment is visible to every process of the container; write it to a file and name that in POSTGRES_PASSWORD_FILE"
    fi
    case ${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256} in
        scram-sha-256) ;;
        *) die "POSTGRES_HOST_AUTH_METHOD is refused (got \"$POSTGRES_HOST_AUTH_METHOD\"): authentication is SCRAM, and pg_hba.conf decides who may connect" ;;
    esac
}

# Where the server binaries are (postgres, initdb, and psql/pg_isready when installed there).
BINDIR=
find_bindir() {
    local found dirs
    if [[ -n ${PG_MAJOR:-} && -x /usr/lib/postgresql/$PG_MAJOR/bin/postgres ]]; then
        BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
    elif found=$(command -v postgres); then
        BINDIR=$(dirname "$found")
    elif command -v pg_config >/dev/null && found=$(pg_config --bindir 2>/dev/null) && [[ -x $found/postgres ]]; then
        BINDIR=$found
    else
        dirs=$(compgen -G '/usr/lib/postgresql/*/bin/postgres' || true)
        [[ -n $dirs && $dirs != *$'\n'* ]] || die "cannot find the PostgreSQL server binaries: set PG_MAJOR (they are in /usr/lib/postgresql/<major>/bin) or put their directory on PATH"
        BINDIR=$(dirname "$dirs")
    fi
}

# The major version of the server binary; PG_MAJOR, when set, must agree with it.
MAJOR=
find_major() {
    local version
    version=$("$BINDIR/postgres" --version 2>&1) || die "$BINDIR/postgres does not run: ${version//$'\n'/ }"
    [[ $version =~ \(PostgreSQL\)\ ([0-9]+) ]] || die "cannot read a version from \"$version\" ($BINDIR/postgres --version)"
    MAJOR=${BASH_REMATCH[1]}
    if [[ -n ${PG_MAJOR:-} && $PG_MAJOR != "$MAJOR" ]]; then
        die "PG_MAJOR is $PG_MAJOR but $BINDIR/postgres is PostgreSQL $MAJOR"
    fi
}

# PostgreSQL refuses to run as root. Started as root (docker run --user root, a custom image),
# give PGDATA to postgres and run this script again as postgres, as the official image does.
drop_root() {
    (($(id -u) == 0)) || return 0
    command -v setpriv >/dev/null || die "started as root, and setpriv (util-linux) is missing to switch to the postgres user; run the container as postgres"
    local home
    home=$(getent passwd postgres | cut -d: -f6) || die "started as root, and there is no postgres user to run the server as"
    mkdir -p "$PGDATA"
    chmod 0700 "$PGDATA"
    find "$PGDATA" ! -user postgres -exec chown postgres:postgres {} +
    HOME=$home exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
}

data_state() {
    if [[ ! -e $PGDATA ]]; then
        echo absent
    elif [[ ! -d $PGDATA ]]; then
        echo other
    elif [[ -f $PGDATA/PG_VERSION ]]; then
        echo cluster
    elif [[ -z $(find "$PGDATA" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
        echo empty
    else
        echo other
    fi
}

# What initdb of an absent or empty PGDATA needs, checked before anything runs.
INITDB_ARGS=()
check_initdb_inputs() {
    local file=${POSTGRES_PASSWORD_FILE:-} user=${POSTGRES_USER:-postgres} password extra=() arg
    [[ $user =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "POSTGRES_USER must be a plain role name: lower case letters, digits and _ (got \"$user\")"
    [[ -n $file ]] || die "POSTGRES_PASSWORD_FILE must name the file holding the superuser's password: $PGDATA is empty and initdb sets it"
    [[ -f $file && -r $file ]] || die "cannot read POSTGRES_PASSWORD_FILE $file"
    password=$(first_line "$file") || password=
    [[ -n $password ]] || die "POSTGRES_PASSWORD_FILE $file is empty"
    unset password
    read -r -a extra <<<"${POSTGRES_INITDB_ARGS:-}" || true
    for arg in "${extra[@]}"; do
        case $arg in
            -A* | --auth* | -U* | --username* | --pwfile* | -W | --pwprompt | -D* | --pgdata*)
                die "POSTGRES_INITDB_ARGS must not set $arg: authentication, the superuser, its password and the data directory are the platform's"
                ;;
        esac
    done
    if [[ -n ${POSTGRES_INITDB_WALDIR:-} ]]; then extra+=("--waldir=$POSTGRES_INITDB_WALDIR"); fi
    # SCRAM for local and host connections; initdb reads the password from the file itself.
    INITDB_ARGS=(--pgdata="$PGDATA" --username="$user" --pwfile="$file" --auth-host=scram-sha-256 --auth-local=peer --encoding=UTF8 "${extra[@]}")
}

initialise() {
    local output
    say "initialising $PGDATA: initdb, superuser ${POSTGRES_USER:-postgres}, scram-sha-256"
    # initdb's progress goes to stdout with the server log; its complaint, if any, is the one line.
    exec 3>&1
    if ! output=$(initdb "${INITDB_ARGS[@]}" 2>&1 >&3); then
        exec 3>&-
        die "initdb of $PGDATA failed: ${output//$'\n'/ }"
    fi
    exec 3>&-
    if [[ -n $output ]]; then printf '%s\n' "$output"; fi
}

# A server killed without a clean shutdown (docker kill, the OOM killer, a forced replacement)
# leaves postmaster.pid naming its PID in a namespace that is gone. In the new container that
# number is usually alive (often PID 1: this script), so PostgreSQL would refuse to start on
# every restart. Nothing has started a server in this container yet, so when no postgres process
# runs here the file is stale and goes (PostgreSQL still refuses if its shared memory is in use).
# Of PGDATA, or of the data directory given.
clear_stale_lock() {
    local lock=${1:-$PGDATA}/postmaster.pid comm pid name
    [[ -f $lock ]] || return 0
    for comm in /proc/[0-9]*/comm; do
        pid=${comm#/proc/}
        pid=${pid%/comm}
        name=$(cat "$comm" 2>/dev/null) || continue
        [[ $name == postgres && $pid != "$$" ]] && die "a postgres process (PID $pid) already runs in this container; not starting another on $PGDATA"
    done
    say "removing $lock left by a server that did not shut down cleanly (no server runs in this container)"
    rm -f -- "$lock"
}

# An older major's cluster on the same volume, as "<major> <directory>": PGDATA is
# <volume>/<major>/docker (the official layout from 18, which the platform's image sets for
# every major), so an older one sits at <volume>/<old>/docker, or at <volume>/data (the official
# image's PGDATA before 18). Nothing when PGDATA has another shape or no older cluster is there;
# refused when there are several, when a newer major's cluster is there (a downgrade), and when
# this major's own cluster is at <volume>/data (the layout before: initdb would hide it).
older_cluster() {
    local root candidate version found=()
    [[ $PGDATA == */$MAJOR/docker ]] || return 0
    root=$(dirname "$(dirname "$PGDATA")")
    for candidate in "$root"/*/docker "$root/data"; do
        # The official image's /var/lib/postgresql/data link to the volume itself is no cluster.
        [[ ! -L $candidate && -f $candidate/PG_VERSION ]] || continue
        version=$(first_line "$candidate/PG_VERSION") || continue
        [[ $version =~ ^[0-9]+$ ]] || continue
        # A newer major's cluster: this server would initdb an empty cluster beside it.
        ((version <= MAJOR)) || die "$candidate holds a PostgreSQL $version cluster and this server is PostgreSQL $MAJOR: a downgrade is refused (pg_upgrade only goes forward); set postgres.version back to $version, or restore a backup taken on $MAJOR into an empty volume"
        ((version < MAJOR)) || [[ $candidate == "$PGDATA" ]] || die "$candidate holds this server's PostgreSQL $MAJOR cluster in the official image's layout before 18, but the image's PGDATA is $PGDATA: with no server running on the volume, move it there (mkdir -p $(dirname "$PGDATA") && mv $candidate $PGDATA) and start again"
        if ((version < MAJOR)); then found+=("$version $candidate"); fi
    done
    ((${#found[@]} <= 1)) || die "the volume holds several older clusters (${found[*]}); keep the one to upgrade and move the others away"
    if ((${#found[@]} == 1)); then printf '%s\n' "${found[0]}"; fi
}

# PGDATA is absent or empty. An older major's cluster on the volume is upgraded into it when
# PG_UPGRADE_FROM (postgres.upgradeFrom) names that major, and refused otherwise: an initdb
# beside it would start an empty server while the data sits unused. Sets UPGRADE_FROM and
# UPGRADE_DIR when an upgrade is to run.
UPGRADE_FROM=
UPGRADE_DIR=
plan_upgrade() {
    local older from dir wanted=${PG_UPGRADE_FROM:-}
    older=$(older_cluster)
    if [[ -z $older ]]; then
        [[ -z $wanted ]] || die "PG_UPGRADE_FROM (postgres.upgradeFrom) is $wanted, but the volume holds no PostgreSQL $wanted cluster beside $PGDATA: remove postgres.upgradeFrom (a new stack needs none)"
        return 0
    fi
    read -r from dir <<<"$older"
    [[ -n $wanted ]] || die "$dir holds a PostgreSQL $from cluster and this server is PostgreSQL $MAJOR: set postgres.upgradeFrom: $from to upgrade it with pg_upgrade when the server starts (README: Upgrading PostgreSQL majors), or set postgres.version back to $from"
    [[ $wanted == "$from" ]] || die "PG_UPGRADE_FROM (postgres.upgradeFrom) is $wanted, but $dir holds a PostgreSQL $from cluster: set postgres.upgradeFrom: $from"
    [[ -x /usr/lib/postgresql/$from/bin/postgres ]] || die "this image has no PostgreSQL $from server (/usr/lib/postgresql/$from/bin) to run pg_upgrade with: the platform builds one when postgres.upgradeFrom is $from; an image.prebuilt must carry both majors"
    UPGRADE_FROM=$from
    UPGRADE_DIR=$dir
}

# The configuration file the command names (`-c config_file=…`), or nothing.
config_file_of() {
    local expect_value=false arg
    for arg in "$@"; do
        if $expect_value; then
            expect_value=false
            [[ $arg != config_file=* ]] || printf '%s' "${arg#config_file=}"
        elif [[ $arg == -c ]]; then
            expect_value=true
        elif [[ $arg == -cconfig_file=* || $arg == --config_file=* || $arg == --config-file=* ]]; then
            printf '%s' "${arg#*=}"
        fi
    done
}

# A copy of the rendered configuration for the old major's servers, without the parameters it
# does not know (a file rendered for the new major sets some, io_method on 18, and the old server
# would refuse to start). Extension settings (with a dot) stay. Prints the copy's path.
old_config_file() {
    local rendered=$1 copy known
    copy=$(mktemp "${TMPDIR:-/tmp}/postgresql-$UPGRADE_FROM.XXXXXX.conf")
    known=$copy.names
    "/usr/lib/postgresql/$UPGRADE_FROM/bin/postgres" --describe-config | cut -f1 >"$known" || die "PostgreSQL $UPGRADE_FROM's postgres --describe-config failed"
    awk '
        NR == FNR { ok[tolower($1)] = 1; next }
        match($0, /^[ \t]*[A-Za-z_][A-Za-z0-9_.]*/) {
            name = tolower(substr($0, RSTART, RLENGTH)); gsub(/[ \t]/, "", name)
            if (name !~ /[.]/ && name != "include" && name != "include_dir" && name != "include_if_exists" && !(name in ok)) {
                print "# left out for PostgreSQL '"$UPGRADE_FROM"', which does not know it: " $0; next
            }
        }
        { print }' "$known" "$rendered" >"$copy" || die "cannot write $copy"
    rm -f "$known"
    printf '%s' "$copy"
}

# pg_upgrade of UPGRADE_DIR into PGDATA (upgrade-cluster.sh beside this script), its servers
# started with the rendered settings (wal_level, preloads, slots). When it fails with the old
# cluster intact (its --check refused, before anything changed), PostgreSQL UPGRADE_FROM keeps
# serving it from this image and the healthcheck reports the container unhealthy (it runs a
# major other than the image's), so `pulumi up` fails with this log.
run_upgrade() {
    local rendered old_options='' new_options=''
    rendered=$(config_file_of "${@:2}")
    if [[ -n $rendered ]]; then
        OLD_CONFIG=$(old_config_file "$rendered")
        old_options="-c 'config_file=$OLD_CONFIG'"
        new_options="-c 'config_file=$rendered'"
    fi
    say "upgrading PostgreSQL $UPGRADE_FROM ($UPGRADE_DIR) to $MAJOR ($PGDATA) with pg_upgrade"
    # The old server ran in the container this one replaced: a lock it left is stale.
    clear_stale_lock "$UPGRADE_DIR"
    if PG_UPGRADE_OLD_DATA=$UPGRADE_DIR PG_UPGRADE_OLD_OPTIONS="$old_options ${PG_UPGRADE_OLD_OPTIONS:-}" PG_UPGRADE_NEW_OPTIONS="$new_options ${PG_UPGRADE_NEW_OPTIONS:-}" \
        "$(dirname "${BASH_SOURCE[0]}")/upgrade-cluster.sh" "$UPGRADE_FROM" "$MAJOR" "$(dirname "$(dirname "$PGDATA")")"; then
        # The backup repository's stanza describes the old cluster: the archive_command upgrades
        # it on its first run (render/pgbackrest.ts STANZA_UPGRADE_MARKER).
        touch "$PGDATA/pg-platform-stanza-upgrade"
        return 0
    fi
    [[ -f $UPGRADE_DIR/global/pg_control && $(data_state) != cluster ]] || die "the upgrade from PostgreSQL $UPGRADE_FROM to $MAJOR failed after pg_upgrade changed the old cluster (above); see the UPGRADE-$UPGRADE_FROM-to-$MAJOR.txt note on the volume to roll back"
    serve_old_major "$@"
}

# After a refused upgrade: PostgreSQL UPGRADE_FROM serves the untouched old cluster, tuned for
# its major, with the rendered settings it knows.
OLD_CONFIG=
serve_old_major() {
    say "the upgrade from PostgreSQL $UPGRADE_FROM to $MAJOR was refused (report above); nothing changed: PostgreSQL $UPGRADE_FROM keeps serving $UPGRADE_DIR, and this container stays unhealthy until the cause is fixed and it restarts (README: Upgrading PostgreSQL majors)"
    BINDIR=/usr/lib/postgresql/$UPGRADE_FROM/bin
    MAJOR=$UPGRADE_FROM
    PGDATA=$UPGRADE_DIR
    export PATH="$BINDIR:$PATH"
    clear_stale_lock
    SETTINGS=()
    compute_settings
    tuned_flags "$@"
    exec "$BINDIR/postgres" "${@:2}" "${FLAGS[@]}" ${OLD_CONFIG:+-c "config_file=$OLD_CONFIG"}
}

# The auto-tuned `-c name=value` flags (FLAGS) the command does not set itself.
FLAGS=()
tuned_flags() {
    local explicit setting
    explicit=$(explicit_names "${@:2}")
    FLAGS=()
    for setting in "${SETTINGS[@]}"; do
        if grep -qxF -- "${setting%%=*}" <<<"$explicit"; then continue; fi
        FLAGS+=(-c "$setting")
    done
}

start_server() {
    [[ -n ${PGDATA:-} ]] || die "PGDATA must be set: the data directory"
    refuse_unsafe_environment
    find_bindir
    export PATH="$BINDIR:$PATH"
    if wants_no_server "${@:2}"; then exec "$BINDIR/postgres" "${@:2}"; fi
    drop_root "$@"
    find_major

    local state version
    state=$(data_state)
    case $state in
        absent | empty)
            plan_upgrade
            [[ -n $UPGRADE_FROM ]] || check_initdb_inputs
            ;;
        cluster)
            version=$(first_line "$PGDATA/PG_VERSION") || version=
            [[ $version == "$MAJOR" ]] || die "$PGDATA holds a PostgreSQL ${version:-?} cluster and this server is PostgreSQL $MAJOR; upgrade it (pg_upgrade) or run a PostgreSQL ${version:-?} image"
            clear_stale_lock
            ;;
        *) die "$PGDATA is not empty and holds no cluster (no PG_VERSION); refusing to initialise over it" ;;
    esac

    detect_memory
    detect_cpus
    compute_settings
    tuned_flags "$@"
    say "$MEMORY_MB MB from $MEMORY_SOURCE, $CPUS CPUs from $CPU_SOURCE:$(printf ' %s' "${FLAGS[@]}")"

    if [[ -n $UPGRADE_FROM ]]; then
        run_upgrade "$@"
    elif [[ $state != cluster ]]; then
        initialise
    fi
    # Roles, databases, extensions and slots of the init SQL, on a new and an existing cluster
    # alike, with the very command the real server starts with (a standby is skipped there).
    "$(dirname "${BASH_SOURCE[0]}")/apply-init-sql.sh" postgres "${@:2}" "${FLAGS[@]}"
    exec "$BINDIR/postgres" "${@:2}" "${FLAGS[@]}"
}

main() {
    if [[ ${1:-} == --print ]]; then
        (($# == 1)) || die "--print takes no other arguments"
        MAJOR=${PG_MAJOR:-}
        detect_memory
        detect_cpus
        compute_settings
        printf '%s\n' "${SETTINGS[@]}"
        return
    fi

    # No command, or a first argument starting with "-": options to postgres, as with the official image.
    if (($# == 0)) || [[ $1 == -* ]]; then set -- postgres "$@"; fi
    if [[ $1 != postgres ]]; then exec "$@"; fi
    start_server "$@"
}

main "$@"
