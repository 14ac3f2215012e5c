#!/usr/bin/env bash
# Does an installed phost work on its own? From BUILD (built already):
#   1. cmake --install into a fresh prefix outside the checkout;
#   2. cpack: the Debian package, unpacked into a throwaway root;
# then, for each of the two, with the checkout (build tree included) and its
# .deps hidden behind empty folders in a private mount namespace (root and
# unshare(1) needed; without them the consumers still run, and the script
# says that nothing was hidden), as a user would from that prefix alone:
#   the CLI, a script app (phost new app), a C app built with the documented
#   `cc app.c $(pkg-config --cflags --libs phost)`, a plugin project (phost new
#   plugin) built with find_package(phost) and tested, and the CMake package's
#   plugin folder and V8 plugin.
# The last line counts: "check-install: N passed, N failed".
# Usage: tools/check-install.sh BUILD
set -euo pipefail

if [ "${1:-}" = --inside ]; then
  # ---- the consumer checks, run against one prefix: --inside LABEL PREFIX WORK
  label=$2 prefix=$3 work=$4
  export PATH="$prefix/bin:$PATH"
  # The .deb installs into /usr, on the loader's path; unpacked elsewhere, the
  # C app (linked without an rpath there) needs this one hint.
  libdir=$(dirname "$(find "$prefix" -name 'libphost.so.*' | head -n1)")
  [ "$label" = deb ] && export LD_LIBRARY_PATH="$libdir"
  pass=0 fail=0
  check() {  # check DESCRIPTION EXPECTED COMMAND...: stdout must equal EXPECTED
    local what=$1 expected=$2 out status=0
    shift 2
    out=$("$@" 2>"$work/stderr") || status=$?
    if [ "$status" -eq 0 ] && [ "$out" = "$expected" ]; then
      pass=$((pass + 1)) && echo "PASS [$label] $what"
    else
      fail=$((fail + 1)) && echo "FAIL [$label] $what: exit $status, printed '$out', expected '$expected'"
      sed 's/^/    /' "$work/stderr" | tail -n 20
    fi
  }
  cd "$work"

  check "phost --version names V8" "V8" sh -c 'phost --version | sed -n "3s/ .*//p"'
  check "a shipped plugin by bare name" "5" phost --plugin echo run echo.add 2 3
  check "the http plugin by bare name refuses the cloud metadata address" "1" \
    sh -c 'phost --plugin http run http.Get "\"http://169.254.169.254/\"" 2>&1 >/dev/null |
           grep -c "refused: address 169.254.169.254 is in the denied network"'
  check "a script app from phost new app" "Hello, you!" \
    sh -c 'phost new app demo >/dev/null && phost --app demo run scripts.hello.Hello "\"you\"" --raw --quiet'

  check "a C app built with the documented pkg-config line" \
    "app.twice(21) = 42; app.missing: status 2, code 404" sh -c "
      export PKG_CONFIG_PATH='$libdir/pkgconfig'
      cc app.c \$(pkg-config --cflags --libs phost) -o app && ./app"

  check "a plugin project from phost new plugin, find_package, its test, the CLI" "ababab" sh -c "
      phost new plugin shelf >/dev/null &&
      cmake -S shelf -B shelf/build -DCMAKE_PREFIX_PATH='$prefix' >shelf.log &&
      cmake --build shelf/build >>shelf.log && ctest --test-dir shelf/build >>shelf.log &&
      phost --plugin shelf/build/libshelf.so run shelf.repeat '\"ab\"' 3 --raw || { cat shelf.log >&2; exit 1; }"

  mkdir -p package && cat >package/CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.21)
project(package_check LANGUAGES NONE)
find_package(phost 1 CONFIG REQUIRED)
get_target_property(v8 phost::v8_plugin IMPORTED_LOCATION)
if(NOT EXISTS "${v8}" OR NOT v8 STREQUAL phost_V8_PLUGIN OR NOT EXISTS "${phost_PLUGIN_DIR}/libphost_fs.so")
  message(FATAL_ERROR "phost::v8_plugin '${v8}', phost_V8_PLUGIN '${phost_V8_PLUGIN}', phost_PLUGIN_DIR '${phost_PLUGIN_DIR}'")
endif()
message(STATUS "v8 plugin: ${v8}")
CMAKE
  check "the CMake package names the plugin folder and the V8 plugin" "ok" sh -c "
      cmake -S package -B package/build -DCMAKE_PREFIX_PATH='$prefix' >package.log && echo ok || cat package.log >&2"

  echo "inside: $pass passed, $fail failed"
  exit 0
fi

# ---- the outer part: install, pack, hide the checkout, run the checks
build=$(cd "${1:?usage: $0 BUILD}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/phost-check-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/deb/phost_*_amd64.deb)
dpkg-deb -x "$deb" "$work/root"
echo "package: $(basename "$deb"), $(du -h "$deb" | cut -f1)"
echo "Depends: $(dpkg-deb -f "$deb" Depends)"
t_pack=$(($(date +%s) - t0))

cp "$ROOT/tests/sdk/pkg_config_consumer.c" "$work/app.c"
cp "${BASH_SOURCE[0]}" "$work/check-install.sh"

hide=()
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  hide=("$ROOT")
  [[ "$build/" == "$ROOT/"* ]] || hide+=("$build")
  # .deps inside the checkout goes with it; a .deps elsewhere (a link) is hidden on its own.
  deps="$(readlink -f "$ROOT/.deps" 2>/dev/null || true)"
  if [ -e "$ROOT/.deps" ] && [[ "$deps/" != "$ROOT/"* ]]; then hide+=("$deps"); fi
  echo "hidden while the checks run: ${hide[*]}"
else
  echo "NOTE: not root or no unshare(1): the checkout and its .deps stay visible"
fi

results=""
for label in prefix deb; do
  prefix="$work/prefix"
  [ "$label" = deb ] && prefix="$work/root/usr"
  mkdir -p "$work/$label-work"
  cp "$work/app.c" "$work/$label-work/"
  inner=(bash "$work/check-install.sh" --inside "$label" "$prefix" "$work/$label-work")
  if [ "${#hide[@]}" -gt 0 ]; then
    mounts=""
    for dir in "${hide[@]}"; do mounts+="mount -t tmpfs -o size=1m phost-hidden '$dir' && "; done
    results+=$(unshare -m --propagation private sh -c "${mounts} exec \"\$@\"" sh "${inner[@]}" | tee /dev/stderr)
  else
    results+=$("${inner[@]}" | tee /dev/stderr)
  fi
  results+=$'\n'
done

passed=$(grep -c '^PASS' <<<"$results" || true)
failed=$(grep -c '^FAIL' <<<"$results" || true)
echo "times: install + cpack + unpack ${t_pack}s, whole check $(($(date +%s) - t0))s"
echo "check-install: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
