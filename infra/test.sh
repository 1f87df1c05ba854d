#!/usr/bin/env bash
# Runs every test: installs what is missing, then the type check, vitest (TypeScript) and pytest
# (Python worker). Prints as its last line the totals of both runners: "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash infra/install.sh || { echo "0 passed, 1 failed"; exit 1; }
. infra/lib.sh
out="$ROOT/var/test"
rm -rf "$out" && mkdir -p "$out"

status=0
echo "== typecheck and lint"
npx --no-install tsc --noEmit || status=1
npx --no-install biome check . || status=1
.venv/bin/ruff check gpu || status=1

echo "== vitest"
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$out/vitest.json" "$@" || status=1

echo "== pytest"
(cd gpu && ../.venv/bin/pytest -q -p no:cacheprovider --junitxml="$out/pytest.xml") || status=1

node infra/test-summary.mjs "$out/vitest.json" "$out/pytest.xml" || status=1
exit $status
