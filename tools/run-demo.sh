#!/usr/bin/env bash
# Installs what is missing, builds phost and runs the demo app (examples/shop):
# a script totals an order, calling another script, an ES module and a native
# plugin through Process().
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh
cmake -S . -B build -DPHOST_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build build -j"$(nproc)" --target phost_cli phost_v8 shop_inventory

app=(--plugin build/examples/libshop_inventory.so --config '{"stock":{"apple":10,"pear":2,"fig":0}}'
     --app examples/shop)
order='{"country":"DE","items":[{"sku":"apple","qty":3},{"sku":"pear","qty":1}]}'
echo "\$ phost ${app[*]} run scripts.orders.total.Total '$order'"
build/bin/phost "${app[@]}" --log-level info run scripts.orders.total.Total "$order"

short='{"country":"DE","items":[{"sku":"pear","qty":3}]}'
echo "\$ phost ... run scripts.orders.total.Total '$short'   # more pears than in stock"
status=0
build/bin/phost "${app[@]}" run scripts.orders.total.Total "$short" || status=$?
echo "exit code $status (4: the call failed; the script's Exception code is kept)"
[ "$status" -eq 4 ]

# The TypeScript script (scripts/orders/quote.ts) calls the module above.
echo "\$ phost ... run scripts.orders.quote.Describe '$order'"
build/bin/phost "${app[@]}" --log-level error run scripts.orders.quote.Describe "$order"
echo "(scripts/broken.js is broken on purpose: the app loads without it, and calling it gives its error)"
build/bin/phost "${app[@]}" --log-level error run scripts.broken.Main || true
