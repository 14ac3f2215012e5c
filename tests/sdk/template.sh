#!/bin/sh
# Configures, builds and tests sdk/template out of tree against an installed
# prefix, from an empty build directory, the way a plugin author starts.
# Usage: template.sh CTEST SOURCE BINARY GENERATOR [CMAKE_ARG...]
set -eu
ctest=$1 source=$2 binary=$3 generator=$4
shift 4

rm -rf "$binary"
"$ctest" --build-and-test "$source" "$binary" --build-generator "$generator" --build-noclean \
  --build-options "$@" --test-command "$ctest" --output-on-failure
