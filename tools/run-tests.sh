#!/usr/bin/env bash
# Installs what is missing, builds everything with warnings as errors and runs
# the whole test suite (every test case in its own process). Then, as checks
# of their own: the installed prefix and the .deb, used with the checkout out
# of reach (tools/check-install.sh), the host-side suites and the V8 runtime's
# again under ASan + UBSan (build-asan), the host's threaded suites under TSan
# (build-tsan), the host side cross-built for Windows with mingw-w64 and
# its suites run under wine64 (tools/run-windows.sh, build-windows), and, when
# clang with libFuzzer is there, each fuzz target of tests/fuzz for a short
# while on a copy of its committed corpus (build-fuzz). The closing lines are a
# summary: every stage's result and time, the main suite's ctest summary, and
# one "N passed, N failed" line for the whole run.
#
# PHOST_FUZZ_SECONDS (default 15) sets the time per fuzz target; 0 skips fuzzing.
# PHOST_WINDOWS=0 skips the Windows stage.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
JOBS="$(nproc)"
FUZZ_SECONDS="${PHOST_FUZZ_SECONDS:-15}"

section() { printf '\n======== %s ========\n' "$*"; }
took() { local s=$(($(date +%s) - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
# ctest's counts from its log: "N% tests passed, F tests failed out of T" -> "T F"
ctest_counts() { sed -n 's/^.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*$/\2 \1/p' "$1" | tail -n1; }

RUN_START=$(date +%s)
declare -a SUMMARY=()
PASSED=0
FAILED=0
count_ctest() {  # $1 = log; adds its counts to the totals
  local total=0 failed=0
  read -r total failed < <(ctest_counts "$1" || true) || true
  total=${total:-0} failed=${failed:-0}
  if [ "$total" -eq 0 ]; then failed=1; fi  # no summary at all: count the stage as one failure
  PASSED=$((PASSED + total - failed))
  FAILED=$((FAILED + failed))
}

# ------------------------------------------------------------------ setup
section "setup (tools/setup.sh)"
bash tools/setup.sh

# --------------------------------------------------- main build and suite
section "main build (warnings as errors) and test suite: build/"
t0=$(date +%s)
cmake -S . -B build -DPHOST_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build build -j"$JOBS"
main_rc=0
ctest --test-dir build -j"$JOBS" --output-on-failure --timeout 300 2>&1 | tee build/ctest-main.log || main_rc=$?
count_ctest build/ctest-main.log
SUMMARY+=("main suite (build/):         $(grep -E 'tests passed' build/ctest-main.log | tail -n1) [$(took "$t0")]")

# ------------------------------------- the installed prefix and the .deb
section "installed prefix and Debian package, used without the checkout: tools/check-install.sh"
t0=$(date +%s)
install_rc=0
bash tools/check-install.sh build 2>&1 | tee build/check-install.log || install_rc=$?
install_counts=$(sed -n 's/^check-install: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' build/check-install.log)
read -r install_passed install_failed <<<"${install_counts:-0 1}"  # no summary: one failure
PASSED=$((PASSED + install_passed))
FAILED=$((FAILED + install_failed))
INSTALL_TIME=$(($(date +%s) - t0))
SUMMARY+=("install + .deb checks:       $install_passed passed, $install_failed failed [$(took "$t0")]")

# ------------------------------------- ASan + UBSan, host side and runtime
# Every runtime suite too: under ASan they ran in about 4 minutes (-j2, on a
# busy machine, tests/sanitizer/README.md). Should CI time grow, list fewer
# with -DPHOST_RUNTIME_TESTS (hostile;isolation;calls;loading drive the call
# machinery hardest).
section "ASan + UBSan build of the host-side suites and the runtime's: build-asan/"
t0=$(date +%s)
cmake -S . -B build-asan -DPHOST_SANITIZE="address;undefined" -DPHOST_BUILD_RUNTIME=ON \
  -DPHOST_RUNTIME_TESTS="isolation;calls;limits;loading;hostile;gou_scripts;globals;transpiler" \
  -DPHOST_BUILD_BENCH=OFF >/dev/null
asan_rc=0
if cmake --build build-asan -j"$JOBS"; then
  asan_build=$(took "$t0")
  # ASan's redzones make stack frames about four times larger: the 4096-deep call
  # recursion of host_faults needs 12-16 MB there (2-4 MB without), hence 64 MB.
  (
    ulimit -s 65536 2>/dev/null || ulimit -s unlimited 2>/dev/null || true
    # intercept_tls_get_addr=0: gcc 12's LSan misreads the dynamic TLS of the
    # plugins a test dlopens (glibc 2.36) and its leak check at exit crashed
    # ("Tracer caught signal 11", "DTLS 9 at 0x6fd-0xb0000017ff") after every
    # case had passed. LSan then does not scan dynamic TLS as roots: that can
    # only add reports, never hide one.
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:intercept_tls_get_addr=0 \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizer/lsan.supp" \
      ctest --test-dir build-asan -j"$JOBS" --output-on-failure --timeout 600
  ) 2>&1 | tee build-asan/ctest-asan.log || asan_rc=$?
  count_ctest build-asan/ctest-asan.log
  asan_result="$(grep -E 'tests passed' build-asan/ctest-asan.log | tail -n1)"
else
  asan_rc=1 asan_build=failed asan_result="BUILD FAILED"
  FAILED=$((FAILED + 1))
fi
ASAN_TIME=$(($(date +%s) - t0))
SUMMARY+=("ASan+UBSan suite (build-asan/): $asan_result [build $asan_build, total $(took "$t0")]")

# ------------------------------------- TSan: the host's threaded suites
# What many threads do at once (the registry's striped lock and holds, call
# counting, refs, values shared read-only), host side only: V8 is not built
# for ThreadSanitizer. host_faults is left out: its stack-depth cases assume
# frames TSan makes larger.
section "TSan build of the host's threaded suites: build-tsan/"
t0=$(date +%s)
tsan_targets=(host_concurrency host_refs host_registry host_striped host_calls host_bad_input host_values)
cmake -S . -B build-tsan -DPHOST_SANITIZE=thread -DPHOST_BUILD_RUNTIME=OFF -DPHOST_BUILD_BENCH=OFF >/dev/null
tsan_rc=0
if cmake --build build-tsan -j"$JOBS" --target "${tsan_targets[@]}"; then
  tsan_build=$(took "$t0")
  pattern="^($(IFS='|'; echo "${tsan_targets[*]}")):"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan -j"$JOBS" -R "$pattern" --output-on-failure --timeout 600 2>&1 |
    tee build-tsan/ctest-tsan.log || tsan_rc=$?
  count_ctest build-tsan/ctest-tsan.log
  tsan_result="$(grep -E 'tests passed' build-tsan/ctest-tsan.log | tail -n1)"
else
  tsan_rc=1 tsan_build=failed tsan_result="BUILD FAILED"
  FAILED=$((FAILED + 1))
fi
TSAN_TIME=$(($(date +%s) - t0))
SUMMARY+=("TSan suite (build-tsan/):    $tsan_result [build $tsan_build, total $(took "$t0")]")

# ---------------------------------------------- Windows: mingw-w64 + wine
win_rc=0
WIN_TIME=0
if [ "${PHOST_WINDOWS:-1}" = 0 ]; then
  section "Windows stage: skipped, PHOST_WINDOWS=0"
  SUMMARY+=("Windows suite (build-windows/): skipped: PHOST_WINDOWS=0")
else
  section "Windows stage: mingw-w64 cross-build, suites under wine64: build-windows/"
  t0=$(date +%s)
  bash tools/run-windows.sh || win_rc=$?
  if [ -f build-windows/ctest-windows.log ]; then
    count_ctest build-windows/ctest-windows.log
    win_result="$(grep -E 'tests passed' build-windows/ctest-windows.log | tail -n1)"
  else
    win_rc=1 win_result="BUILD FAILED"
    FAILED=$((FAILED + 1))
  fi
  WIN_TIME=$(($(date +%s) - t0))
  SUMMARY+=("Windows suite (build-windows/): $win_result [$(took "$t0")]")
fi

# ------------------------------------------------------------ fuzz targets
fuzz_rc=0
FUZZ_TIME=0
fuzz_skip=""
if [ "$FUZZ_SECONDS" = 0 ]; then
  fuzz_skip="PHOST_FUZZ_SECONDS=0"
elif ! command -v clang >/dev/null || ! command -v clang++ >/dev/null; then
  fuzz_skip="no clang (apt-get install clang libclang-rt-14-dev)"
elif ! printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' |
  clang++ -x c++ -fsanitize=fuzzer - -o /tmp/phost-fuzz-probe.$$ 2>/dev/null; then
  fuzz_skip="clang has no libFuzzer (apt-get install libclang-rt-14-dev)"
fi
rm -f /tmp/phost-fuzz-probe.$$
if [ -n "$fuzz_skip" ]; then
  section "fuzz targets: skipped, $fuzz_skip"
  SUMMARY+=("fuzz targets (build-fuzz/):  skipped: $fuzz_skip")
else
  section "fuzz build (clang, libFuzzer + ASan + UBSan): build-fuzz/"
  t0=$(date +%s)
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DPHOST_FUZZ=ON -DPHOST_BUILD_TESTS=OFF -DPHOST_BUILD_BENCH=OFF >/dev/null
  fuzz_ok=0
  fuzz_bad=0
  fuzz_lines=()
  if cmake --build build-fuzz -j"$JOBS" --target phost_fuzz; then
    fuzz_build=$(took "$t0")
    targets=(fuzz_json fuzz_process_name fuzz_v8_values fuzz_script_load fuzz_bridge)
  else
    fuzz_build=failed
    fuzz_bad=1
    fuzz_lines+=("  BUILD FAILED")
    targets=()
  fi
  work="$(mktemp -d)"
  for target in "${targets[@]}"; do
    [ -x "build-fuzz/tests/fuzz/$target" ] || continue
    section "fuzz: $target for ${FUZZ_SECONDS}s on a copy of tests/fuzz/corpus/$target"
    cp -r "tests/fuzz/corpus/$target" "$work/$target"  # new inputs go to the copy, not the checkout
    mkdir -p "build-fuzz/artifacts/$target"
    rc=0
    LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizer/lsan.supp" UBSAN_OPTIONS=print_stacktrace=1 \
      "build-fuzz/tests/fuzz/$target" -max_total_time="$FUZZ_SECONDS" -timeout=30 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/artifacts/$target/" "$work/$target" >"$work/$target.log" 2>&1 || rc=$?
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|FUZZ_CHECK|ERROR:|SUMMARY:|Test unit written|^Base64:' \
      "$work/$target.log" || true
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$target.log" | tail -n1 || true)
    if [ "$rc" -eq 0 ]; then
      fuzz_ok=$((fuzz_ok + 1))
      runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$done_line")
      fuzz_lines+=("  $target: ok, ${runs:-?} runs,$(sed 's/^#[0-9]*[[:space:]]*DONE//' <<<"$done_line")")
    else
      fuzz_bad=$((fuzz_bad + 1))
      tail -n 60 "$work/$target.log"
      fuzz_lines+=("  $target: FAILED (exit $rc), reproducer in build-fuzz/artifacts/$target/")
    fi
  done
  rm -rf "$work"
  PASSED=$((PASSED + fuzz_ok))
  FAILED=$((FAILED + fuzz_bad))
  [ "$fuzz_bad" -eq 0 ] || fuzz_rc=1
  FUZZ_TIME=$(($(date +%s) - t0))
  SUMMARY+=("fuzz targets (build-fuzz/):  $fuzz_ok ok, $fuzz_bad failed [build $fuzz_build, total $(took "$t0")]")
  SUMMARY+=("${fuzz_lines[@]}")
fi

# ---------------------------------------------------------------- summary
section "summary"
printf '%s\n' "${SUMMARY[@]}"
EXTRA_TIME=$((INSTALL_TIME + ASAN_TIME + TSAN_TIME + WIN_TIME + FUZZ_TIME))
printf 'install, sanitizer, Windows and fuzz stages added %dm%02ds; whole run %s\n' $((EXTRA_TIME / 60)) \
  $((EXTRA_TIME % 60)) "$(took "$RUN_START")"
echo
echo "main suite (build/), as ctest closed it:"
grep -E 'tests passed|tests failed|Total Test time' build/ctest-main.log | tail -n 2
echo
echo "whole run: $PASSED passed, $FAILED failed"
[ "$main_rc" -eq 0 ] && [ "$install_rc" -eq 0 ] && [ "$asan_rc" -eq 0 ] && [ "$tsan_rc" -eq 0 ] && [ "$win_rc" -eq 0 ] &&
  [ "$fuzz_rc" -eq 0 ]
