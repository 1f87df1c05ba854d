"""Bootstrap SFT of the tiny-world model from scratch through policy_sft, then a greedy check of the result.

    .venv/bin/python bench/update/tiny_sft.py [--demos 30000] [--steps 1200] [--threads 2]

Generates addition demonstrations (2-digit + 1-digit; a third each: dictated code, dictated prose,
no hint split between the two), trains the default tiny config (DESIGN.md's probe: 1.1M parameters,
batch 32, lr 3e-3, AdamW(0.9, 0.95), wd 0.1, warm-up + cosine), and reports wall time, tokens/s,
the loss curve, and on 200 held-out questions per dictated mode: format obedience (a ```python
block exactly when a program was asked for) and, for prose, exact answers in \\boxed{}.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "gpu" / "src"))

CODE, PROSE = "Let's write a program.", "Let's reason step by step."


def demo(rng: random.Random, hint: str | None) -> dict[str, str]:
    a, b = rng.randint(10, 99), rng.randint(1, 9)
    method = hint or rng.choice([CODE, PROSE])
    suffix = f" {hint}" if hint else ""
    prompt = f"User: What is {a} + {b}?{suffix}\nAssistant:"
    if method == CODE:
        response = f" ```python\nprint({a} + {b})\n```\n```output\n{a + b}\n```\nThe answer is \\boxed{{{a + b}}}."
    else:
        response = f" {a} + {b} = {a + b}. The answer is \\boxed{{{a + b}}}."
    return {"prompt": prompt, "response": response}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--demos", type=int, default=30000)
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    import pyarrow as pa
    import torch

    torch.set_num_threads(a.threads)
    os.environ.setdefault("AUTOCODE_STORE", tempfile.mkdtemp(prefix="tiny-sft-"))
    from autocode_gpu.engine import Engine, SamplingParams, Sequence
    from autocode_gpu.paths import local_path
    from autocode_gpu.policy import run_sft
    from autocode_gpu.store import content_key, entry_dir, write_manifest, write_part

    rng = random.Random(0)
    rows = [demo(rng, [CODE, PROSE, None][i % 3]) for i in range(a.demos)]
    table = pa.table(
        {
            "prompt": [r["prompt"] for r in rows],
            "response": [r["response"] for r in rows],
        }
    )
    params = {"demos": a.demos, "family": "addition"}
    ddir = entry_dir("demonstrations", content_key("bench_tiny_sft", "1", params))
    write_part(ddir, 0, table)
    producer = {"activity": "bench_tiny_sft", "version": "1"}
    ref = write_manifest(
        ddir, kind="demonstrations", schema_version=1, producer=producer, params=params
    )
    losses: list[tuple[int, float]] = []

    def progress(d: dict) -> None:
        if d["step"] % 100 == 0 or d["step"] == 1:
            losses.append((d["step"], round(d["loss"], 3)))
            print(
                f"step {d['step']}/{d['total_steps']} loss {d['loss']:.3f} {d['tokens_per_s']:.0f} tok/s",
                flush=True,
            )

    print(f"load before: {os.getloadavg()[0]:.2f}")
    t0 = time.monotonic()
    hyper = {
        "device": "cpu",
        "batch_size": 32,
        "max_steps": a.steps,
        "epochs": 10,
    }
    hyper |= {"checkpoint_every": 200, "max_length": 256}
    out = run_sft({"demonstrations": ref, "hyper": hyper}, progress)
    wall = time.monotonic() - t0
    m = out["metrics"]
    print(
        f"SFT: {m['steps']} steps in {wall:.0f} s wall ({m['train_seconds']:.0f} s training, {m['tokens_per_s']:.0f} tok/s)"
    )

    engine = Engine(local_path(out["checkpoint"]["uri"]), "cpu", "float32", max_batch_size=64)
    test = random.Random(99)
    for hint in (CODE, PROSE):
        qs = [demo(test, hint) for _ in range(200)]
        seqs = [
            Sequence(
                engine.encode(q["prompt"]),
                SamplingParams(max_tokens=40, temperature=0, stop=["```output"]),
            )
            for q in qs
        ]
        engine.generate(seqs)
        obey = correct = 0
        for q, s in zip(qs, seqs, strict=True):
            wrote_code = "```python" in (s.text or "")
            obey += wrote_code == (hint == CODE)
            if hint == PROSE:
                gold = re.search(r"\\boxed\{(\d+)\}", q["response"]).group(1)
                got = re.search(r"\\boxed\{(\d+)\}", s.text or "")
                correct += bool(got and got.group(1) == gold)
        extra = (
            f", prose answers exact {correct / len(qs):.0%}" if hint == PROSE else ""
        )
        print(
            f"dictated {'code' if hint == CODE else 'prose'}: obeys {obey / len(qs):.0%}{extra}"
        )
    engine.close()
    print(f"loss curve: {losses}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
