#!/bin/sh
# Builds c_plugin.c with nothing but the installed phost/plugin_api.h (no CMake
# package, no SDK) and runs it in the installed phost CLI.
# Usage: c_plugin.sh CC PREFIX SOURCE WORKDIR
set -eu
cc=$1 prefix=$2 source=$3 work=$4
phost="$prefix/bin/phost"

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

rm -rf "$work"
mkdir -p "$work"
"$cc" -std=c99 -pedantic -Wall -Werror -shared -fPIC -I"$prefix/include" -o "$work/cabi.so" "$source"

out=$("$phost" --plugin "$work/cabi.so" run cabi.add 2 3) || fail "phost run cabi.add 2 3 exited with $?"
[ "$out" = 5 ] || fail "phost run cabi.add 2 3 printed '$out', expected 5"

out=$("$phost" --plugin "$work/cabi.so" list) || fail "phost list exited with $?"
[ "$out" = "$(printf 'cabi.add\tcabi\tcabi.add(a, b): a + b')" ] || fail "phost list printed '$out'"

status=0
"$phost" --plugin "$work/cabi.so" run cabi.add 2 '"x"' >"$work/stdout" 2>"$work/stderr" || status=$?
[ "$status" -eq 5 ] || fail "a call refused with 400 exits with 5 (bad arguments), not $status"
grep -qF 'phost: cabi.add: two integers expected (code 400)' "$work/stderr" ||
  fail "the failed call's stderr: $(cat "$work/stderr")"
echo ok
