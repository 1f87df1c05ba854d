"""The bootstrap SFT on the tiny world's demonstrations: one process on both threads (the default) vs
N torch.distributed ranks of one thread each (`ranks: N`, docs/distributed-update.md), and one
process on one thread as the base.

    .venv/bin/python bench/update/sft_ranks.py var/store/demonstrations/<key> [--steps 60] [--ranks 2]

The tiny spec's step (4 length-sorted micro-batches of 8) from the same data order; prints each
layout's trainer tokens/s, its wall time with the launch and the preparation (tokenizer, examples),
the final loss (the same up to the order float32 gradients are summed in) and the ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from demos_ref import demonstrations_ref


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("demonstrations", type=Path)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--ranks", type=int, default=2)
    a = p.parse_args()
    import torch

    os.environ["AUTOCODE_STORE"] = tempfile.mkdtemp(prefix="bench-sft-ranks-")
    from autocode_gpu.paths import local_path
    from autocode_gpu.supervise import run

    ref = demonstrations_ref(a.demonstrations)
    cores = os.cpu_count() or 1
    print(
        f"{a.steps} steps of 8 x 4 sequences, {cores} cores, load {os.getloadavg()[0]:.2f}"
    )
    rates = {}
    for ranks, threads in ((1, cores), (a.ranks, max(1, cores // a.ranks)), (1, 1)):
        torch.set_num_threads(threads)  # the ranks' threads are set by the supervisor
        hyper = {"max_steps": a.steps, "epochs": 2, "batch_size": 8, "grad_accum": 4}
        hyper |= {"checkpoint_every": 10**6, "ranks": ranks}
        t = time.monotonic()
        out = run("sft", {"demonstrations": ref, "hyper": hyper})
        wall = time.monotonic() - t
        m = out["metrics"]
        assert not m["cached"]
        # The next layout has the same key: it must train, not find this one.
        shutil.rmtree(local_path(out["checkpoint"]["uri"]))
        rates[(ranks, threads)] = m["tokens_per_s"]
        print(
            f"{ranks} rank(s) x {threads} thread(s): {m['tokens_per_s']:7.0f} tok/s, train "
            f"{m['train_seconds']:.1f} s, wall {wall:.1f} s, final loss {m['final_loss']:.5f}",
            flush=True,
        )
    base = rates[(1, cores)]
    for key, rate in rates.items():
        print(
            f"{key[0]} rank(s) x {key[1]} thread(s) / 1 rank x {cores} threads: {rate / base:.2f}x"
        )
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
