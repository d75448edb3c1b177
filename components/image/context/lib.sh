# Sourced by the image's runtime scripts, which set SELF (the name their messages start with)
# first. It sits beside them, in this folder and in the image's /usr/local/bin, so a script
# finds it the same way on a bare process and in a container: "$(dirname "${BASH_SOURCE[0]}")".
# shellcheck shell=bash

# The one-line refusal every script ends with: its name, what is wrong, exit status 1.
die() {
    printf '%s: %s\n' "$SELF" "$*" >&2
    exit 1
}

# A progress line on stderr, so stdout stays the command's own.
say() { printf '%s: %s\n' "$SELF" "$*" >&2; }

# Whether the postgres options only print something and exit (--help, --version, -C name...):
# no server starts, so the entrypoint sets nothing up and apply-init-sql applies nothing.
wants_no_server() {
    local arg
    for arg in "$@"; do
        case $arg in -'?' | --help | --describe-config | -V | --version | -C | -C?*) return 0 ;; esac
    done
    return 1
}
