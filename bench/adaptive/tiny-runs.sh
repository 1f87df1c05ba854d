#!/usr/bin/env bash
# The tiny main job with the adaptive budget off and on, same seed, on a stack that is already up.
# The shipped tiny spec samples dictated cot and dictated code in two nodes, and the adaptive budget
# only acts where one rollouts node samples both (engines/rollouts/shard.ts), so both runs here use
# one `rollouts_dictated` node (modes [dictated_cot, dictated_code]); only its adaptive.enabled differs
# (set on that node alone: validation refuses it on a node with one dictated mode).
# Run them one after the other: the embedded server serves one policy at a time.
# Then: npx tsx bench/adaptive/compare-runs.ts <off-run-id> <on-run-id>
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
prefix="${1:-tiny-dict}"
NODES='[{id: rollouts_dictated, uses: rollouts, with: {modes: [dictated_cot, dictated_code], adaptive: {enabled: ADAPTIVE}}}, {id: rollouts_native, uses: rollouts, with: {modes: [native]}}, {id: estimate, uses: estimate, needs: [rollouts_dictated, rollouts_native]}, {id: synthesize, uses: synthesize, needs: [estimate, rollouts_dictated, rollouts_native]}, {id: behavior, uses: behavior_logprobs, needs: [synthesize]}, {id: update, uses: policy_update, needs: [behavior]}, {id: evaluate, uses: evaluate, needs: [update]}]'
for adaptive in false true; do
  id="$prefix-adaptive-$adaptive"
  echo "$(date -u +%FT%TZ) start $id; $(uptime)"
  bin/autocode run tiny --id "$id" -s "iteration.nodes=${NODES//ADAPTIVE/$adaptive}"
  echo "$(date -u +%FT%TZ) end $id; $(uptime)"
done
