#!/bin/sh
# Installs the build tree BUILD into a fresh PREFIX, as a user would.
# Usage: install.sh CMAKE BUILD CONFIG PREFIX
set -eu
cmake=$1 build=$2 config=$3 prefix=$4

rm -rf "$prefix"
"$cmake" --install "$build" --config "$config" --prefix "$prefix"
