"""A 113M-parameter Llama-style policy trained by the project's own SFT job (policy_sft's run_sft) on
tiny-world demonstrations, in the store at $AUTOCODE_STORE; prints {"path": <checkpoint dir>}.

    .venv/bin/python bench/gpu/train_policy.py [--steps 300]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "gpu" / "src"))

# hidden 768, 12 layers, ffn 3072: 12 x (4 x 768^2 + 3 x 768 x 3072) = 113M parameters besides embeddings.
TINY = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "vocab_size": 512,
    "max_position_embeddings": 512,
}


def demonstrations(n: int, seed: int = 0):
    import pyarrow as pa

    rng = random.Random(seed)
    prompts, responses = [], []
    for _ in range(n):
        a, b = rng.randint(10, 999), rng.randint(1, 99)
        if rng.random() < 0.5:
            prompts.append(
                f"User: What is {a} + {b}? Let's write a program.\nAssistant:"
            )
            responses.append(
                f" ```python\nprint({a} + {b})\n```\n```output\n{a + b}\n```\nThe answer is \\boxed{{{a + b}}}."
            )
        else:
            prompts.append(
                f"User: What is {a} + {b}? Let's reason step by step.\nAssistant:"
            )
            responses.append(f" {a} + {b} = {a + b}. The answer is \\boxed{{{a + b}}}.")
    return pa.table(
        {
            "demo_id": [f"d{i}" for i in range(n)],
            "prompt": prompts,
            "response": responses,
        }
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--rows", type=int, default=4096)
    a = p.parse_args()
    from autocode_gpu.paths import local_path
    from autocode_gpu.policy import run_sft
    from autocode_gpu.store import content_key, entry_dir, write_manifest, write_part

    directory = entry_dir(
        "demonstrations", content_key("bench_gpu", "1", {"rows": a.rows})
    )
    write_part(directory, 0, demonstrations(a.rows))
    producer = {"activity": "bench_gpu", "version": "1"}
    demos = write_manifest(
        directory, kind="demonstrations", schema_version=1, producer=producer, params={}
    )
    hyper = {
        "device": "cuda",
        "batch_size": 32,
        "max_steps": a.steps,
        "lr": 3e-4,
        "max_length": 512,
    }

    def report(d: dict) -> None:
        if d["step"] % 50 == 0:
            print(json.dumps(d), file=sys.stderr, flush=True)

    out = run_sft({"demonstrations": demos, "tiny": TINY, "hyper": hyper}, report)
    print(
        json.dumps(
            {
                "path": str(local_path(out["checkpoint"]["uri"])),
                "metrics": out["metrics"],
            }
        )
    )


if __name__ == "__main__":
    main()
