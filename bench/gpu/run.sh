#!/usr/bin/env bash
# The GPU checks in one script (about 10 minutes on one H100/H200-class GPU), for a host that
# reaches no package registry. Not run on the 2-core CPU host where it was written.
#   WHEELS=/path/to/wheelhouse bash bench/gpu/run.sh
# WHEELS: a folder holding a vllm wheel and every dependency it needs (pip download vllm on a
# machine that has a registry, with this host's Python and CUDA). The project's .venv must exist.
# 1. vLLM installed from the wheelhouse into a venv of its own (its torch pin need not be the project's).
# 2. A 113M-parameter policy trained by the project's own SFT job (bench/gpu/train_policy.py).
# 3. vLLM serves it; rollouts sampled through its OpenAI API with the rollout engine's request
#    fields; vLLM's behaviour log-probs compared with the trainer's (bench/gpu/logprobs.py).
# 4. The update's tokens/s and MFU (bench/update/bench.py --preset gpu-124m).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WHEELS=${WHEELS:?set WHEELS to a folder of wheels holding vllm and its dependencies}
OUT=${OUT:-$ROOT/var/bench-gpu}
PORT=${PORT:-8100}
PY="$ROOT/.venv/bin/python"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader

if [ ! -x "$OUT/vllm-venv/bin/vllm" ]; then
  python3 -m venv "$OUT/vllm-venv"
  "$OUT/vllm-venv/bin/pip" install --no-index --find-links "$WHEELS" vllm
fi

export AUTOCODE_STORE="$OUT/store"
mkdir -p "$AUTOCODE_STORE"
"$PY" "$ROOT/bench/gpu/train_policy.py" --steps 300 > "$OUT/policy.json"
CKPT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$OUT/policy.json")
echo "policy: $CKPT"

"$OUT/vllm-venv/bin/vllm" serve "$CKPT" --port "$PORT" --served-model-name policy \
  --dtype bfloat16 --max-model-len 512 --gpu-memory-utilization 0.3 > "$OUT/vllm.log" 2>&1 &
VLLM=$!
trap 'kill "$VLLM" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break
  kill -0 "$VLLM" 2>/dev/null || { tail -40 "$OUT/vllm.log"; exit 1; }
  sleep 1
done
curl -sf "http://127.0.0.1:$PORT/health" > /dev/null || { tail -40 "$OUT/vllm.log"; exit 1; }

"$PY" "$ROOT/bench/gpu/logprobs.py" --url "http://127.0.0.1:$PORT/v1" --checkpoint "$CKPT" --n 64
kill "$VLLM"; wait "$VLLM" 2>/dev/null || true  # free the GPU for the update bench

"$PY" "$ROOT/bench/update/bench.py" --preset gpu-124m --steps 30 --rounds 1
