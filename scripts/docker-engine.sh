#!/usr/bin/env bash
# The container engine the integration and end-to-end tests run on: Debian's Docker Engine
# (docker.io) and a local registry (docker-registry), both bound to this machine only.
#
#   docker-engine.sh start    install what is missing (as root), start dockerd when no engine
#                             answers and the registry when it is not running; idempotent
#   docker-engine.sh stop [--force] [dockerd|registry]...
#                             stop only what `start` started (an engine or registry that was
#                             already running is left alone); both unless named. While any
#                             container runs (someone's work), both are left up unless --force
#   docker-engine.sh status   print key=value lines (engine, client, registry, who started what);
#                             exit 0 when the engine and the registry answer, 3 when not
#
# State (pid files, logs, registry config and storage, markers of what this script started)
# lives in ${PG_PLATFORM_CACHE:-$HOME/.cache/pg-platform}/docker. Environment:
#   PG_PLATFORM_REGISTRY_PORT  the registry's preferred port on 127.0.0.1 (default 5000; a free
#                              one is taken when it is busy; the port in use is in registry.port)
#   PG_PLATFORM_DOCKER_CLI     the docker client to use (default: Debian's /usr/bin/docker, the
#                              20.10 client whose built-in BuildKit builds without buildx)
#
# dockerd listens on its unix socket only (/var/run/docker.sock, no TCP) and publishes ports
# without an explicit address on 127.0.0.1; the registry listens on 127.0.0.1 only.
set -euo pipefail

readonly SELF=docker-engine
readonly STATE_DIR=${PG_PLATFORM_CACHE:-$HOME/.cache/pg-platform}/docker
readonly SOCKET=/var/run/docker.sock
readonly PACKAGES=(docker.io docker-registry debootstrap)

die() {
    printf '%s: %s\n' "$SELF" "$*" >&2
    exit 1
}
say() { printf '%s: %s\n' "$SELF" "$*" >&2; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# ---- packages -------------------------------------------------------------------------------

missing_packages() {
    local pkg
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            printf '%s\n' "$pkg"
        fi
    done
}

install_packages() {
    local missing
    mapfile -t missing < <(missing_packages)
    ((${#missing[@]} > 0)) || return 0
    is_root || die "missing Debian packages: ${missing[*]} (install them as root: apt-get install -y --no-install-recommends ${missing[*]})"
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps the packages' services (docker, containerd, registry) from starting:
    # this script starts its own, bound to 127.0.0.1.
    local own_policy=false
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        own_policy=true
    fi
    local status=0
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
    if $own_policy; then rm -f /usr/sbin/policy-rc.d; fi
    ((status == 0)) || die "apt-get install ${missing[*]} failed (exit $status)"
}

# ---- docker client and engine ----------------------------------------------------------------

# The client to use: Debian's 20.10 client builds with its built-in BuildKit; a newer client
# first on PATH (28.x) wants the buildx plugin for BuildKit, which Debian does not package.
docker_cli() {
    if [[ -n ${PG_PLATFORM_DOCKER_CLI:-} ]]; then
        printf '%s\n' "$PG_PLATFORM_DOCKER_CLI"
    elif [[ -x /usr/bin/docker ]]; then
        printf '%s\n' /usr/bin/docker
    else
        command -v docker || true
    fi
}

# The version of the engine answering on the socket, or nothing.
engine_version() {
    local cli
    cli=$(docker_cli)
    [[ -n $cli ]] || return 0
    timeout 10 "$cli" --host "unix://$SOCKET" version --format '{{.Server.Version}}' 2>/dev/null || true
}

# Pid recorded in a file, when that process is still alive and runs the expected program.
live_pid() {
    local file=$1 program=$2 pid
    [[ -r $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$program" || return 1
    printf '%s\n' "$pid"
}

# Whether the engine answers on the socket.
engine_answers() {
    [[ -n $(engine_version) ]]
}

# Records a just-started daemon's pid (STATE_DIR/<name>.started: `stop` ends only what this
# script started) and waits until `check...` succeeds; dies with its log when it exits first,
# or when it has not answered within the timeout.
#   await_start <name in STATE_DIR> <program> <pid> <timeout s> <poll interval s> <where> <check...>
await_start() {
    local name=$1 program=$2 pid=$3 timeout=$4 interval=$5 where=$6
    shift 6
    local deadline=$((SECONDS + timeout))
    printf '%s\n' "$pid" >"$STATE_DIR/$name.started"
    until "$@"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$STATE_DIR/$name.started"
            tail -n 20 "$STATE_DIR/$name.log" >&2 || true
            die "$program exited during start-up (log above)"
        fi
        ((SECONDS < deadline)) || die "$program (pid $pid) did not answer $where within $timeout s; see $STATE_DIR/$name.log"
        sleep "$interval"
    done
}

start_engine() {
    local version
    version=$(engine_version)
    if [[ -n $version ]]; then
        if live_pid "$STATE_DIR/dockerd.started" dockerd >/dev/null; then
            say "engine $version already running (started by this script earlier)"
        else
            say "engine $version already running (not started by this script; stop will leave it)"
        fi
        return 0
    fi
    is_root || die "no Docker engine answers on $SOCKET, and only root can start dockerd"
    command -v dockerd >/dev/null || die "dockerd is not installed (apt-get install docker.io)"
    say "starting dockerd (log: $STATE_DIR/dockerd.log)"
    # setsid: the engine outlives this script and is not killed by the caller's terminal
    # signals; `stop` ends it by its recorded pid. 9>&-: it must not inherit (and so hold) the lock.
    setsid dockerd \
        --host "unix://$SOCKET" \
        --pidfile "$STATE_DIR/dockerd.pid" \
        --ip 127.0.0.1 \
        >>"$STATE_DIR/dockerd.log" 2>&1 </dev/null 9>&- &
    local pid=$!
    await_start dockerd dockerd "$pid" 60 0.5 "on $SOCKET" engine_answers
    say "engine $(engine_version) answering on $SOCKET (pid $pid)"
}

# ---- registry ---------------------------------------------------------------------------------

registry_answers() {
    local port=$1
    curl -fsS --max-time 3 -o /dev/null -D - "http://127.0.0.1:$port/v2/" 2>/dev/null | grep -qi '^docker-distribution-api-version: registry/2.0'
}

port_busy() {
    [[ -n $(ss -Htln "sport = :$1") ]]
}

pick_port() {
    local port=${PG_PLATFORM_REGISTRY_PORT:-5000}
    if ! [[ $port =~ ^[1-9][0-9]{0,4}$ ]] || ((port > 65535)); then
        die "PG_PLATFORM_REGISTRY_PORT must be a TCP port (got \"$port\")"
    fi
    local tries=0
    while port_busy "$port"; do
        ((++tries < 200)) || die "no free port found from ${PG_PLATFORM_REGISTRY_PORT:-5000} upwards"
        port=$((port + 1))
    done
    printf '%s\n' "$port"
}

start_registry() {
    local port
    if [[ -r $STATE_DIR/registry.port ]]; then
        port=$(<"$STATE_DIR/registry.port")
        if registry_answers "$port"; then
            say "registry already running on 127.0.0.1:$port"
            return 0
        fi
    fi
    command -v docker-registry >/dev/null || die "docker-registry is not installed (apt-get install docker-registry)"
    port=$(pick_port)
    mkdir -p "$STATE_DIR/registry"
    # Our own config: the packaged one listens on every interface with htpasswd auth.
    cat >"$STATE_DIR/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
    say "starting docker-registry on 127.0.0.1:$port (log: $STATE_DIR/registry.log)"
    # The REGISTRY_* environment overrides the config file: run without it. 9>&-: not the lock.
    setsid env -u REGISTRY_HTTP_ADDR -u REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY \
        docker-registry serve "$STATE_DIR/registry.yml" >>"$STATE_DIR/registry.log" 2>&1 </dev/null 9>&- &
    local pid=$!
    printf '%s\n' "$port" >"$STATE_DIR/registry.port"
    await_start registry docker-registry "$pid" 30 0.2 "on 127.0.0.1:$port" registry_answers "$port"
}

# ---- stop ---------------------------------------------------------------------------------------

# How many containers run on the engine (0 when none answers).
running_containers() {
    local cli ids
    cli=$(docker_cli)
    [[ -n $cli ]] || {
        echo 0
        return
    }
    ids=$(timeout 10 "$cli" --host "unix://$SOCKET" ps --quiet 2>/dev/null) || ids=
    if [[ -z $ids ]]; then echo 0; else wc -l <<<"$ids"; fi
}

# Stops the process a marker names (only if it is still the program we started), then drops the marker.
stop_started() {
    local marker=$STATE_DIR/$1.started program=$2 grace=$3 pid
    if ! pid=$(live_pid "$marker" "$program"); then
        rm -f "$marker"
        return 0
    fi
    say "stopping $program (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        say "$program (pid $pid) still running after ${grace} s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$marker"
}

# ---- status -------------------------------------------------------------------------------------

status() {
    local version port='' registry=down cli
    version=$(engine_version)
    cli=$(docker_cli)
    [[ -r $STATE_DIR/registry.port ]] && port=$(<"$STATE_DIR/registry.port")
    if [[ -n $port ]] && registry_answers "$port"; then registry=up; fi
    printf 'state_dir=%s\n' "$STATE_DIR"
    printf 'docker_cli=%s\n' "$cli"
    printf 'docker_host=unix://%s\n' "$SOCKET"
    printf 'engine=%s\n' "${version:-down}"
    printf 'engine_started_here=%s\n' "$(live_pid "$STATE_DIR/dockerd.started" dockerd >/dev/null && echo true || echo false)"
    printf 'registry=%s\n' "$registry"
    printf 'registry_address=%s\n' "${port:+127.0.0.1:$port}"
    printf 'registry_started_here=%s\n' "$(live_pid "$STATE_DIR/registry.started" docker-registry >/dev/null && echo true || echo false)"
    [[ -n $version && $registry == up ]] || return 3
}

main() {
    local usage="usage: docker-engine.sh start|stop [--force] [dockerd|registry]...|status"
    (($# >= 1)) || die "$usage"
    [[ $1 == stop ]] || (($# == 1)) || die "$usage"
    mkdir -p "$STATE_DIR"
    # One start/stop at a time (test workers may call start together).
    exec 9>"$STATE_DIR/lock"
    flock 9
    case $1 in
        start)
            local began=$SECONDS
            install_packages
            start_engine
            start_registry
            say "ready in $((SECONDS - began)) s: engine $(engine_version), registry 127.0.0.1:$(<"$STATE_DIR/registry.port")"
            ;;
        stop)
            local which=("${@:2}") part force=false running
            if [[ ${which[0]:-} == --force ]]; then
                force=true
                which=("${which[@]:1}")
            fi
            ((${#which[@]} > 0)) || which=(registry dockerd)
            for part in "${which[@]}"; do
                [[ $part == dockerd || $part == registry ]] || die "unknown part \"$part\" to stop (expected dockerd or registry)"
            done
            running=$(running_containers)
            if ! $force && ((running > 0)); then
                say "$running container(s) still running on the engine: leaving dockerd and the registry up (stop --force stops them anyway)"
                return 0
            fi
            for part in "${which[@]}"; do
                if [[ $part == registry ]]; then
                    stop_started registry docker-registry 10
                else
                    # dockerd stops its containers first: give it their stop timeouts.
                    stop_started dockerd dockerd 150
                fi
            done
            ;;
        status) status ;;
        *) die "unknown command \"$1\" (expected start, stop or status)" ;;
    esac
}

main "$@"
