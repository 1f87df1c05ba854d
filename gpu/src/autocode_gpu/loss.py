"""The off-policy objective (DESIGN.md step 4) and the token log-probs it is computed from.

Per response token t of sample i, with behaviour log-prob log mu (recorded at generation time):

    rho_it = exp(log pi_theta(y_it) - log mu(y_it))
    clamp_above (authors): loss_it = -A_i * min(rho_it, clip_max).detach() * log pi_theta(y_it)
    ppo (option):          loss_it = -min(rho_it * A_i, clip(rho_it, 1 - eps, 1 + eps) * A_i)
    sample_mean (authors): loss = (1/B) sum_i (1/N_i) sum_t mask_it * loss_it
    token_mean (option):   loss = sum_it mask_it * loss_it / N

with B the sequences of the whole optimizer step, N_i the loss-bearing tokens of sample i and N those
of the whole step (so gradient accumulation equals one big batch in both forms).

A_i is the sample's advantage times its weight. Both forms have the gradient A * rho * grad log pi
while the ratio is inside the clip range. SFT is the special case rho = 1: -A_i * log pi_theta.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class LossStats:
    ratio_sum: float = 0.0
    clipped: int = 0
    tokens: int = 0


def sequence_logprobs(model, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """log pi(ids[:, t+1] | ids[:, :t+1]) for every position: shape [B, T-1], float32."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits[:, :-1, :]
    b, t, v = logits.shape
    # Fused cross-entropy (log-softmax + gather in one kernel, also backwards) = -log pi of each target.
    nll = F.cross_entropy(logits.float().reshape(b * t, v), input_ids[:, 1:].reshape(b * t), reduction="none")
    return -nll.view(b, t)


Normalizer = float | torch.Tensor


def reduce_loss(per_token: torch.Tensor, mask: torch.Tensor, normalizer: Normalizer) -> torch.Tensor:
    """Sum of masked token losses divided by ``normalizer``: one float for the whole micro-batch
    (token_mean), or one divisor per sample, shape [B] (sample_mean)."""
    if isinstance(normalizer, torch.Tensor):
        per_sample = (per_token * mask).sum(dim=-1)
        return (per_sample / normalizer.to(per_sample.device, per_sample.dtype).clamp(min=1.0)).sum()
    return (per_token * mask).sum() / max(normalizer, 1.0)


def offpolicy_loss(
    logp: torch.Tensor,
    behavior: torch.Tensor,
    mask: torch.Tensor,
    coef: torch.Tensor,
    normalizer: Normalizer,
    clip: str = "clamp_above",
    clip_max: float = 1.2,
    ppo_epsilon: float = 0.2,
    stats: LossStats | None = None,
) -> torch.Tensor:
    """Loss of one micro-batch: logp/behavior/mask are [B, T], coef (advantage x weight) is [B].

    A NaN behaviour log-prob means none was recorded (synthesized text such as a reflective hint):
    that token is treated as on-policy, ratio 1."""
    adv = coef.unsqueeze(-1).to(logp.dtype)
    behavior = torch.where(torch.isnan(behavior), logp.detach(), behavior)
    log_ratio = (logp - behavior).clamp(max=20.0)  # exp() stays finite on garbage behaviour log-probs
    if clip == "clamp_above":
        ratio = torch.exp(log_ratio).detach()
        weight = ratio.clamp(max=clip_max)
        per_token = -adv * weight * logp
        clipped = ratio > clip_max
    elif clip == "ppo":
        ratio = torch.exp(log_ratio)
        unclipped = ratio * adv
        bounded = ratio.clamp(1.0 - ppo_epsilon, 1.0 + ppo_epsilon) * adv
        per_token = -torch.minimum(unclipped, bounded)
        clipped = (ratio - 1.0).abs().detach() > ppo_epsilon
    else:
        raise ValueError(f"unknown ratio clip {clip!r} (clamp_above | ppo)")
    if stats is not None:
        with torch.no_grad():
            on = mask > 0
            stats.ratio_sum += float((ratio * on).sum())
            stats.clipped += int((clipped & on).sum())
            stats.tokens += int(on.sum())
    return reduce_loss(per_token, mask, normalizer)


def sft_loss(
    logp: torch.Tensor, mask: torch.Tensor, coef: torch.Tensor, normalizer: Normalizer
) -> torch.Tensor:
    return reduce_loss(-coef.unsqueeze(-1).to(logp.dtype) * logp, mask, normalizer)
