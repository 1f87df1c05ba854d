#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, brings the stack up (Temporal dev
# server with SQLite, Web UI, both workers) and runs the job to completion, printing its result.
# The stack stays up afterwards for the Web UI; `bin/autocode down` stops it. Safe to repeat.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash infra/install.sh
bin/autocode up --detach
bin/autocode smoke
echo "Web UI: $(bin/autocode status --json | node -e 'process.stdin.on("data",d=>console.log(JSON.parse(d).ui_url))')  (stop with: bin/autocode down)"
