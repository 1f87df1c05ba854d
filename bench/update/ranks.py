"""The off-policy update on 1 rank (the worker's own process) vs N torch.distributed ranks (torchrun,
gloo on CPU, NCCL on GPU), the same global batch and seed: tokens/s of both and their ratio.

    .venv/bin/python bench/update/ranks.py [--ranks 2] [--rows 256] [--steps 8]

Runs the real job path (autocode_gpu.supervise.run("update", ...): the one-rank path in this process,
the N-rank path under torchrun) on a tiny-world policy (the default TinyModelConfig, 1.1M parameters)
and a synthetic train set in a temporary store. Threads: one rank runs twice, on every core
(torch.set_num_threads(cores)) and on one thread; each of the N ranks gets cores // N
(OMP_NUM_THREADS, which the supervisor sets). tokens/s is the trainer's (training loop only); the launch (torchrun, imports,
rendezvous, model load) is printed apart as wall-clock overhead.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "gpu" / "src"))


def fixture(rows: int, seed: int = 0) -> tuple[dict, dict]:
    """(checkpoint ref, train set ref) in the current store: a random tiny policy and synthetic samples."""
    import pyarrow as pa
    from autocode_gpu.checkpoint import save_checkpoint
    from autocode_gpu.store import content_key, entry_dir, write_manifest, write_part
    from autocode_gpu.tiny import tiny_model, train_tokenizer

    rng = random.Random(seed)
    texts = [
        f"User: What is {rng.randint(10, 99)} + {rng.randint(1, 9)}?\nAssistant: " * 3
        for _ in range(200)
    ]
    # schemas/policy.ts TinyModelConfig's defaults: the tiny-world policy.
    tiny = {
        "hidden_size": 128,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "intermediate_size": 512,
    }
    tiny |= {"vocab_size": 384, "max_position_embeddings": 512}
    tok = train_tokenizer(texts, tiny["vocab_size"])
    model = tiny_model(tok, tiny, seed=seed)
    producer = {"activity": "bench", "version": "1"}
    ckpt = save_checkpoint(
        model,
        tok,
        entry_dir("checkpoints", content_key("bench", "1", {"ckpt": seed})),
        producer=producer,
        params={},
    )
    v = int(model.config.vocab_size)
    cols: dict[str, list] = {
        k: [] for k in ("prompt_token_ids", "response_token_ids", "loss_mask")
    }
    cols |= {"behavior_logprobs": [], "advantage": [], "weight": []}
    for _ in range(rows):
        p, r = rng.randint(12, 24), rng.randint(20, 40)
        cols["prompt_token_ids"].append([rng.randrange(2, v) for _ in range(p)])
        cols["response_token_ids"].append([rng.randrange(2, v) for _ in range(r)])
        cols["loss_mask"].append([1] * r)
        cols["behavior_logprobs"].append(
            [-math.log(v) + rng.uniform(-0.3, 0.3) for _ in range(r)]
        )
        cols["advantage"].append(rng.choice([-1.0, 1.0]))
        cols["weight"].append(1.0)
    directory = entry_dir(
        "train", content_key("bench", "1", {"train": rows, "seed": seed})
    )
    write_part(directory, 0, pa.table(cols))
    train = write_manifest(
        directory, kind="train", schema_version=1, producer=producer, params={}
    )
    return {"uri": ckpt["uri"]}, train


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--rows", type=int, default=256)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--batch", type=int, default=16, help="sequences per micro-batch")
    p.add_argument(
        "--accum", type=int, default=2, help="micro-batches per optimizer step (global)"
    )
    a = p.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as root:
        os.environ["AUTOCODE_STORE"] = root
        import torch
        from autocode_gpu.paths import local_path
        from autocode_gpu.supervise import run

        torch.set_num_threads(cores)
        policy, train = fixture(a.rows)
        hyper = {
            "device": "cpu", "batch_size": a.batch, "grad_accum": a.accum, "max_steps": a.steps,
            "lr": 1e-4, "max_length": 128, "checkpoint_every": 10**6, "seed": 0,
        }  # fmt: skip
        print(
            f"global batch {a.batch * a.accum} sequences/step, {a.steps} steps, {cores} cores, "
            f"load {os.getloadavg()[0]:.2f}"
        )
        out = {}
        # (ranks, threads per process): one rank on every core, one rank on one thread (the same
        # threads per process as the ranks: OpenMP spin-waits badly on a loaded box), then N ranks.
        per_rank = max(1, cores // a.ranks)
        for ranks, threads in ((1, cores), (1, 1), (a.ranks, per_rank)):
            torch.set_num_threads(threads)
            t0 = time.monotonic()
            job = {"policy": policy, "train": train, "hyper": {**hyper, "ranks": ranks}}
            result = run("update", job)
            wall = time.monotonic() - t0
            m = result["metrics"]
            assert not m["cached"]
            # The same key for every run: the next one must train, not find this one.
            shutil.rmtree(local_path(result["checkpoint"]["uri"]))
            print(
                f"{ranks} rank(s) x {threads} thread(s): {m['tokens_per_s']:8.0f} tok/s, "
                f"{m['tokens']} tokens in {m['train_seconds']:.1f} s; wall {wall:.1f} s "
                f"(launch {wall - m['train_seconds']:.1f} s); final loss {m['final_loss']:.6f}"
            )
            out[(ranks, threads)] = m
        n = out[(a.ranks, per_rank)]
        for key in ((1, cores), (1, 1)):
            ratio = n["tokens_per_s"] / out[key]["tokens_per_s"]
            print(
                f"{a.ranks} ranks / 1 rank x {key[1]} thread(s): tokens/s ratio {ratio:.2f}"
            )
        diff = abs(n["final_loss"] - out[(1, 1)]["final_loss"])
        print(
            f"final loss, {a.ranks} ranks vs 1 rank x 1 thread: differs by {diff:.2e}"
        )
        print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
