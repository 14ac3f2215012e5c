#!/usr/bin/env bash
# The ABI gate: abidiff of libphost.so and of the plugin_api.h probe against
# the baselines committed in abi/, without suppressions. Any difference the
# tools can see fails, harmless ones (an added enumerator, a renamed member)
# included: a baseline changes only in a reviewed commit.
#
#   tools/abi-check.sh <build-dir>           compare (exit 0: no change)
#   tools/abi-check.sh --update <build-dir>  rewrite abi/*.abi from that build
#
# The build must be RelWithDebInfo (the default) without sanitizers, with
# tests on (the probe, abi/plugin_api_probe.c, is built in tests/abi), e.g.
#   cmake -S . -B build && cmake --build build && tools/abi-check.sh build
# Needs abidw and abidiff (Debian abigail-tools, see tools/setup.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
    echo "usage: $0 [--update] <build-dir>" >&2
    exit 2
}

mode=check
if [ "${1:-}" = --update ]; then
    mode=update
    shift
fi
[ $# -eq 1 ] || usage
build="$1"
[ -d "$build" ] || { echo "abi-check: no build directory $build" >&2; exit 2; }

for tool in abidw abidiff readelf; do
    command -v "$tool" >/dev/null || {
        echo "abi-check: $tool not found; install abigail-tools and binutils (tools/setup.sh)" >&2
        exit 2
    }
done

# Only what the exported symbols reach (the ABI; abidiff compares no more, and
# the baseline is a fifth of the size). Nothing may depend on where the
# checkout or the build lives: no corpus path, no compilation directory, no
# source locations (their line numbers would also churn on every edit). Type
# ids are hashed from the types, so a refresh changes only the lines of what
# changed.
ABIDW_COMMON=(--exported-interfaces-only --no-corpus-path --no-comp-dir-path --short-locs --no-show-locs
              --type-id-style hash)
# libphost defines the opaque handles (phost_host, phost_value, ...) and its
# internals; only the types of the public C headers are its ABI. With
# --drop-private-types the others are recorded as declarations only.
ABIDW_LIBPHOST=(--drop-private-types
                --header-file "$ROOT/host/include/phost/phost.h"
                --header-file "$ROOT/plugin_api/include/phost/plugin_api.h")
# --harmless: report (and fail on) the changes abidiff filters by default.
ABIDIFF=(--no-default-suppression --harmless)

# name | binary (in the build) | extra abidw options
targets=(
    "libphost|$build/lib/libphost.so|libphost"
    "plugin_api|$build/abi/libphost_plugin_api_probe.so|probe"
)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

status=0
for entry in "${targets[@]}"; do
    IFS='|' read -r name binary kind <<<"$entry"
    baseline="$ROOT/abi/$name.abi"
    if [ ! -e "$binary" ]; then
        echo "abi-check: $binary is missing; build $build first (with tests on for the probe)" >&2
        exit 2
    fi
    if ! readelf -S --wide "$binary" | grep -q '\.debug_info'; then
        echo "abi-check: $binary has no debug info; build with CMAKE_BUILD_TYPE=RelWithDebInfo" >&2
        exit 2
    fi
    options=("${ABIDW_COMMON[@]}")
    [ "$kind" = libphost ] && options+=("${ABIDW_LIBPHOST[@]}")
    # abidw reads an ELF file given by a bare relative name as not found.
    binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
    abidw "${options[@]}" --out-file "$tmp/$name.abi" "$binary"

    if [ "$mode" = update ]; then
        # Builds in other directories order the same ABI differently; keep the
        # file unless the ABI itself changed, so that a refresh diffs only that.
        if [ -e "$baseline" ] && abidiff "${ABIDIFF[@]}" "$baseline" "$tmp/$name.abi" >/dev/null 2>&1; then
            echo "abi-check: abi/$name.abi unchanged"
        else
            cp "$tmp/$name.abi" "$baseline"
            echo "abi-check: wrote abi/$name.abi; review 'git diff abi/' and commit it on its own"
        fi
        continue
    fi

    if [ ! -e "$baseline" ]; then
        echo "abi-check: no baseline abi/$name.abi; create it with: $0 --update $build" >&2
        status=1
        continue
    fi
    rc=0
    abidiff "${ABIDIFF[@]}" "$baseline" "$tmp/$name.abi" >"$tmp/$name.diff" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "abi-check: $name matches abi/$name.abi"
    else
        echo "abi-check: $name differs from abi/$name.abi (abidiff exit $rc):"
        cat "$tmp/$name.diff"
        status=1
    fi
done

if [ "$status" -ne 0 ]; then
    echo
    echo "abi-check: FAILED. Undo an unintended change. An intended one (a new minor) is"
    echo "recorded with 'tools/abi-check.sh --update $build' and committed on its own, for"
    echo "review (abi/README.md)."
fi
exit "$status"
