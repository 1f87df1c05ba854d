"""Bootstrap SFT throughput: one padded batch of 32 per step vs 4 length-sorted micro-batches of 8.

    .venv/bin/python bench/update/micro_batches.py var/store/demonstrations/<key> [--steps 80]

Takes a demonstrations entry (the tiny run writes one: `bin/autocode run tiny`, then the newest
directory under var/store/demonstrations/), trains the default tiny model from scratch for the same
number of optimizer steps with each layout, and prints wall time, tokens/s, final loss and the ratio.
Both layouts see the same 32 sequences per step and the same loss normalisation (the step's
loss-bearing tokens), so the gradient is the same; only the padding differs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from demos_ref import demonstrations_ref


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("demonstrations", type=Path)
    p.add_argument("--steps", type=int, default=80)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    os.environ["AUTOCODE_STORE"] = tempfile.mkdtemp(prefix="bench-micro-")
    from autocode_gpu.policy import run_sft

    ref = demonstrations_ref(a.demonstrations)
    figures = {}
    for batch, accum in [(32, 1), (8, 4)]:
        t = time.monotonic()
        hyper = {
            "max_steps": a.steps,
            "epochs": 2,
            "batch_size": batch,
            "grad_accum": accum,
            "checkpoint_every": 10**6,
        }
        out = run_sft({"demonstrations": ref, "hyper": hyper})
        m = out["metrics"]
        figures[(batch, accum)] = m["tokens_per_s"]
        print(
            f"batch {batch} x {accum}: {time.monotonic() - t:.1f} s for {a.steps} steps, "
            f"{m['tokens_per_s']:.0f} tok/s, final loss {m['final_loss']:.4f}",
            flush=True,
        )
    print(
        f"ratio (8 x 4 over 32 x 1): {figures[(8, 4)] / figures[(32, 1)]:.2f}x tokens/s"
    )


if __name__ == "__main__":
    main()
