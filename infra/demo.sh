#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, brings the stack up (Temporal dev
# server with SQLite, Web UI, both workers), proves the wiring, then runs the whole EM loop on the
# tiny world on CPU (bootstrap SFT, evaluation, EM iterations) and prints the report.
# The stack stays up afterwards for the Web UI; `bin/autocode down` stops it. Safe to repeat: a
# repeated run finds every finished step in the store.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash infra/install.sh
bin/autocode up --detach
bin/autocode smoke >/dev/null && echo "smoke: both workers answer"
run="tiny-$(date -u +%Y%m%d-%H%M%S)"
bin/autocode run tiny --id "$run"
runs="${AUTOCODE_VAR:-$ROOT/var}/runs/$run"
cat "$runs/report.md"
echo "HTML report: $runs/report.html"
echo "Web UI: http://127.0.0.1:${AUTOCODE_UI_PORT:-8233}/namespaces/default/workflows/$run  (stop the stack with: bin/autocode down)"
