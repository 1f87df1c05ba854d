"""Rollouts sampled by a vLLM server, and the behaviour log-probs vLLM returned compared with the
trainer's (autocode_gpu.loss.sequence_logprobs) on the same tokens: float32 and bf16 autocast.

    .venv/bin/python bench/gpu/logprobs.py --url http://127.0.0.1:8100/v1 --checkpoint <dir> [--n 64]

Requests are the rollout engine's (engines/rollouts/client.ts): prompt token ids, return_token_ids,
logprobs; temperature 1 and top-p 1 so the sampled distribution is the model's own.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "gpu" / "src"))


def complete(
    url: str, prompt: list[int], max_tokens: int
) -> tuple[list[int], list[float]]:
    body = {
        "model": "policy",
        "prompt": prompt,
        "max_tokens": max_tokens,
        "temperature": 1.0,
        "top_p": 1.0,
        "logprobs": 1,
        "return_token_ids": True,
    }
    req = urllib.request.Request(
        f"{url}/completions",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        choice = json.loads(r.read())["choices"][0]
    return list(choice["token_ids"]), [
        float(x) for x in choice["logprobs"]["token_logprobs"]
    ]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--max-tokens", type=int, default=96)
    a = p.parse_args()
    import torch
    from autocode_gpu.checkpoint import load_policy
    from autocode_gpu.loss import sequence_logprobs

    model, tok = load_policy(Path(a.checkpoint), "cuda", "float32")
    prompts = [
        tok(f"User: What is {100 + 7 * i} + {i % 90 + 1}? Let's {m}\nAssistant:")[
            "input_ids"
        ]
        for i, m in (
            (i, "write a program." if i % 2 else "reason step by step.")
            for i in range(a.n)
        )
    ]
    t0 = time.monotonic()
    rollouts = [(pr, *complete(a.url, pr, a.max_tokens)) for pr in prompts]
    took = time.monotonic() - t0
    tokens = sum(len(r) for _, r, _ in rollouts)
    print(
        f"{len(rollouts)} rollouts, {tokens} response tokens from vLLM in {took:.1f} s (sequential)"
    )
    for label, amp in (("float32", False), ("bf16 autocast", True)):
        diffs = []
        for prompt, resp, vllm_lp in rollouts:
            ids = torch.tensor([prompt + resp], device="cuda")
            with (
                torch.no_grad(),
                torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp),
            ):
                lp = sequence_logprobs(model, ids, torch.ones_like(ids))[
                    0, len(prompt) - 1 :
                ]
            diffs.append((lp.float().cpu() - torch.tensor(vllm_lp)).abs())
        d = torch.cat(diffs)
        print(
            f"trainer ({label}) vs vLLM: mean |diff| {d.mean():.3e}, max {d.max():.3f}, "
            f"share above 0.5 nats {(d > 0.5).float().mean():.2%} over {d.numel()} tokens"
        )


if __name__ == "__main__":
    main()
