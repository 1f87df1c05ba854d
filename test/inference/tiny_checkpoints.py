"""Tiny-world checkpoints with random weights for the inference-pool tests and bench, built in the store
named by AUTOCODE_STORE. Prints {"a", "b", "broken"} as JSON: two loadable checkpoints (different
seeds) and a copy of ``a`` with a corrupt config outside the store (it passes the file checks, then fails
to load).

    python test/inference/tiny_checkpoints.py <out_dir> [--config test|default]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

from autocode_gpu.checkpoint import save_checkpoint
from autocode_gpu.store import content_key, entry_dir
from autocode_gpu.tiny import TINY_DEFAULTS, tiny_model, train_tokenizer

# Small enough that two servers start in seconds; the bench takes the tiny world's default config.
TEST = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "vocab_size": 300,
    "max_position_embeddings": 512,
}


def texts() -> list[str]:
    rng = random.Random(1)
    out = []
    for _ in range(400):
        a, b = rng.randint(10, 99), rng.randint(1, 9)
        out.append(
            f"User: What is {a} + {b}? Let's write a program.\nAssistant: ```python\nprint({a} + {b})\n```\n"
            f"```output\n{a + b}\n```\nThe answer is \\boxed{{{a + b}}}. Let's reason step by step."
        )
    return out


def build(name: str, cfg: dict, seed: int) -> Path:
    dest = entry_dir(
        "checkpoints", content_key("inference_pool_fixture", "1", {"name": name, **cfg})
    )
    if (dest / "_manifest.json").exists():
        return dest
    tok = train_tokenizer(texts(), {**TINY_DEFAULTS, **cfg}["vocab_size"])
    producer = {"activity": "inference_pool_fixture", "version": "1"}
    save_checkpoint(
        tiny_model(tok, cfg, seed=seed),
        tok,
        dest,
        producer=producer,
        params={"seed": seed},
    )
    return dest


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--config", choices=["test", "default"], default="test")
    a = p.parse_args()
    cfg = TEST if a.config == "test" else {}
    ckpt_a, ckpt_b = build(f"{a.config}-a", cfg, 0), build(f"{a.config}-b", cfg, 1)
    broken = Path(a.out) / "broken"
    if not broken.exists():
        shutil.copytree(ckpt_a, broken, ignore=shutil.ignore_patterns("_manifest.json"))
        (broken / "config.json").write_text("{not json")
    print(json.dumps({"a": str(ckpt_a), "b": str(ckpt_b), "broken": str(broken)}))


if __name__ == "__main__":
    main()
