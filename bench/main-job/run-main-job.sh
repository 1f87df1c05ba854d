#!/usr/bin/env bash
# The README's main job (infra/demo.sh) on its own stack, with a wall-clock stamp per step, for
# bench/main-job/profile.ts. infra/install.sh is skipped with --no-install (an installed checkout:
# its steps are only lock-file checks there). Extra arguments go to `autocode run` (e.g. -s key=value).
# Env: AUTOCODE_VAR (must be empty or absent), AUTOCODE_TEMPORAL_PORT, AUTOCODE_UI_PORT.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
install=1
if [ "${1:-}" = --no-install ]; then install=0; shift; fi
spec="${SPEC:-tiny}"
var="${AUTOCODE_VAR:-$ROOT/var}"
mkdir -p "$var"
stamps="$var/main-job-stamps.jsonl"
stamp() { printf '{"step":"%s","event":"%s","t_ms":%s}\n' "$1" "$2" "$(date +%s%3N)" >> "$stamps"; }
echo "uptime before: $(uptime)"
stamp job start
if [ "$install" = 1 ]; then stamp install start; bash infra/install.sh; stamp install end; fi
stamp up start; bin/autocode up --detach; stamp up end
stamp smoke start; bin/autocode smoke >/dev/null && echo "smoke: both workers answer"; stamp smoke end
run="${RUN_ID:-$spec-$(date -u +%Y%m%d-%H%M%S)}"
echo "run id: $run"
stamp run start; bin/autocode run "$spec" --id "$run" "$@"; stamp run end
stamp job end
echo "uptime after: $(uptime)"
cat "$var/runs/$run/report.md" || true
