#!/usr/bin/env bash
# bench_script_call against two builds of the V8 plugin, one after the other
# in one run (two processes: V8 is initialised once per process), so that a
# change to the runtime can be shown not to cost speed.
#   bench/compare-plugins.sh BUILD_DIR BEFORE.so [ROUND_SECONDS]
# BEFORE.so: the plugin built from the commit to compare against.
set -euo pipefail
build="${1:?usage: compare-plugins.sh BUILD_DIR BEFORE.so [ROUND_SECONDS]}"
before="${2:?usage: compare-plugins.sh BUILD_DIR BEFORE.so [ROUND_SECONDS]}"
round="${3:-0.3}"
echo "==== before: $before"
PHOST_BENCH_PLUGIN="$before" "$build/bench/bench_script_call" "$round"
echo
echo "==== after: $build/runtime/libphost_v8.so"
"$build/bench/bench_script_call" "$round"
