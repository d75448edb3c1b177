#!/usr/bin/env bash
# Builder-stage helper: compiles one PostgreSQL extension from its git repository at an exact
# commit and stages only what the server loads (shared library, control and SQL files) under
# /out, mirroring the server's install paths, for the final stage to copy.
#
#   build-extension.sh <name> <git-url> <40-hex-commit> [make variables...]
set -euo pipefail

readonly SELF=build-extension
die() {
    printf '%s: %s\n' "$SELF" "$*" >&2
    exit 1
}

(($# >= 3)) || die "usage: build-extension.sh <name> <git-url> <40-hex-commit> [make variables...]"
name=$1 url=$2 commit=$3
shift 3
# The name becomes paths this script deletes and fills (/usr/src/<name>, /stage/<name>).
[[ $name =~ ^[a-z0-9_]+$ ]] || die "extension name must be lower-case letters, digits and _ (got \"$name\")"
[[ $commit =~ ^[0-9a-f]{40}$ ]] || die "$name: commit must be 40 lower-case hex digits (got \"$commit\"); tags can move, commits cannot"
: "${PG_MAJOR:?$SELF: PG_MAJOR must be set (the official image sets it)}"
pg_config=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
[[ -x $pg_config ]] || die "no pg_config at $pg_config; is postgresql-server-dev-$PG_MAJOR installed?"

src=/usr/src/$name
rm -rf "$src"
git init --quiet "$src"
# Fetch exactly that commit (GitHub serves any reachable commit by id), never a branch or tag.
git -C "$src" fetch --quiet --depth 1 "$url" "$commit"
git -C "$src" -c advice.detachedHead=false checkout --quiet FETCH_HEAD
[[ $(git -C "$src" rev-parse HEAD) == "$commit" ]] || die "$name: checked out $(git -C "$src" rev-parse HEAD), expected $commit"

# with_llvm=no: no JIT bitcode (it needs clang here and adds megabytes for little gain).
make_args=(-C "$src" "PG_CONFIG=$pg_config" with_llvm=no "$@")
make "${make_args[@]}" -j"$(nproc)"
make "${make_args[@]}" install DESTDIR="/stage/$name"

# Only the shared library and the control/SQL files go on; headers and docs stay behind.
lib_dir=$("$pg_config" --pkglibdir)
extension_dir=$("$pg_config" --sharedir)/extension
mkdir -p "/out$lib_dir" "/out$extension_dir"
cp -a "/stage/$name$lib_dir/." "/out$lib_dir/"
cp -a "/stage/$name$extension_dir/." "/out$extension_dir/"
find "/out$lib_dir" -name '*.so' -exec strip --strip-unneeded {} +
