#!/usr/bin/env bash
# Puts the Pulumi engine that package-lock.json's SDKs expect on this machine, built from the Go module
# proxy (no prebuilt Pulumi binary can be downloaded here), into a cache outside the repository.
#
#   bash scripts/install-pulumi.sh                 build what is missing, then print KEY=value lines
#   bash scripts/install-pulumi.sh --print-env     the same, but stdout carries only the KEY=value lines
#                                                  (progress goes to stderr), for a test runner:
#                                                  set -a; eval "$(bash scripts/install-pulumi.sh --print-env)"; set +a
#   bash scripts/install-pulumi.sh --require-all   exit 3 when a required component could not be had
#   bash scripts/install-pulumi.sh --retry         build again what failed to build before (a module
#                                                  the proxy does not serve is asked for on every run)
#
# Versions and Go module paths come from scripts/engine-versions.json alone.
# Uses `pulumi` from PATH when it reports the pinned version and a pulumi-language-nodejs sits beside it.
# Otherwise everything goes to ${PG_PLATFORM_CACHE:-$HOME/.cache/pg-platform}/pulumi/<cli-version>/:
#   bin/   pulumi and the language hosts (the CLI looks for those next to itself)
#   home/  PULUMI_HOME: resource plugins and the pulumi-analyzer-policy-nodejs launcher, installed with
#          `pulumi plugin install KIND NAME VERSION --file FILE` (no network)
#   src/   one generated wrapper module per component (go.mod + go.sum), logs/ the build logs
# A component already built for its pinned module@version is skipped, so a rerun takes seconds; Go's
# module and build caches are the default GOPATH/GOCACHE.
#
# Why wrapper modules: `go install module/cmd@version` refuses a module whose go.mod has `replace`
# directives (github.com/pulumi/pulumi/pkg/v3 replaces sdk/v3 with ../sdk, bridged providers replace
# terraform-plugin-sdk with Pulumi's fork). The wrapper requires the component at its release, repeats
# every replace that names a module version, and turns a local-path replace of a sibling module of
# github.com/pulumi/pulumi (../sdk, ../../../../pkg) into a requirement of that sibling at the same release.
# Any other local-path replace (a provider's ./shim or ../upstream submodule) cannot be rebuilt from the
# proxy: that component is reported as missing.
#
# Module verification: when the checksum database (GOSUMDB, sum.golang.org) does not answer - it does
# not on these machines - the script sets GOSUMDB=off. Each wrapper's go.sum is then seeded with the
# go.sum files that the component's own module zip (and a replaced sibling's zip) carries, i.e. the
# hashes Pulumi committed for every dependency, so the go command refuses a dependency whose content
# differs from what Pulumi built against. The component's own zip (and a sibling's) and any module
# not listed in those files are trusted as the proxy serves them, over TLS, unverified: that is weaker
# than the checksum database, and the script says so when it happens. A reachable GOSUMDB (or one set
# explicitly in the environment) is used as usual.
set -euo pipefail

PRINT_ENV=0
REQUIRE_ALL=0
RETRY=0
for arg in "$@"; do
    case "$arg" in
        --print-env) PRINT_ENV=1 ;;
        --require-all) REQUIRE_ALL=1 ;;
        --retry) RETRY=1 ;;
        -h | --help)
            sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install-pulumi.sh: unknown argument '$arg' (try --help)" >&2
            exit 2
            ;;
    esac
done

log() {
    if ((PRINT_ENV)); then printf '%s\n' "$*" >&2; else printf '%s\n' "$*"; fi
}
die() {
    printf 'install-pulumi.sh: %s\n' "$*" >&2
    exit 1
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSIONS_FILE="$ROOT/scripts/engine-versions.json"
[[ -r "$VERSIONS_FILE" ]] || die "cannot read $VERSIONS_FILE"
command -v node >/dev/null 2>&1 || die "node is needed to read $VERSIONS_FILE"

# Flatten engine-versions.json into PIN[path.to.field]=value (arrays by index, plugins.count = length).
declare -A PIN=()
# shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
while IFS=$'\t' read -r key value; do
    PIN["$key"]="$value"
done < <(node -e '
    const pins = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const walk = (prefix, value) => {
        if (Array.isArray(value)) {
            console.log(`${prefix}.count\t${value.length}`);
            value.forEach((item, i) => walk(`${prefix}.${i}`, item));
        } else if (value !== null && typeof value === "object") {
            for (const [k, v] of Object.entries(value)) if (!k.startsWith("$")) walk(prefix ? `${prefix}.${k}` : k, v);
        } else {
            console.log(`${prefix}\t${String(value).replace(/[\t\n]/g, " ")}`);
        }
    };
    walk("", pins);
' "$VERSIONS_FILE")
pin() {
    [[ -n "${PIN[$1]+set}" ]] || die "engine-versions.json has no '$1'"
    printf '%s' "${PIN[$1]}"
}
pin_or() {
    printf '%s' "${PIN[$1]-$2}"
}

CLI_VERSION=$(pin cli.version)
CACHE_ROOT="${PG_PLATFORM_CACHE:-${HOME:?HOME is not set; set PG_PLATFORM_CACHE}/.cache/pg-platform}"
ENGINE_DIR="$CACHE_ROOT/pulumi/$CLI_VERSION"
BIN_DIR="$ENGINE_DIR/bin"
PULUMI_HOME_DIR="$ENGINE_DIR/home"
SRC_DIR="$ENGINE_DIR/src"
LOG_DIR="$ENGINE_DIR/logs"
STAMP_DIR="$ENGINE_DIR/stamps"

# The environment every pulumi command of this project needs (printed at the end).
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

MISSING=()
SUMMARY=()
SCRIPT_START=$SECONDS

# Single-quoted for eval; a parser strips the quotes.
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
print_env() {
    local bin_dir=$1 home_dir=$2 complete=true
    ((${#MISSING[@]} == 0)) || complete=false
    local lines=(
        "PULUMI_BIN_DIR=$(quote "$bin_dir")"
        "PATH=$(quote "$bin_dir"):\"\$PATH\""
        "PULUMI_SKIP_UPDATE_CHECK=true"
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true"
    )
    # Our own build: every plugin is in PULUMI_HOME, and a download could only fail (or hang) here.
    [[ -z "$home_dir" ]] || lines+=(
        "PULUMI_HOME=$(quote "$home_dir")"
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
    )
    lines+=(
        "PG_PLATFORM_ENGINE_COMPLETE=$complete"
        "PG_PLATFORM_ENGINE_MISSING=$(quote "${MISSING[*]-}")"
    )
    printf '%s\n' "${lines[@]}"
}

finish() {
    local bin_dir=$1 home_dir=$2
    if ((${#SUMMARY[@]})); then
        log ""
        log "summary (total $((SECONDS - SCRIPT_START)) s):"
        local line
        for line in "${SUMMARY[@]}"; do log "  $line"; done
    fi
    if ((${#MISSING[@]})); then
        log "missing: ${MISSING[*]} - a nodejs program cannot run under this engine until they are served"
    fi
    print_env "$bin_dir" "$home_dir"
    if ((REQUIRE_ALL)) && ((${#MISSING[@]})); then exit 3; fi
    exit 0
}

# 1. A pulumi on PATH at the pinned version, with its nodejs language host beside it, is used as it is.
if path_pulumi=$(command -v pulumi 2>/dev/null) && [[ "$(dirname "$path_pulumi")" != "$BIN_DIR" ]]; then
    path_version=$(pulumi version 2>/dev/null || true)
    path_dir=$(dirname "$path_pulumi")
    if [[ "$path_version" == "v$CLI_VERSION" && -x "$path_dir/$(pin languageHost.binary)" ]]; then
        log "using $path_pulumi ($path_version) from PATH; nothing to build"
        log "resource plugins are that installation's business (its PULUMI_HOME or automatic acquisition)"
        finish "$path_dir" ""
    fi
    log "pulumi on PATH is '$path_version' at $path_pulumi, not v$CLI_VERSION with its nodejs host: building"
fi

# 2. Build from the Go module proxy.
GO_BIN="${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}"
[[ -x "$GO_BIN" ]] || die "no Go toolchain (looked for \$GO, go on PATH, /usr/local/go/bin/go)"
mkdir -p "$BIN_DIR" "$PULUMI_HOME_DIR" "$SRC_DIR" "$LOG_DIR" "$STAMP_DIR"

# Two runs at once (two test runners) must not build into the same folder together.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$ENGINE_DIR/.lock"
    flock 9
fi

export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
if [[ -z "${GOSUMDB+set}" ]]; then
    sumdb=$("$GO_BIN" env GOSUMDB)
    sumdb_host=${sumdb%% *}
    sumdb_host=${sumdb_host%%+*}
    if [[ "$sumdb" != off ]] && ! curl -fsS -m 5 -o /dev/null "https://$sumdb_host/latest" 2>/dev/null; then
        export GOSUMDB=off
        log "checksum database $sumdb_host does not answer: GOSUMDB=off; dependencies are checked against" \
            "the go.sum files in the components' own module zips, the components themselves only by TLS"
    fi
fi

# go mod download -json MODULE@VERSION, run outside any module; prints the JSON, fails on an error.
download_json() {
    local scratch out
    scratch=$(mktemp -d)
    out=$(cd "$scratch" && { "$GO_BIN" mod download -json "$1" 2>/dev/null || true; })
    rmdir "$scratch"
    [[ -n "$out" ]] || {
        echo '{"Error":"go mod download printed nothing"}'
        return 1
    }
    printf '%s\n' "$out"
    ! node -e 'process.exit(JSON.parse(process.argv[1]).Error ? 0 : 1)' "$out"
}
one_line() { tr '\n\t' '  ' | sed 's/  */ /g; s/ $//' | head -c 400; }
json_field() { node -e 'const v = JSON.parse(process.argv[1])[process.argv[2]]; if (v !== undefined) console.log(v)' "$1" "$2"; }

# Generate the wrapper module for MODULE@VERSION in DIR. Prints nothing; fails (with a one-line reason
# on stderr) when the module is not served or has a local-path replace the proxy cannot satisfy.
write_wrapper() {
    local module=$1 version=$2 dir=$3 info gomod moddir edit_json plan sibling sibling_info
    info=$(download_json "$module@$version") || {
        echo "not served by the Go module proxy: $(json_field "$info" Error | one_line)" >&2
        return 1
    }
    gomod=$(json_field "$info" GoMod)
    moddir=$(json_field "$info" Dir)
    edit_json=$("$GO_BIN" mod edit -json "$gomod")
    # plan lines: "go X" | "require PATH VER" | "replace OLD[ VER] => NEW VER" | "local OLD => DIR"
    # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
    plan=$(node -e '
        const [mod, version, json] = process.argv.slice(1);
        const m = JSON.parse(json);
        const out = [`go ${m.Go || "1.21"}`, `require ${mod} ${version}`];
        for (const r of m.Replace || []) {
            const old = r.Old.Path + (r.Old.Version ? ` ${r.Old.Version}` : "");
            if (r.New.Version) out.push(`replace ${old} => ${r.New.Path} ${r.New.Version}`);
            else if (r.Old.Path.startsWith("github.com/pulumi/pulumi/")) out.push(`require ${r.Old.Path} ${version}`);
            else out.push(`local ${old} => ${r.New.Path}`);
        }
        console.log(out.join("\n"));
    ' "$module" "$version" "$edit_json")
    if grep -q '^local ' <<<"$plan"; then
        echo "its go.mod replaces $(grep '^local ' <<<"$plan" | sed 's/^local //' | paste -sd, -) with local paths no module zip carries" >&2
        return 1
    fi
    mkdir -p "$dir"
    {
        echo "// Generated by scripts/install-pulumi.sh: builds $module@$version from the Go module proxy."
        echo "module pgplatform.local/engine/$(basename "$dir")"
        echo
        grep '^go ' <<<"$plan"
        echo
        grep '^require ' <<<"$plan"
        grep '^replace ' <<<"$plan" || true
    } >"$dir/go.mod.new"
    cat "$moddir/go.sum" >"$dir/go.sum.new" 2>/dev/null || true
    while read -r sibling sibling_version; do
        sibling_info=$(download_json "$sibling@$sibling_version") || {
            echo "$sibling not served: $(json_field "$sibling_info" Error | one_line)" >&2
            return 1
        }
        cat "$(json_field "$sibling_info" Dir)/go.sum" >>"$dir/go.sum.new" 2>/dev/null || true
    done < <(grep '^require ' <<<"$plan" | awk -v m="$module" '$2 != m { print $2, $3 }')
    # Keep an existing go.sum's lines (hashes recorded by an earlier run) under the seeded ones.
    [[ ! -f "$dir/go.sum" ]] || cat "$dir/go.sum" >>"$dir/go.sum.new"
    sort -u "$dir/go.sum.new" >"$dir/go.sum"
    rm -f "$dir/go.sum.new"
    mv "$dir/go.mod.new" "$dir/go.mod"
}

# build NAME MODULE VERSION PACKAGE OUTPUT [LDFLAGS]: skip when OUTPUT exists and was built from the same
# MODULE@VERSION; otherwise generate the wrapper and go build. Records timing in SUMMARY.
build() {
    local name=$1 module=$2 version=$3 package=$4 output=$5 ldflags=${6:-} start stamp reason
    stamp="$STAMP_DIR/$name"
    if [[ -x "$output" && -f "$stamp" && "$(cat "$stamp")" == "$module@$version $package" ]]; then
        SUMMARY+=("$name: cached ($module@$version)")
        log "$name: already built from $module@$version"
        return 0
    fi
    if [[ -f "$stamp.failed" && "$(cat "$stamp.failed")" == "$module@$version $package" ]] && ((!RETRY)); then
        SUMMARY+=("$name: skipped, its build failed before (log: $LOG_DIR/$name.log; --retry tries again)")
        log "$name: skipped: go build of $module@$version failed before (see $LOG_DIR/$name.log, or pass --retry)"
        return 1
    fi
    start=$SECONDS
    log "$name: $package from $module@$version ..."
    if ! reason=$(write_wrapper "$module" "$version" "$SRC_DIR/$name" 2>&1 >/dev/null); then
        SUMMARY+=("$name: NOT BUILT after $((SECONDS - start)) s - $reason")
        log "$name: cannot be built: $reason"
        return 1
    fi
    if ! (cd "$SRC_DIR/$name" && "$GO_BIN" build -trimpath -ldflags "-s -w $ldflags" -o "$output.tmp" "$package") \
        >"$LOG_DIR/$name.log" 2>&1; then
        tail -n 20 "$LOG_DIR/$name.log" >&2
        printf '%s\n' "$module@$version $package" >"$stamp.failed"
        SUMMARY+=("$name: BUILD FAILED after $((SECONDS - start)) s (log: $LOG_DIR/$name.log)")
        log "$name: go build failed; log: $LOG_DIR/$name.log"
        return 1
    fi
    mv -f "$output.tmp" "$output"
    rm -f "$stamp.failed"
    printf '%s\n' "$module@$version $package" >"$stamp"
    SUMMARY+=("$name: built in $((SECONDS - start)) s ($module@$version)")
    log "$name: built in $((SECONDS - start)) s -> $output"
}

# 2a. The CLI. Without it nothing works: fail.
cli_ldflags="-X $(pin cli.versionVariable)=v$CLI_VERSION"
build pulumi "$(pin cli.module)" "v$CLI_VERSION" "$(pin cli.package)" "$BIN_DIR/$(pin cli.binary)" "$cli_ldflags" ||
    die "the Pulumi CLI could not be built (see above)"
cli_reported=$("$BIN_DIR/pulumi" version)
[[ "$cli_reported" == "v$CLI_VERSION" ]] || die "built pulumi reports '$cli_reported', not v$CLI_VERSION"

# 2b. The Node.js language host (bundled: the CLI finds it next to itself).
if ! build pulumi-language-nodejs "$(pin languageHost.module)" "v$(pin languageHost.version)" \
    "$(pin languageHost.package)" "$BIN_DIR/$(pin languageHost.binary)" "$cli_ldflags"; then
    MISSING+=("$(pin languageHost.binary)")
fi

# 2c. The nodejs policy analyzer. With a nodejs language host, the CLI runs a nodejs policy pack through
# the host's RunPlugin. Without one it falls back to the analyzer plugin policy-<runtime>
# (pulumi-analyzer-policy-nodejs), started in the pack's folder with the engine address and "."; this is
# that launcher (the job Pulumi's old pulumi-analyzer-policy script did): run @pulumi/pulumi's
# run-policy-pack as the pack resolves it. Installed into PULUMI_HOME rather than put on PATH, where the
# CLI would warn on every run that it uses an ambient plugin.
mkdir -p "$SRC_DIR/analyzer"
analyzer="$SRC_DIR/analyzer/pulumi-analyzer-policy-nodejs"
cat >"$analyzer.tmp" <<'LAUNCHER'
#!/bin/sh
# Generated by scripts/install-pulumi.sh. The CLI runs this in the policy pack's folder.
runner=$(node -p 'require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [process.cwd()] })') || {
    echo "pulumi-analyzer-policy-nodejs: @pulumi/pulumi is not installed for the policy pack in $(pwd)" >&2
    exit 1
}
exec node "$runner" "$@"
LAUNCHER
chmod 0755 "$analyzer.tmp"
mv -f "$analyzer.tmp" "$analyzer"
rm -f "$BIN_DIR/pulumi-analyzer-policy-nodejs" # where an earlier version of this script put it
export PULUMI_HOME="$PULUMI_HOME_DIR"
installed="$PULUMI_HOME_DIR/plugins/analyzer-policy-nodejs-v$CLI_VERSION/pulumi-analyzer-policy-nodejs"
if ! cmp -s "$analyzer" "$installed"; then
    "$BIN_DIR/pulumi" plugin install analyzer policy-nodejs "$CLI_VERSION" --file "$analyzer" --reinstall >&2
    log "pulumi-analyzer-policy-nodejs: installed as $installed"
fi

# 2d. Optional: a language host the proxy serves, to smoke-test the engine while the nodejs one is missing
# (built with the pkg/sdk release its own go.mod asks for: its code does not compile against the CLI's).
if [[ -n "${PIN[smokeLanguageHost.module]-}" ]]; then
    build "$(pin smokeLanguageHost.binary)" "$(pin smokeLanguageHost.module)" "v$(pin smokeLanguageHost.version)" \
        "$(pin smokeLanguageHost.package)" "$BIN_DIR/$(pin smokeLanguageHost.binary)" || true
fi

# 2e. Resource plugins, installed into PULUMI_HOME at exactly the version each npm SDK asks for.
for ((i = 0; i < $(pin plugins.count); i++)); do
    name=$(pin "plugins.$i.name")
    kind=$(pin "plugins.$i.kind")
    version=$(pin "plugins.$i.version")
    required=$(pin_or "plugins.$i.required" true)
    binary="$SRC_DIR/plugin-$name/pulumi-$kind-$name"
    installed="$PULUMI_HOME_DIR/plugins/$kind-$name-v$version/pulumi-$kind-$name"
    ldflags=""
    [[ -z "${PIN[plugins.$i.versionVariable]-}" ]] || ldflags="-X ${PIN[plugins.$i.versionVariable]}=$version"
    if build "plugin-$name" "$(pin "plugins.$i.module")" "v$version" "$(pin "plugins.$i.package")" "$binary" "$ldflags"; then
        if [[ ! -x "$installed" || "$binary" -nt "$installed" ]]; then
            "$BIN_DIR/pulumi" plugin install "$kind" "$name" "$version" --file "$binary" --reinstall >&2
            log "plugin-$name: installed as $installed"
        fi
    elif [[ "$required" == true ]]; then
        MISSING+=("$kind-$name@$version")
    fi
done

finish "$BIN_DIR" "$PULUMI_HOME_DIR"
