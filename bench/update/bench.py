"""Training throughput of the off-policy update (the M-step's trainer), in tokens/s, and MFU on GPU.

On this CPU (tiny-world configs):
    .venv/bin/python bench/update/bench.py --preset tiny --steps 20
    .venv/bin/python bench/update/bench.py --preset small --steps 10
On a GPU host (a 124M-parameter Llama-style config, bf16 autocast; prints MFU):
    .venv/bin/python bench/update/bench.py --preset gpu-124m --steps 30 [--peak-tflops 989]

Runs the project's trainer (autocode_gpu.trainer.train, objective "update": per-token ratio against
behaviour log-probs, clamp, advantage weighting, accumulation, schedule) on synthetic samples, and
as a peer the minimal loop a user would write (HF forward with labels, backward, AdamW step) on the
same batches; prints both and their ratio. Tokens are prompt + response tokens processed.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "gpu" / "src"))

PRESETS = {
    # The tiny-world policy (DESIGN.md's probe): 1.1M parameters.
    "tiny": {
        "hidden": 128,
        "layers": 4,
        "heads": 4,
        "ffn": 512,
        "vocab": 384,
        "prompt": 24,
        "response": 40,
        "batch": 32,
        "micro": 32,
    },
    # A 12M-parameter step up, still CPU-sized.
    "small": {
        "hidden": 384,
        "layers": 6,
        "heads": 6,
        "ffn": 1536,
        "vocab": 2048,
        "prompt": 64,
        "response": 192,
        "batch": 8,
        "micro": 8,
    },
    # GPT-2-small-sized Llama (124M with a 32k vocabulary, tied embeddings): the GPU figure.
    "gpu-124m": {
        "hidden": 768,
        "layers": 12,
        "heads": 12,
        "ffn": 3072,
        "vocab": 32000,
        "prompt": 256,
        "response": 768,
        "batch": 32,
        "micro": 8,
    },
}
# Dense bf16 peak of common accelerators (TFLOP/s), for MFU; override with --peak-tflops.
PEAKS = {
    "H100": 989.0,
    "H200": 989.0,
    "A100": 312.0,
    "L40S": 362.0,
    "A10": 125.0,
    "4090": 165.0,
}


def build(preset: dict, seed: int = 0):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(
        vocab_size=preset["vocab"],
        hidden_size=preset["hidden"],
        intermediate_size=preset["ffn"],
        num_hidden_layers=preset["layers"],
        num_attention_heads=preset["heads"],
        num_key_value_heads=preset["heads"],
        max_position_embeddings=preset["prompt"] + preset["response"],
        tie_word_embeddings=True,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(cfg)


def samples(preset: dict, n: int, seed: int = 0):
    from autocode_gpu.examples import Example

    rng = random.Random(seed)
    v, lp, lr = preset["vocab"], preset["prompt"], preset["response"]
    out = []
    for _ in range(n):
        p = rng.randint(lp // 2, lp)
        r = rng.randint(lr // 2, lr)
        out.append(
            Example(
                [rng.randrange(2, v) for _ in range(p)],
                [rng.randrange(2, v) for _ in range(r)],
                [1.0] * r,
                [-math.log(v) + rng.uniform(-0.3, 0.3) for _ in range(r)],
                rng.choice([-1.0, 1.0]),
            )
        )
    return out


def peer_loop(
    model, examples, preset: dict, steps: int, device: str, use_amp: bool
) -> tuple[float, int]:
    """A minimal SFT loop (HF's own loss via labels) over the same batches: the reference throughput."""
    import torch
    from autocode_gpu.examples import collate

    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    bs, mbs = preset["batch"], preset["micro"]
    tokens = 0
    t0 = time.perf_counter()
    for s in range(steps):
        chosen = examples[s * bs : (s + 1) * bs]
        for k in range(0, len(chosen), mbs):
            b = collate(chosen[k : k + mbs], 0).to(device)
            labels = b.input_ids.masked_fill(b.attention_mask == 0, -100)
            with torch.autocast(
                device_type="cuda", dtype=torch.bfloat16, enabled=use_amp
            ):
                loss = model(
                    input_ids=b.input_ids,
                    attention_mask=b.attention_mask,
                    labels=labels,
                ).loss
            loss.backward()
            tokens += b.tokens
        opt.step()
        opt.zero_grad(set_to_none=True)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - t0, tokens


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads (0: torch's default)"
    )
    p.add_argument("--peak-tflops", type=float, default=0.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument(
        "--batch", type=int, default=0, help="override the preset's sequences per step"
    )
    p.add_argument(
        "--micro",
        type=int,
        default=0,
        help="override the preset's sequences per forward",
    )
    a = p.parse_args()
    import torch
    from autocode_gpu.checkpoint import resolve_device
    from autocode_gpu.trainer import train

    if a.threads:
        torch.set_num_threads(a.threads)
    preset = dict(PRESETS[a.preset])
    preset["batch"] = a.batch or preset["batch"]
    preset["micro"] = a.micro or min(preset["micro"], preset["batch"])
    device = resolve_device(a.device)
    use_amp = device.startswith("cuda")
    n = preset["batch"] * (a.steps + 2)
    examples = samples(preset, n)
    model = build(preset)
    params = sum(t.numel() for t in model.parameters())
    where = (
        torch.cuda.get_device_name()
        if use_amp
        else f"CPU, {torch.get_num_threads()} threads"
    )
    print(
        f"preset {a.preset}: {params / 1e6:.1f}M parameters on {where}; load {os.getloadavg()[0]:.2f}"
    )

    # Warm-up (allocator, kernels), then the measured runs: the project's trainer and the peer loop.
    hyper = {
        "device": device, "dtype": "auto", "epochs": 1, "max_steps": 2, "batch_size": preset["micro"],
        "grad_accum": preset["batch"] // preset["micro"], "warmup_ratio": 0.03, "weight_decay": 0.0,
        "beta1": 0.9, "beta2": 0.999, "loss_reduction": "sample_mean", "grad_clip": 1.0, "max_length": preset["prompt"] + preset["response"],
        "seed": 0, "checkpoint_every": 10**9, "lr": 2e-5, "ratio_clip": "clamp_above", "ratio_upper": 1.2,
        "ppo_epsilon": 0.2,
    }  # fmt: skip
    # Alternate the two loops (load on a shared box moves); report each one's best round.
    rest = examples[2 * preset["batch"] :]
    ours, peers = [], []
    with tempfile.TemporaryDirectory() as work:
        train(model, examples[: 2 * preset["batch"]], hyper, "update", Path(work), 0)
        hyper["max_steps"] = a.steps
        for k in range(a.rounds):
            ours.append(train(model, rest, hyper, "update", Path(work) / f"run{k}", 0))
            peer_s, peer_tokens = peer_loop(
                model, rest, preset, a.steps, device, use_amp
            )
            peers.append(peer_tokens / peer_s)
    r = max(ours, key=lambda x: x.tokens_per_s)
    peer_rate = max(peers)
    print(
        f"update trainer: {r.tokens_per_s:10.0f} tok/s  "
        f"(best of {a.rounds}: {r.tokens} tokens, {r.steps} steps, {r.train_seconds:.1f} s)"
    )
    print(
        f"peer HF loop:   {peer_rate:10.0f} tok/s  (trainer/peer = {r.tokens_per_s / peer_rate:.2f})"
    )
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if use_amp:
        seq = preset["prompt"] + preset["response"]
        cfg = model.config
        flops_per_token = (
            6 * params + 12 * cfg.num_hidden_layers * cfg.hidden_size * seq
        )
        name = torch.cuda.get_device_name()
        peak = a.peak_tflops or next((v for k, v in PEAKS.items() if k in name), 0.0)
        achieved = flops_per_token * r.tokens_per_s / 1e12
        mfu = (
            f"{achieved / peak:.1%} of {peak:.0f} TFLOP/s"
            if peak
            else "unknown peak: pass --peak-tflops"
        )
        print(f"model FLOPs: {achieved:.1f} TFLOP/s; MFU {mfu}")


if __name__ == "__main__":
    main()
