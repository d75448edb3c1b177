#!/usr/bin/env bash
# Builds the images the integration and end-to-end tests run, on machines that can pull no
# image: every one starts from a Debian base made here with debootstrap and takes its programs
# from Debian's packages. Each is pushed to the local registry of scripts/docker-engine.sh (which
# this script starts when needed) and named by digest:
#
#   debian             Debian sid, minbase, from debootstrap (built only when missing)
#   postgres-user      debian with the official postgres image's user (postgres 999:999), and
#   pgbouncer-user     with the PgBouncer image's (postgres 70:70): test/images/service-user
#   postgres-base      stand-in for the official postgres image: Debian's PostgreSQL 18, pg_cron,
#                      pgAudit, pgvector, pgBackRest (test/images/postgres-base)
#   postgres           the platform's image: the production Dockerfile and scripts of
#                      components/image/context, built FROM postgres-base (BASE_IMAGE) with the
#                      extensions taken from it (EXTENSIONS_FROM=base)
#   pgbouncer          stand-in for the pinned PgBouncer image (test/images/pgbouncer)
#   postgres-exporter  stand-in for the pinned postgres_exporter image (test/images/postgres-exporter)
#   postgres-17        the platform's image on a PostgreSQL 17 stand-in base (postgres-base-17),
#                      the cluster the platform's 17 -> 18 upgrade starts from
#   postgres-from-17   the platform's 18 image built with UPGRADE_FROM=17 (postgres.upgradeFrom)
#   migrations         a user's migration image: Debian's Node.js with node-pg-migrate and pg
#                      copied from the repository's node_modules, and SQL migrations
#                      (test/images/migrations), for the migration job's end-to-end test
#
# The images on the Debian base build side by side (their apt downloads overlap).
# An image is built only when no image built from the same inputs (recipe, Dockerfile, context
# files and their modes, build arguments, parent digest) is in the registry: its tag is a hash
# of them. A warm run only asks the registry. Prints the references as JSON on stdout and writes
# them to <state>/images.json:
#   {"registry":"127.0.0.1:5000","images":{"postgres":"127.0.0.1:5000/pg-platform/postgres@sha256:…",…}}
# Progress and the time of each step go to stderr; build logs to <state>/logs/<image>.log.
#
# Root only (debootstrap, and the engine's installation). Environment:
#   PG_PLATFORM_CACHE        cache folder (default $HOME/.cache/pg-platform); state in <cache>/docker
#   PG_PLATFORM_DEBIAN_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   PG_PLATFORM_DOCKER_CLI   docker client (default as docker-engine.sh: Debian's 20.10 client)
set -euo pipefail

readonly SELF=build-images
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly STATE_DIR=${PG_PLATFORM_CACHE:-$HOME/.cache/pg-platform}/docker
readonly MIRROR=${PG_PLATFORM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly SUITE=sid
readonly NAMESPACE=pg-platform
# Bump to rebuild everything when this script changes how it builds.
readonly RECIPE=1

die() {
    printf '%s: %s\n' "$SELF" "$*" >&2
    exit 1
}
say() { printf '%s: %s\n' "$SELF" "$*" >&2; }

[[ $(id -u) -eq 0 ]] || die "run as root (debootstrap and the engine need it)"
(($# == 0)) || die "usage: build-images.sh (no arguments)"

bash "$ROOT/scripts/docker-engine.sh" start

DOCKER=$(bash "$ROOT/scripts/docker-engine.sh" status | sed -n 's/^docker_cli=//p')
readonly DOCKER
REGISTRY=127.0.0.1:$(<"$STATE_DIR/registry.port")
readonly REGISTRY

# BuildKit is required (RUN --mount, COPY --chmod, FROM ${BASE_IMAGE}). A client with the buildx
# plugin uses it; Debian's 20.10 client has BuildKit built in; a newer client without buildx
# falls back to the legacy builder, which refuses RUN --mount.
check_builder() {
    local version major
    if "$DOCKER" buildx version >/dev/null 2>&1; then return 0; fi
    version=$("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null) || die "$DOCKER does not run"
    major=${version%%.*}
    [[ $major =~ ^[0-9]+$ ]] && ((major < 23)) && return 0
    die "$DOCKER (client $version) builds with BuildKit only through the buildx plugin, which is missing; use Debian's /usr/bin/docker (docker.io) or set PG_PLATFORM_DOCKER_CLI"
}
check_builder
export DOCKER_BUILDKIT=1

mkdir -p "$STATE_DIR/logs"
exec 9>"$STATE_DIR/build.lock"
flock 9
# Scratch space (the debootstrap root, the background steps' results), removed at exit.
TMP=$(mktemp -d "$STATE_DIR/tmp.XXXXXX")
readonly TMP
trap 'rm -rf "$TMP"' EXIT

# ---- registry -----------------------------------------------------------------------------------

readonly MANIFEST_TYPES='application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json'

# Digest of <name>:<tag> in the registry, or nothing when it is not there.
registry_digest() {
    local headers
    headers=$(curl -fsS --max-time 10 -I -H "Accept: $MANIFEST_TYPES" "http://$REGISTRY/v2/$NAMESPACE/$1/manifests/$2" 2>/dev/null) || return 0
    tr -d '\r' <<<"$headers" | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p'
}

push() {
    local name=$1 tag=$2 digest
    "$DOCKER" push "$REGISTRY/$NAMESPACE/$name:$tag" >>"$STATE_DIR/logs/$name.log" 2>&1 || die "pushing $name failed; see $STATE_DIR/logs/$name.log"
    digest=$(registry_digest "$name" "$tag")
    [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || die "the registry has no digest for $name:$tag after the push"
    printf '%s\n' "$digest"
}

# ---- inputs -------------------------------------------------------------------------------------

sha() { sha256sum | cut -c1-64; }

# Hash of a folder's files: path, mode and content of each, in a stable order.
tree_hash() {
    local dir=$1 file
    (
        cd "$dir"
        find . -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' file; do
            printf '%s %s %s\n' "$file" "$(stat -c %a "$file")" "$(sha256sum <"$file" | cut -c1-64)"
        done
    ) | sha
}

ref_of() { printf '%s/%s/%s@%s' "$REGISTRY" "$NAMESPACE" "$1" "$2"; }

# What each build step leaves: the image's digest, and whether it was "built" or "cached".
declare -A DIGESTS=()
OUTCOME=

# ---- debian: debootstrap ------------------------------------------------------------------------

build_debian() {
    # The base's own tweaks, as Debian's official images have them: no service starts in a
    # build (policy-rc.d), apt caches dropped (docker-clean), and sid's Release file accepted
    # past its Valid-Until date (the mirror lets it lapse).
    local policy=$'#!/bin/sh\nexit 101\n'
    local clean=$'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nAPT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'
    local valid=$'Acquire::Check-Valid-Until "false";\n'
    local tag digest
    tag=$(printf '%s\n' "$RECIPE" "$SUITE" minbase "$MIRROR" "$policy" "$clean" "$valid" | sha | cut -c1-16)
    digest=$(registry_digest debian "$tag")
    if [[ -n $digest ]]; then
        DIGESTS[debian]=$digest
        OUTCOME=cached
        return
    fi
    command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
    local rootfs=$TMP/rootfs
    debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$STATE_DIR/logs/debian.log" 2>&1 ||
        die "debootstrap $SUITE failed; see $STATE_DIR/logs/debian.log"
    printf '%s' "$policy" >"$rootfs/usr/sbin/policy-rc.d"
    chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
    printf '%s' "$clean" >"$rootfs/etc/apt/apt.conf.d/docker-clean"
    printf '%s' "$valid" >"$rootfs/etc/apt/apt.conf.d/99check-valid-until"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
    tar --numeric-owner -C "$rootfs" -c . |
        "$DOCKER" import \
            --change 'CMD ["bash"]' \
            --change "LABEL org.opencontainers.image.title=\"Debian $SUITE minbase (debootstrap)\" pg-platform.inputs=\"$tag\"" \
            - "$REGISTRY/$NAMESPACE/debian:$tag" >>"$STATE_DIR/logs/debian.log" 2>&1 || die "docker import failed; see $STATE_DIR/logs/debian.log"
    rm -rf "$rootfs"
    DIGESTS[debian]=$(push debian "$tag")
    OUTCOME=built
}

# ---- images from Dockerfiles --------------------------------------------------------------------

# build <name> <context dir> <parent name> [docker build options...]: builds when the registry
# lacks the inputs' tag. The parent's digest is one of the inputs.
build() {
    local name=$1 context=$2 parent=$3 tag digest
    shift 3
    tag=$(printf '%s\n' "$RECIPE" "$(tree_hash "$context")" "${DIGESTS[$parent]}" "$@" | sha | cut -c1-16)
    digest=$(registry_digest "$name" "$tag")
    if [[ -n $digest ]]; then
        DIGESTS[$name]=$digest
        OUTCOME=cached
        return
    fi
    if ! "$DOCKER" build --progress=plain \
        --build-arg "BASE_IMAGE=$(ref_of "$parent" "${DIGESTS[$parent]}")" \
        --label "pg-platform.inputs=$tag" \
        "$@" \
        --tag "$REGISTRY/$NAMESPACE/$name:$tag" \
        "$context" >"$STATE_DIR/logs/$name.log" 2>&1; then
        tail -n 30 "$STATE_DIR/logs/$name.log" >&2
        die "building $name failed (last lines above; whole log: $STATE_DIR/logs/$name.log)"
    fi
    DIGESTS[$name]=$(push "$name" "$tag")
    OUTCOME=built
}

# Versions of Debian packages in an image, "name=version" per line.
package_versions() {
    # shellcheck disable=SC2016 # dpkg-query's own ${field} format, not the shell's
    "$DOCKER" run --rm --network none --entrypoint dpkg-query "$1" -W -f '${Package}=${Version}\n' "${@:2}"
}

# The platform's image: the production Dockerfile on the stand-in base. Its labels say what it
# really is (Debian's PostgreSQL and extension packages), not the production base and commits.
#   build_postgres <name> <stand-in base> <major> [docker build options...]
build_postgres() {
    local name=$1 base=$2 major=$3 base_ref versions pg cron audit vector pgbackrest
    shift 3
    base_ref=$(ref_of "$base" "${DIGESTS[$base]}")
    versions=$(package_versions "$base_ref" "postgresql-$major" "postgresql-$major-cron" "postgresql-$major-pgaudit" "postgresql-$major-pgvector" pgbackrest) ||
        die "cannot read the package versions of $base_ref"
    pg=$(sed -n "s/^postgresql-$major=//p" <<<"$versions")
    cron=$(sed -n "s/^postgresql-$major-cron=//p" <<<"$versions")
    audit=$(sed -n "s/^postgresql-$major-pgaudit=//p" <<<"$versions")
    vector=$(sed -n "s/^postgresql-$major-pgvector=//p" <<<"$versions")
    pgbackrest=$(sed -n 's/^pgbackrest=//p' <<<"$versions")
    [[ -n $pg && -n $cron && -n $audit && -n $vector && -n $pgbackrest ]] || die "missing packages in $base_ref: $versions"
    local upstream=${pg%%-*}
    build "$name" "$ROOT/components/image/context" "$base" \
        --build-arg EXTENSIONS_FROM=base \
        --build-arg BUILD_PGVECTOR=true \
        --build-arg "PGBACKREST_VERSION=$pgbackrest" \
        "$@" \
        --label "org.opencontainers.image.version=$upstream" \
        --label "org.opencontainers.image.base.name=$REGISTRY/$NAMESPACE/$base" \
        --label "org.opencontainers.image.base.digest=${DIGESTS[$base]}" \
        --label "pg-platform.postgres.version=$upstream" \
        --label "pg-platform.postgres.source=debian:postgresql-$major=$pg" \
        --label "pg-platform.extension.pg_cron.version=${cron%%-*}" \
        --label "pg-platform.extension.pg_cron.revision=" \
        --label "pg-platform.extension.pg_cron.source=debian:postgresql-$major-cron=$cron" \
        --label "pg-platform.extension.pgaudit.version=${audit%%-*}" \
        --label "pg-platform.extension.pgaudit.revision=" \
        --label "pg-platform.extension.pgaudit.source=debian:postgresql-$major-pgaudit=$audit" \
        --label "pg-platform.extension.pgvector.version=${vector%%-*}" \
        --label "pg-platform.extension.pgvector.revision=" \
        --label "pg-platform.extension.pgvector.source=debian:postgresql-$major-pgvector=$vector"
}

# The migration image's context: its folder plus node-pg-migrate, pg and everything they depend
# on, copied from the repository's node_modules at the versions package-lock.json pins (the
# build reaches no npm registry). The copied files are among the inputs the tag hashes.
build_migrations() {
    local context=$TMP/migrations-context packages
    [[ -d $ROOT/node_modules/node-pg-migrate && -d $ROOT/node_modules/pg ]] || die "node_modules lacks node-pg-migrate or pg: run npm ci first"
    packages=$(cd "$ROOT" && npm query '#node-pg-migrate, #node-pg-migrate *, #pg, #pg *' |
        node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { for (const p of JSON.parse(s)) console.log(p.location); });') ||
        die "npm query could not list node-pg-migrate's and pg's packages"
    if ! grep -qx node_modules/node-pg-migrate <<<"$packages" || ! grep -qx node_modules/pg <<<"$packages"; then
        die "npm query did not find node-pg-migrate and pg in $ROOT/node_modules (is it the tree npm ci made?)"
    fi
    mkdir -p "$context"
    cp -a "$ROOT/test/images/migrations/." "$context/"
    # Package by package, so a node_modules that is itself a link is copied as files.
    while IFS= read -r package; do
        mkdir -p "$context/$package"
        cp -a "$ROOT/$package/." "$context/$package/" || die "copying $package into the migration image's context failed"
    done <<<"$packages"
    build migrations "$context" debian
}

# step <name> <function> [arguments...]: runs one build and prints its time and reference.
step() {
    local name=$1 began=$SECONDS
    shift
    OUTCOME=
    "$@"
    say "$(printf '%-18s %-6s %4d s  %s' "$name" "$OUTCOME" $((SECONDS - began)) "$(ref_of "$name" "${DIGESTS[$name]}")")"
}

# step_async: the same in the background (apt downloads overlap); step_wait <name> collects it.
declare -A PIDS=()
step_async() {
    local name=$1
    shift
    (
        step "$name" "$@"
        printf '%s\n' "${DIGESTS[$name]}" >"$TMP/$name.digest"
    ) &
    PIDS[$name]=$!
}
step_wait() {
    local name=$1
    if ! wait "${PIDS[$name]}"; then
        kill "${PIDS[@]}" 2>/dev/null || true
        die "building $name failed"
    fi
    DIGESTS[$name]=$(<"$TMP/$name.digest")
}

began=$SECONDS
step debian build_debian
# The stand-ins' users, each with its upstream image's ids (one recipe, two builds).
step postgres-user build postgres-user "$ROOT/test/images/service-user" debian \
    --build-arg USER_ID=999 --build-arg USER_SHELL=/bin/bash --build-arg HOME_MODE=1777
step pgbouncer-user build pgbouncer-user "$ROOT/test/images/service-user" debian --build-arg USER_ID=70
# The images on the Debian base are independent; the platform's needs postgres-base.
step_async postgres-base build postgres-base "$ROOT/test/images/postgres-base" postgres-user
step_async pgbouncer build pgbouncer "$ROOT/test/images/pgbouncer" pgbouncer-user
step_async postgres-exporter build postgres-exporter "$ROOT/test/images/postgres-exporter" debian
# PostgreSQL 17 (trixie) laid out as the official 17 image (PGDATA=/var/lib/postgresql/data,
# its own VOLUME), for the platform's 17 -> 18 upgrade (issue 14): the platform's image on it
# must still keep its cluster in the stack's volume.
step_async postgres-base-17 build postgres-base-17 "$ROOT/test/images/postgres-base" postgres-user --build-arg PG_MAJOR=17 \
    --build-arg PGDATA_DIR=/var/lib/postgresql/data --build-arg VOLUME_DIR=/var/lib/postgresql/data
step_async migrations build_migrations
step_wait postgres-base
step postgres build_postgres postgres postgres-base 18
# The platform's 18 image built for an upgrade from 17 (postgres.upgradeFrom: 17 sets UPGRADE_FROM).
step_async postgres-from-17 build_postgres postgres-from-17 postgres-base 18 --build-arg UPGRADE_FROM=17
step_wait postgres-base-17
step postgres-17 build_postgres postgres-17 postgres-base-17 17
step_wait postgres-from-17
step_wait pgbouncer
step_wait postgres-exporter
step_wait migrations

json=$(
    printf '{"registry":"%s","images":{' "$REGISTRY"
    separator=
    for name in debian postgres-base postgres pgbouncer postgres-exporter migrations postgres-17 postgres-from-17; do
        printf '%s"%s":"%s"' "$separator" "$name" "$(ref_of "$name" "${DIGESTS[$name]}")"
        separator=,
    done
    printf '}}\n'
)
printf '%s\n' "$json" >"$STATE_DIR/images.json.tmp"
mv "$STATE_DIR/images.json.tmp" "$STATE_DIR/images.json"
say "all images ready in $((SECONDS - began)) s; references in $STATE_DIR/images.json"
printf '%s\n' "$json"
