#!/usr/bin/env bash
# Installs what is missing, builds phost and runs the demo app (examples/shop):
# a script totals an order, calling another script, an ES module and a native
# plugin through Process(). Setup and build talk only when they fail (their
# logs are in build/); what is printed after that can be pasted into a shell
# at the checkout's root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p build

quietly() {  # quietly LOG COMMAND...: the output only when COMMAND fails
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "run-demo: '$*' failed; its whole output is in $log" >&2
    exit 1
  fi
}
echo "setting up and building phost (logs: build/setup.log, build/demo-build.log) ..."
quietly build/setup.log bash tools/setup.sh
quietly build/demo-build.log cmake -S . -B build -DPHOST_WARNINGS_AS_ERRORS=ON
quietly build/demo-build.log cmake --build build -j"$(nproc)" --target phost_cli phost_v8 phost_fs phost_store phost_http \
  shop_inventory shop_rates

# Prints a command as it can be pasted: arguments with shell characters in
# single quotes (none of ours contains one).
show() {
  local out="" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./=:@%+-]+$ ]]; then out+=" $arg"; else out+=" '$arg'"; fi
  done
  printf '\n$%s\n' "$out"
}

export PATH="$PWD/build/bin:$PATH"
# --log-level error: the warning that scripts/broken.js failed to load is shown by the last command instead.
app=(--log-level error --plugin build/examples/libshop_inventory.so --config '{"stock": {"apple": 10, "pear": 2, "fig": 0}}'
     --app examples/shop)
order='{"country": "DE", "items": [{"sku": "apple", "qty": 3}, {"sku": "pear", "qty": 1}]}'
short='{"country": "DE", "items": [{"sku": "pear", "qty": 3}]}'

echo
echo "phost is built. Paste these lines into a shell here to try it yourself:"
# shellcheck disable=SC2016 # $PATH is for the reader to expand
printf '\n$ export PATH="%s:$PATH"\n' "$PWD/build/bin"
show phost "${app[@]}" run scripts.orders.total.Total "$order"
phost "${app[@]}" run scripts.orders.total.Total "$order" 2>&1  # with the script's console line

echo
echo "# An order the stock cannot cover: the script's Exception(..., 409) keeps its code"
echo "# on its way to the command line, and phost exits with 5 (the call was refused)."
show phost "${app[@]}" run scripts.orders.total.Total "$short"
status=0
phost "${app[@]}" run scripts.orders.total.Total "$short" 2>&1 || status=$?
echo "(exit status $status)"
[ "$status" -eq 5 ]

echo
echo "# A TypeScript script (scripts/orders/quote.ts: an enum, a class, a tsconfig path alias, @yao/runtime)."
show phost "${app[@]}" run scripts.orders.quote.Describe "$order"
phost "${app[@]}" run scripts.orders.quote.Describe "$order" 2>&1

echo
echo "# scripts/broken.js is broken on purpose: the app loads without it, and a call to it gets its error."
show phost "${app[@]}" run scripts.broken.Main
status=0
phost "${app[@]}" run scripts.broken.Main 2>&1 || status=$?
echo "(exit status $status)"

echo
echo "# gou's script library: scripts/orders/archive.ts logs (log), asks a rates service over HTTP (http.Get),"
echo "# writes the receipt to a file (FS) and keeps the last one per country (Store). The rates service"
echo "# (examples/shop/rates_server.cpp) runs on 127.0.0.1 while the demo runs; receipts go to a temp folder."
data="$(mktemp -d)"
exec 3> >(build/examples/shop_rates > "$data/port")  # it stops when fd 3 closes
for _ in $(seq 50); do [ -s "$data/port" ] && break; sleep 0.1; done
rates="http://127.0.0.1:$(head -n1 "$data/port")/rates"
library=(--plugin fs --config "{\"roots\": {\"data\": \"$data\"}}" --plugin store
         --config '{"stores": {"receipts": {}}}' --plugin http)
show phost "${app[@]}" "${library[@]}" run scripts.orders.archive.Archive '{"id": "A-1", '"${order:1}" "\"$rates\""
phost "${app[@]}" "${library[@]}" run scripts.orders.archive.Archive '{"id": "A-1", '"${order:1}" "\"$rates\"" 2>&1 |
  grep -v '^\[phost'
echo "(receipt file: $(cat "$data/receipts/A-1.json"))"
exec 3>&-
rm -rf "$data"

echo
echo "More: phost --help, man -l tools/phost.1, examples/shop/README.md, docs/."
