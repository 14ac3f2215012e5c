#!/bin/sh
# Builds c_plugin.c with nothing but the installed phost/plugin_api.h (no CMake
# package, no SDK) and runs it in the installed phost CLI.
# Usage: c_plugin.sh CC PREFIX SOURCE WORKDIR [EMULATOR]
# With an emulator (wine64 for a Windows build) the plugin is a .dll and the
# CLI is phost.exe, whose text output ends its lines with CR LF.
set -eu
cc=$1 prefix=$2 source=$3 work=$4 emulator=${5:-}

if [ -n "$emulator" ]; then
  plugin="$work/cabi.dll" pic=""
  run_phost() { "$emulator" "$prefix/bin/phost.exe" "$@"; }
else
  plugin="$work/cabi.so" pic="-fPIC"
  run_phost() { "$prefix/bin/phost" "$@"; }
fi
# Its stdout without CRs.
phost() {
  run_phost "$@" >"$work/raw" || return
  tr -d '\r' <"$work/raw"
}

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

rm -rf "$work"
mkdir -p "$work"
"$cc" -std=c99 -pedantic -Wall -Werror -shared $pic -I"$prefix/include" -o "$plugin" "$source"

out=$(phost --plugin "$plugin" run cabi.add 2 3) || fail "phost run cabi.add 2 3 exited with $?"
[ "$out" = 5 ] || fail "phost run cabi.add 2 3 printed '$out', expected 5"

out=$(phost --plugin "$plugin" list) || fail "phost list exited with $?"
[ "$out" = "$(printf 'cabi.add\tcabi\tcabi.add(a, b): a + b')" ] || fail "phost list printed '$out'"

status=0
run_phost --plugin "$plugin" run cabi.add 2 '"x"' >"$work/stdout" 2>"$work/stderr" || status=$?
[ "$status" -eq 5 ] || fail "a call refused with 400 exits with 5 (bad arguments), not $status"
grep -qF 'phost: cabi.add: two integers expected (code 400)' "$work/stderr" ||
  fail "the failed call's stderr: $(cat "$work/stderr")"
echo ok
