"""The training loop shared by SFT and the off-policy update.

AdamW, cosine schedule with linear warm-up, gradient accumulation (the loss of a step is normalised
over the whole step - per sample then over its sequences, or over its loss-bearing tokens - so
accumulation equals one big batch), bf16 autocast
on CUDA / float32 on CPU, and step checkpoints (weights + optimizer + step) in a work directory: a
killed run resumes from its last saved step with the same data order, not from step 0.

Under torch.distributed ranks (:mod:`autocode_gpu.ranks`) the same step's micro-batches are dealt
round-robin to the ranks and DDP averages their gradients, with each rank's loss scaled by the rank
count, so a step is the one-rank step up to float rounding; rank 0 alone writes step checkpoints and
reports progress, and every rank resumes from the step rank 0 found.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .checkpoint import resolve_device, resolve_dtype
from .examples import Example, collate
from .loss import LossStats, offpolicy_loss, sequence_logprobs, sft_loss
from .ranks import StopRequested, World, stop_requested, training, world

log = logging.getLogger(__name__)
STEP_FILE = re.compile(r"^step-(\d{8})\.pt$")
KEEP_STEP_CHECKPOINTS = 2


@dataclass
class TrainResult:
    steps: int
    resumed_from_step: int
    tokens: int
    train_seconds: float
    final_loss: float | None
    mean_ratio: float | None
    clipped_fraction: float | None

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.train_seconds if self.train_seconds > 0 else 0.0


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    """Learning rate of optimizer step ``step`` (0-based): linear warm-up, then cosine to 0."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def data_order(n: int, epochs: float, seed: int) -> list[int]:
    """Example indices for the whole run: one shuffle per epoch, fixed by the seed (so resumes agree)."""
    total = math.ceil(epochs * n)
    order: list[int] = []
    epoch = 0
    while len(order) < total:
        perm = list(range(n))
        random.Random(seed * 1_000_003 + epoch).shuffle(perm)
        order.extend(perm)
        epoch += 1
    return order[:total]


def step_size(hyper: dict[str, Any]) -> int:
    """Sequences per optimizer step."""
    return int(hyper["batch_size"]) * int(hyper["grad_accum"])


def plan_steps(n: int, hyper: dict[str, Any]) -> int:
    steps = math.ceil(math.ceil(hyper["epochs"] * n) / step_size(hyper))
    if hyper.get("max_steps"):
        steps = min(steps, int(hyper["max_steps"]))
    return steps


def normalizers(chosen: list[Example], reduction: str) -> list[float]:
    """The divisor of each example's summed token loss within one optimizer step.

    sample_mean (the authors'): each sample's token mean, then the mean over the step's sequences, so
    a long response weighs as much as a short one. token_mean: every loss-bearing token of the step
    weighs the same (longer responses dominate)."""
    if reduction == "sample_mean":
        return [float(sum(e.mask)) * len(chosen) for e in chosen]
    if reduction == "token_mean":
        total = float(sum(sum(e.mask) for e in chosen))
        return [total] * len(chosen)
    raise ValueError(f"unknown loss_reduction {reduction!r} (sample_mean | token_mean)")


def latest_step(work_dir: Path) -> tuple[int, Path | None]:
    best: tuple[int, Path | None] = (0, None)
    if work_dir.is_dir():
        for p in work_dir.iterdir():
            m = STEP_FILE.match(p.name)
            if m and int(m.group(1)) > best[0]:
                best = (int(m.group(1)), p)
    return best


def _save_step(work_dir: Path, step: int, model, optimizer, extra: dict[str, Any]) -> None:
    work_dir.mkdir(parents=True, exist_ok=True)
    final = work_dir / f"step-{step:08d}.pt"
    tmp = work_dir / f".step-{step:08d}.pt.tmp-{os.getpid()}"
    state = {
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "torch_rng": torch.get_rng_state(),
        **extra,
    }
    torch.save(state, tmp)
    os.replace(tmp, final)  # a step file exists only complete
    steps = sorted(p for p in work_dir.iterdir() if STEP_FILE.match(p.name))
    for old in steps[:-KEEP_STEP_CHECKPOINTS]:
        old.unlink(missing_ok=True)


def _resume_point(work_dir: Path, here: World) -> tuple[int, Path | None]:
    """The step checkpoint to resume from: rank 0's latest, the same file on every rank (the store,
    its _work folder included, is on a filesystem every host sees)."""
    start, path = latest_step(work_dir)
    if here.size == 1:
        return start, path
    import torch.distributed as dist

    chosen = [start]
    dist.broadcast_object_list(chosen, src=0)
    start = int(chosen[0])
    path = work_dir / f"step-{start:08d}.pt" if start else None
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"rank {here.rank}: rank 0 resumes from {path}, which this host does not see")
    return start, path


def _step_totals(here: World, values: list[float]) -> list[float]:
    """Sums over the ranks (one small all-reduce per step): loss, tokens, stop flag."""
    if here.size == 1:
        return values
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


def _idle_backward(net, example: Example, pad_id: int, device: str) -> None:
    """A rank with no micro-batch this step still joins DDP's gradient all-reduce, adding zeros."""
    batch = collate([example], pad_id).to(device)
    logp = sequence_logprobs(net, batch.input_ids, batch.attention_mask)
    (logp.sum() * 0.0).backward()


def _merged_stats(stats: LossStats) -> LossStats:
    totals = [stats.ratio_sum, float(stats.clipped), float(stats.tokens)]
    ratio_sum, clipped, n = _step_totals(world(), totals)
    return LossStats(ratio_sum, int(clipped), int(n))


def _optimizer(model, hyper: dict[str, Any]) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    groups = [
        {"params": decay, "weight_decay": hyper["weight_decay"]},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=hyper["lr"], betas=(hyper["beta1"], hyper["beta2"]))


def train(
    model,
    examples: list[Example],
    hyper: dict[str, Any],
    objective: str,
    work_dir: Path,
    pad_id: int,
    on_step: Callable[[dict[str, Any]], None] | None = None,
    guard: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> TrainResult:
    """Trains ``model`` in place. ``objective`` is "sft" or "update"; ``guard`` shields the optimizer step
    and checkpoint writes from asynchronous cancellation (Temporal raises it inside the thread)."""
    if not examples:
        raise ValueError("no examples to train on")
    device = resolve_device(hyper["device"])
    amp_dtype = resolve_dtype(hyper["dtype"], device)
    use_amp = device.startswith("cuda") and amp_dtype != torch.float32
    model.to(device=device, dtype=torch.float32)  # float32 master weights; bf16 compute under autocast
    model.train()
    here = world()
    optimizer = _optimizer(model, hyper)
    total = plan_steps(len(examples), hyper)
    warmup = math.ceil(hyper["warmup_ratio"] * total) if hyper["warmup_ratio"] > 0 else 0
    order = data_order(len(examples), hyper["epochs"], hyper["seed"])
    bs, mbs = step_size(hyper), hyper["batch_size"]

    start, path = _resume_point(work_dir, here)
    if path is not None:
        state = torch.load(path, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        log.info("resuming from step %d of %d (%s)", start, total, path)
    net = model
    if here.size > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=None)  # CPU, or this rank's current CUDA device
    step, saved = start, start
    stats = LossStats()
    tokens, last_loss = 0, None
    t0 = time.monotonic()
    training(True)
    try:
        while step < total:
            chosen = [examples[i] for i in order[step * bs : (step + 1) * bs]]
            chosen.sort(key=lambda e: e.length)  # similar lengths per micro-batch: less padding
            divisors = normalizers(chosen, hyper["loss_reduction"])
            lr = lr_at(step, total, hyper["lr"], warmup)
            for g in optimizer.param_groups:
                g["lr"] = lr
            step_loss, step_tokens = 0.0, 0
            # Micro-batch j goes to rank j mod size: the one-rank micro-batches, the same padding.
            mine = list(range(0, len(chosen), mbs))[here.rank :: here.size]
            if not mine and here.size > 1:
                _idle_backward(net, chosen[0], pad_id, device)
            for j, k in enumerate(mine):
                batch = collate(chosen[k : k + mbs], pad_id).to(device)
                normalizer = torch.tensor(divisors[k : k + mbs], dtype=torch.float32)
                # DDP all-reduces on the rank's last backward of the step only.
                sync = here.size == 1 or j == len(mine) - 1
                # Under no_sync DDP only accumulates: the backward outside it all-reduces.
                with contextlib.nullcontext() if sync else net.no_sync():
                    with torch.autocast(device_type="cuda", dtype=amp_dtype, enabled=use_amp):
                        logp = sequence_logprobs(net, batch.input_ids, batch.attention_mask)
                    if objective == "sft":
                        loss = sft_loss(logp, batch.mask, batch.coef, normalizer)
                    else:
                        loss = offpolicy_loss(
                            logp,
                            batch.behavior,
                            batch.mask,
                            batch.coef,
                            normalizer,
                            clip=hyper["ratio_clip"],
                            clip_max=hyper["ratio_upper"],
                            ppo_epsilon=hyper["ppo_epsilon"],
                            stats=stats,
                        )
                    # DDP averages gradients over the ranks; the step's loss is their sum.
                    (loss * here.size if here.size > 1 else loss).backward()
                step_loss += float(loss.detach())
                step_tokens += batch.tokens
            torch.nn.utils.clip_grad_norm_(model.parameters(), hyper["grad_clip"])
            with guard():
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
            step_loss, step_tokens_all, stops = _step_totals(
                here, [step_loss, float(step_tokens), float(stop_requested())]
            )
            tokens += int(step_tokens_all)
            last_loss = step_loss
            elapsed = time.monotonic() - t0
            if on_step is not None and here.main:
                on_step(
                    {
                        "step": step,
                        "total_steps": total,
                        "loss": step_loss,
                        "lr": lr,
                        "tokens_per_s": tokens / elapsed if elapsed > 0 else 0.0,
                    }
                )
            if step % hyper["checkpoint_every"] == 0 and step < total:
                with guard():
                    if here.main:
                        _save_step(work_dir, step, model, optimizer, {})
                    saved = step
            if stops and step < total:
                raise StopRequested(f"stopped at step {step} of {total}")
    except BaseException:
        # Cancelled or failed mid-run: keep the last completed step so the next attempt resumes there.
        # Every completed step is the same on every rank (its gradients were all-reduced before it).
        if step > saved and here.main:
            with guard():
                _save_step(work_dir, step, model, optimizer, {})
        raise
    finally:
        training(False)
    if here.size > 1:
        stats = _merged_stats(stats)
    model.eval()
    return TrainResult(
        steps=step,
        resumed_from_step=start,
        tokens=tokens,
        train_seconds=time.monotonic() - t0,
        final_loss=last_loss,
        mean_ratio=stats.ratio_sum / stats.tokens if stats.tokens else None,
        clipped_fraction=stats.clipped / stats.tokens if stats.tokens else None,
    )
