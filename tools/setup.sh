#!/usr/bin/env bash
# Installs everything phost needs to build and test (Debian 12).
# Idempotent: safe to run repeatedly; fast when everything is already there.
#
# V8 comes from Debian's libnode108 / libnode-dev (Node 18, V8 10.2).
# If /usr/include/node is owned by another package (e.g. NodeSource's
# nodejs 20, whose headers are V8 11.3 and which ships no library), we never
# touch the system Node.js: the two .debs are unpacked into .deps/libnode/
# inside the checkout instead, and cmake/phost_v8.cmake picks them up there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.deps"
DEBS="$DEPS/debs"
PREFIX="$DEPS/libnode"
LIBDIR="$PREFIX/usr/lib/x86_64-linux-gnu"
INCDIR="$PREFIX/usr/include/node"

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

log() { printf 'setup: %s\n' "$*"; }

APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
}

is_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# Install the given packages that are not installed yet (apt only if needed).
ensure_pkgs() {
    local missing=() p installed
    # one dpkg-query for all of them (missing ones just print to stderr)
    installed=" $(dpkg-query -W -f='${Package}=${Status}\n' "$@" 2>/dev/null |
        sed -n 's/=install ok installed$//p' | tr '\n' ' ' || true) "
    for p in "$@"; do
        [[ "$installed" == *" $p "* ]] || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    apt_update_once
    log "installing: ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
}

v8_version_of() { # $1 = include dir containing v8-version.h
    awk '/#define V8_(MAJOR_VERSION|MINOR_VERSION|BUILD_NUMBER|PATCH_LEVEL) /{v[$2]=$3}
         END{printf "%s.%s.%s.%s", v["V8_MAJOR_VERSION"], v["V8_MINOR_VERSION"],
             v["V8_BUILD_NUMBER"], v["V8_PATCH_LEVEL"]}' "$1/v8-version.h"
}

# ---------------------------------------------------------------- toolchain
ensure_pkgs cmake g++ make ccache pkg-config \
    libboost1.81-dev libboost-json1.81-dev libspdlog-dev libfmt-dev \
    doctest-dev valgrind abigail-tools libsqlite3-dev libssl-dev libcurl4-openssl-dev clang libclang-rt-14-dev \
    libcli11-dev libedit-dev libseccomp-dev dpkg-dev file libmagic-dev zlib1g-dev

# ---------------------------------------------------------------------- V8
libnode_dev_version="$(dpkg-query -W -f='${Version}' libnode-dev 2>/dev/null || true)"
# Does /usr/include/node exist and belong to something other than libnode-dev?
# (dpkg -S prints "pkg1, pkg2: /usr/include/node"; an unowned path counts as
# foreign too, e.g. a Node.js installed by hand: apt must not overwrite it.)
node_owner=""
node_foreign=0
if [ -e /usr/include/node ] || [ -L /usr/include/node ]; then
    node_owner="$(dpkg -S /usr/include/node 2>/dev/null | head -n1 | sed 's/: .*//' || true)"
    node_foreign=1
    if [ -n "$node_owner" ]; then
        node_foreign=0
        IFS=',' read -ra owners <<<"$node_owner"
        for o in "${owners[@]}"; do
            o="${o// /}"
            [ "${o%%:*}" = libnode-dev ] || node_foreign=1
        done
    fi
fi

if is_installed libnode-dev && [[ "$libnode_dev_version" == 18.* ]]; then
    log "libnode-dev $libnode_dev_version is installed system-wide; nothing to do"
    V8_WHERE="system /usr/include/node"
    V8_INC=/usr/include/node
elif [ "$node_foreign" -eq 1 ]; then
    log "/usr/include/node belongs to '${node_owner:-<no package>}': not using apt for libnode-dev"
    if [ -f "$LIBDIR/libnode.so.108" ] && [ -f "$INCDIR/v8-version.h" ]; then
        log "libnode108 + libnode-dev already unpacked in $PREFIX"
    else
        log "unpacking libnode108 + libnode-dev into $PREFIX"
        mkdir -p "$DEBS"
        have_debs() {
            compgen -G "$DEBS/libnode108_18.*_amd64.deb" >/dev/null &&
                compgen -G "$DEBS/libnode-dev_18.*_amd64.deb" >/dev/null
        }
        if ! have_debs; then
            rm -f "$DEBS"/libnode108_*.deb "$DEBS"/libnode-dev_*.deb
            # apt-get download needs package lists; refresh them only on failure.
            # (Downloading as root into a dir _apt cannot read prints a harmless
            # "unsandboxed" warning.)
            if ! (cd "$DEBS" && apt-get download libnode108 libnode-dev); then
                apt_update_once
                (cd "$DEBS" && apt-get download libnode108 libnode-dev)
            fi
            have_debs || { log "downloaded libnode debs are not version 18.x:"; ls "$DEBS"; exit 1; }
        fi
        rm -rf "$PREFIX.tmp"
        mkdir -p "$PREFIX.tmp"
        for deb in "$DEBS"/libnode108_18.*_amd64.deb "$DEBS"/libnode-dev_18.*_amd64.deb; do
            dpkg-deb -x "$deb" "$PREFIX.tmp"
        done
        rm -rf "$PREFIX"
        mv "$PREFIX.tmp" "$PREFIX"
    fi
    # libnode-dev ships libnode.so -> libnode.so.108; make sure it is there.
    if [ ! -e "$LIBDIR/libnode.so" ]; then
        ln -sfn libnode.so.108 "$LIBDIR/libnode.so"
    fi
    # Runtime dependencies of libnode108 (not the node-* JavaScript packages).
    ensure_pkgs libbrotli1 libc-ares2 libicu72 libnghttp2-14 libssl3 libuv1 zlib1g
    V8_WHERE="prefix $PREFIX/usr (include/node, lib/x86_64-linux-gnu/libnode.so.108)"
    V8_INC="$INCDIR"
else
    ensure_pkgs libnode-dev
    V8_WHERE="system /usr/include/node"
    V8_INC=/usr/include/node
fi

log "V8 $(v8_version_of "$V8_INC") in $V8_WHERE"

# --------------------------------------------------------------- npm (build time only)
# sucrase strips TypeScript inside phost; esbuild bundles it into the V8 plugin
# at build time. Pinned; nothing from npm is needed once the plugin is built.
NPM_PREFIX="$DEPS/npm"
SUCRASE_VERSION=3.35.1
ESBUILD_VERSION=0.28.2
npm_version_of() { # $1 = package; prints its installed version, or nothing
    sed -n 's/^  "version": "\(.*\)",$/\1/p' "$NPM_PREFIX/node_modules/$1/package.json" 2>/dev/null || true
}
if [ "$(npm_version_of sucrase)" = "$SUCRASE_VERSION" ] && [ "$(npm_version_of esbuild)" = "$ESBUILD_VERSION" ] &&
    [ -x "$NPM_PREFIX/node_modules/.bin/esbuild" ]; then
    log "sucrase $SUCRASE_VERSION + esbuild $ESBUILD_VERSION already in $NPM_PREFIX"
else
    command -v npm >/dev/null || ensure_pkgs npm
    log "npm install sucrase@$SUCRASE_VERSION esbuild@$ESBUILD_VERSION into $NPM_PREFIX"
    mkdir -p "$NPM_PREFIX"
    npm install --prefix "$NPM_PREFIX" --no-save --no-audit --no-fund --silent \
        "sucrase@$SUCRASE_VERSION" "esbuild@$ESBUILD_VERSION"
fi
