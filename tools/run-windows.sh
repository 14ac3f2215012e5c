#!/usr/bin/env bash
# The Windows stage: cross-builds with mingw-w64 (cmake/mingw-w64.cmake) into
# build-windows/ libphost.dll (+ import library), phost.exe, the echo plugin,
# the C fixture plugins and the host test suites, and runs ctest under wine64:
# the host suites, the PE export checks, the CLI, and the SDK (install, the
# sdk/template plugin cross-built to a .dll and loaded by phost.exe, a C99
# plugin). Installs g++-mingw-w64-x86-64-posix and wine64 when they are
# missing. Its last line is ctest's summary; the log is build-windows/ctest-windows.log.
#
# PHOST_WINEPREFIX: the wine prefix (default build-windows/wine, git-ignored).
set -euo pipefail
exec </dev/null  # nothing here reads input; CI may start us with none at all
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
BUILD="$ROOT/build-windows"
JOBS="$(nproc)"
if [ "$JOBS" -gt 2 ]; then JOBS=2; fi

log() { printf 'run-windows: %s\n' "$*"; }
if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

# ------------------------------------------------------------ packages
missing=()
for p in g++-mingw-w64-x86-64-posix wine64; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  apt_install() {
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
  }
  # tools/setup.sh has usually just refreshed the package lists.
  if ! apt_install; then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_install
  fi
fi
# The Linux headers of Boost, spdlog, fmt, doctest and CLI11 serve the Windows build too.
for h in boost/json/src.hpp spdlog/spdlog.h fmt/format.h doctest/doctest.h CLI/CLI.hpp; do
  [ -e "/usr/include/$h" ] || { bash tools/setup.sh; break; }
done

# ---------------------------------------------------------------- wine
# Debian's wine64 keeps its programs out of PATH.
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
export WINEPREFIX="${PHOST_WINEPREFIX:-$BUILD/wine}"
export WINEARCH=win64 WINEDEBUG=-all
# No Mono or Gecko installer (nothing here needs them), and no debugger: a
# program that crashes fails its test at once instead of waiting in winedbg.
export WINEDLLOVERRIDES="mscoree,mshtml=,winedbg.exe=d"
mkdir -p "$WINEPREFIX"
# One persistent wineserver for the whole stage: a program then starts in
# 0.2-0.3 s instead of 3-4 s. Killed on the way out, whatever happens.
"$WINESERVER" -p || [ $? -eq 2 ]  # 2: one is already up for this prefix
trap '"$WINESERVER" -k 2>/dev/null || true' EXIT
# wineboot starts the prefix's services before any other program does: here
# the first program on a fresh wineserver, when it was not wineboot, twice
# finished its work and then hung at exit. Its chatter (no 32-bit wine, no
# display) goes to a log.
boot=()
if [ ! -f "$WINEPREFIX/.phost-ready" ]; then
  log "new wine prefix in $WINEPREFIX"
  boot=(--init)
fi
timeout 300 "$WINE" wineboot "${boot[@]}" >"$WINEPREFIX/wineboot.log" 2>&1 || {
  cat "$WINEPREFIX/wineboot.log"
  exit 1
}
touch "$WINEPREFIX/.phost-ready"

# ---------------------------------------------------- build and tests
rm -f "$BUILD/ctest-windows.log" "$BUILD/ctest-windows.log.rerun"
cmake -S . -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/mingw-w64.cmake" -DPHOST_BUILD_RUNTIME=OFF \
  -DPHOST_BUILD_BENCH=OFF -DPHOST_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$BUILD" -j"$JOBS"
LOG="$BUILD/ctest-windows.log"
rc=0
ctest --test-dir "$BUILD" -j"$JOBS" --output-on-failure --timeout 300 2>&1 | tee "$LOG" || rc=$?
# wine itself, rarely, fails to start a program: once in about 30 CI runs a
# test ended in 0.02 s (a start takes 0.2 s) with no output at all. A failed
# test gets one more run, alone and with wine's own errors shown; it passes
# the stage only if that run passes, and the summary names it.
if [ "$rc" -ne 0 ] && grep -q 'tests passed, [0-9]* tests\{0,1\} failed out of' "$LOG"; then
  total=$(sed -n 's/^.*tests passed, [0-9]* tests\{0,1\} failed out of \([0-9]*\).*$/\1/p' "$LOG" | tail -n1)
  failed_names=$(sed -n 's/^.*Test *#[0-9]*: \(.*[^ ]\) *\.\.*\**Failed.*$/\1/p' "$LOG" | sed 's/ *\.*$//' | paste -sd';' -)
  echo
  log "running the failed tests once more, alone, with WINEDEBUG=err+all: $failed_names"
  if WINEDEBUG=err+all ctest --test-dir "$BUILD" --rerun-failed --output-on-failure --timeout 300 2>&1 |
    tee -a "$LOG.rerun"; then
    rc=0
    echo "100% tests passed, 0 tests failed out of $total (passed on a second run under wine: $failed_names)" |
      tee -a "$LOG"
  fi
fi
echo
grep -E 'tests passed' "$LOG" | tail -n1
exit "$rc"
