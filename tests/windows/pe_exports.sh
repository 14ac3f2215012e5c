#!/bin/sh
# Checks that a PE module (.dll) exports exactly the expected names, the PE
# counterpart of the ELF version scripts: a DLL's export table is its ABI.
# Usage: pe_exports.sh OBJDUMP MODULE NAME...     the names, in any order
#        pe_exports.sh OBJDUMP MODULE --api HEADER every PHOST_API function of HEADER
set -eu
objdump=$1 module=$2
shift 2

if [ "${1:-}" = --api ]; then
  expected=$(sed -n 's/^PHOST_API .*PHOST_CALL \(phost_[a-z0-9_]*\)(.*/\1/p' "$2" | sort)
  [ -n "$expected" ] || { echo "FAILED: no PHOST_API function found in $2" >&2; exit 1; }
else
  expected=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
fi

# objdump -p lists the names under "[Ordinal/Name Pointer] Table" as "[   0] name".
actual=$("$objdump" -p "$module" |
  sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/s/^[[:space:]]*\[[[:space:]]*[0-9]*\][[:space:]]*\([^[:space:]]*\).*/\1/p' |
  sort)

if [ "$actual" != "$expected" ]; then
  echo "FAILED: $module exports" >&2
  printf '%s\n' "$actual" | sed 's/^/  /' >&2
  echo "expected" >&2
  printf '%s\n' "$expected" | sed 's/^/  /' >&2
  exit 1
fi
echo "ok: $(printf '%s\n' "$expected" | sed '/^$/d' | wc -l) exports"
