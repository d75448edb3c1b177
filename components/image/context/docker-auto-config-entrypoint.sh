#!/usr/bin/env bash
# Auto-tuning entrypoint of the pg-platform PostgreSQL image.
#
# Reads the memory and CPUs the container really has, computes PostgreSQL's memory, connection
# and parallelism settings, and hands over to the official image's entrypoint with them as
# `-c name=value` flags, which override every configuration file. Before starting the server it
# runs apply-init-sql.sh (beside it) with the same command, so an existing cluster gets the init
# SQL too.
#
#   docker-auto-config-entrypoint.sh postgres [postgres options...]   start the server
#   docker-auto-config-entrypoint.sh --print                          print the settings, start nothing
#   docker-auto-config-entrypoint.sh <other command...>               run it unchanged
#
# Inputs (first that applies):
#   memory  POSTGRES_MEMORY (whole MB, 1..1048576; empty = unset) > cgroup v2 memory.max (unless "max") >
#           MemTotal of /proc/meminfo. Less than 512 MB is refused.
#   CPUs    cgroup v2 cpu.max quota/period, rounded up > nproc.
# Optional profiles: POSTGRES_WORKLOAD=web|oltp|dw, POSTGRES_STORAGE=ssd|hdd.
# PG_MAJOR (set by the official image) adds settings only newer majors know (io_workers on 18+).
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

die() {
    printf '%s: %s\n' "$SELF" "$*" >&2
    exit 1
}

# Whole number without sign or leading zeros (bash would read 010 as octal).
is_count() {
    [[ $1 =~ ^[1-9][0-9]{0,17}$ ]]
}

min() { if (($1 < $2)); then echo "$1"; else echo "$2"; fi; }
max() { if (($1 > $2)); then echo "$1"; else echo "$2"; fi; }
clamp() { min "$(max "$1" "$2")" "$3"; }

MEMORY_MB=
MEMORY_SOURCE=
detect_memory() {
    local cgroup_root=${PG_AUTOCONFIG_CGROUP_ROOT:-/sys/fs/cgroup}
    local meminfo=${PG_AUTOCONFIG_MEMINFO:-/proc/meminfo}
    local limit=max kb
    if [[ -r $cgroup_root/memory.max ]]; then limit=$(<"$cgroup_root/memory.max"); fi
    if [[ -n ${POSTGRES_MEMORY:-} ]]; then
        if ! is_count "$POSTGRES_MEMORY" || ((POSTGRES_MEMORY > MAX_MEMORY_MB)); then
            die "POSTGRES_MEMORY must be a whole number of MB from 1 to $MAX_MEMORY_MB (got \"$POSTGRES_MEMORY\")"
        fi
        MEMORY_MB=$POSTGRES_MEMORY
        MEMORY_SOURCE=POSTGRES_MEMORY
    elif [[ $limit != max ]]; then
        is_count "$limit" || die "cannot read a memory limit from $cgroup_root/memory.max (got \"$limit\")"
        MEMORY_MB=$((limit / 1048576))
        MEMORY_SOURCE="cgroup $cgroup_root/memory.max"
    else
        kb=$(awk '$1 == "MemTotal:" { print $2 }' "$meminfo" 2>/dev/null) || true
        is_count "${kb:-}" || die "cannot read MemTotal from $meminfo; set POSTGRES_MEMORY (MB)"
        MEMORY_MB=$((kb / 1024))
        MEMORY_SOURCE=$meminfo
    fi
    ((MEMORY_MB >= MIN_MEMORY_MB)) || die "$MEMORY_MB MB of memory ($MEMORY_SOURCE); PostgreSQL needs at least $MIN_MEMORY_MB MB"
}

CPUS=
CPU_SOURCE=
detect_cpus() {
    local cgroup_root=${PG_AUTOCONFIG_CGROUP_ROOT:-/sys/fs/cgroup}
    local quota period
    if [[ -r $cgroup_root/cpu.max ]] && read -r quota period <"$cgroup_root/cpu.max" && [[ $quota != max ]]; then
        if ! is_count "$quota" || ! is_count "${period:-}"; then
            die "cannot read a CPU quota from $cgroup_root/cpu.max (got \"$quota ${period:-}\")"
        fi
        CPUS=$(((quota + period - 1) / period))
        CPU_SOURCE="cgroup $cgroup_root/cpu.max"
    elif [[ -n ${PG_AUTOCONFIG_NPROC+set} ]]; then
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
    local workload=${POSTGRES_WORKLOAD:-} storage=${POSTGRES_STORAGE:-} major=${PG_MAJOR:-}
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

main() {
    if [[ ${1:-} == --print ]]; then
        (($# == 1)) || die "--print takes no other arguments"
        detect_memory
        detect_cpus
        compute_settings
        printf '%s\n' "${SETTINGS[@]}"
        return
    fi

    # The official entrypoint treats a first argument starting with "-" as options to postgres.
    if [[ ${1:-} == -* ]]; then set -- postgres "$@"; fi
    if [[ ${1:-} != postgres ]]; then exec docker-entrypoint.sh "$@"; fi

    detect_memory
    detect_cpus
    compute_settings
    local explicit setting flags=()
    explicit=$(explicit_names "${@:2}")
    for setting in "${SETTINGS[@]}"; do
        if grep -qxF -- "${setting%%=*}" <<<"$explicit"; then continue; fi
        flags+=(-c "$setting")
    done
    printf '%s: %s MB from %s, %s CPUs from %s:%s\n' "$SELF" "$MEMORY_MB" "$MEMORY_SOURCE" "$CPUS" "$CPU_SOURCE" "$(printf ' %s' "${flags[@]}")" >&2
    # An existing cluster gets the init SQL again (initdb runs it only on an empty PGDATA), with
    # the very command the real server starts with. It sits beside this script in the image.
    "$(dirname "${BASH_SOURCE[0]}")/apply-init-sql.sh" "$@" "${flags[@]}"
    exec docker-entrypoint.sh "$@" "${flags[@]}"
}

main "$@"
