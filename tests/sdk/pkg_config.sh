#!/bin/sh
# Builds a C application with only `pkg-config --cflags --libs phost` from the
# installed prefix, then runs it as it is: no rpath or LD_LIBRARY_PATH added.
# Usage: pkg_config.sh CC PKG_CONFIG PREFIX LIBDIR SOURCE WORKDIR [CFLAG...]
set -eu
cc=$1 pkg_config=$2 prefix=$3 libdir=$4 source=$5 work=$6
shift 6

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
cflags=$("$pkg_config" --cflags phost)
libs=$("$pkg_config" --libs phost)
# The library's own build policy (warnings, -std, visibility) is not its users';
# an rpath is, so that the program starts from a prefix outside the loader's path.
for flag in $cflags $libs; do
  case $flag in
    -I* | -L* | -l* | -Wl,-rpath,*) ;;
    *) fail "phost.pc gives '$flag'; only -I, -L, -l and -Wl,-rpath belong there" ;;
  esac
done

rm -rf "$work"
mkdir -p "$work"
# shellcheck disable=SC2086 # the flags are lists
"$cc" -std=c99 -pedantic -Wall -Werror "$@" $cflags -o "$work/consumer" "$source" $libs

out=$("$work/consumer") || fail "the consumer exited with $?"
expected="app.twice(21) = 42; app.missing: status 2, code 404"
[ "$out" = "$expected" ] || fail "the consumer printed '$out', expected '$expected'"
echo ok
