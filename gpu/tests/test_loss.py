"""The off-policy objective against hand-computed values, and one optimizer step's direction."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from autocode_gpu.checkpoint import load_policy
from autocode_gpu.examples import Example, collate
from autocode_gpu.loss import LossStats, offpolicy_loss, reduce_loss, sequence_logprobs, sft_loss
from autocode_gpu.policy import update_hyper
from autocode_gpu.trainer import data_order, lr_at, normalizers, train

# Three response tokens: pi_theta = 0.5, 0.25, 0.8; behaviour mu = 0.4, 0.5, 0.1; the third is tool output.
PI = [0.5, 0.25, 0.8]
MU = [0.4, 0.5, 0.1]
MASK = [1.0, 1.0, 0.0]


def three_tokens():
    logp = torch.tensor([[math.log(p) for p in PI]], requires_grad=True)
    behavior = torch.tensor([[math.log(m) for m in MU]])
    return logp, behavior, torch.tensor([MASK])


def test_clamped_ratio_loss_by_hand() -> None:
    logp, behavior, mask = three_tokens()
    stats = LossStats()
    loss = offpolicy_loss(logp, behavior, mask, torch.tensor([2.0]), normalizer=2, clip_max=1.2, stats=stats)
    # rho = 1.25 (clamped to 1.2), 0.5; the masked token (rho = 8) does not count.
    expected = -(2.0 * 1.2 * math.log(0.5) + 2.0 * 0.5 * math.log(0.25)) / 2
    assert float(loss.detach()) == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(1.5249238, abs=1e-6)
    loss.backward()
    # The ratio is a detached weight: d loss / d log pi = -A * clip(rho) / N.
    assert logp.grad.tolist()[0] == pytest.approx([-1.2, -0.5, 0.0], abs=1e-6)
    assert stats.tokens == 2 and stats.clipped == 1
    assert stats.ratio_sum == pytest.approx(1.25 + 0.5)


def test_negative_advantage_pushes_down() -> None:
    logp, behavior, mask = three_tokens()
    loss = offpolicy_loss(logp, behavior, mask, torch.tensor([-1.0]), normalizer=2, clip_max=1.2)
    assert float(loss.detach()) == pytest.approx((1.2 * math.log(0.5) + 0.5 * math.log(0.25)) / 2, abs=1e-6)
    loss.backward()
    assert logp.grad.tolist()[0] == pytest.approx([0.6, 0.25, 0.0], abs=1e-6)


def test_ppo_symmetric_clip_by_hand() -> None:
    logp, behavior, mask = three_tokens()
    loss = offpolicy_loss(logp, behavior, mask, torch.tensor([2.0]), 2, clip="ppo", ppo_epsilon=0.2)
    # token 1: min(1.25 * 2, 1.2 * 2) = 2.4 (clipped: no gradient); token 2: min(0.5 * 2, 0.8 * 2) = 1.0.
    assert float(loss.detach()) == pytest.approx(-(2.4 + 1.0) / 2, abs=1e-6)
    loss.backward()
    assert logp.grad.tolist()[0] == pytest.approx([0.0, -0.5, 0.0], abs=1e-6)


def test_sft_loss_is_masked_mean_nll() -> None:
    logp, _, mask = three_tokens()
    loss = sft_loss(logp, mask, torch.tensor([1.0]), normalizer=2)
    assert float(loss.detach()) == pytest.approx(-(math.log(0.5) + math.log(0.25)) / 2, abs=1e-6)


def test_schedule_warms_up_then_decays_to_zero() -> None:
    assert lr_at(0, 100, 1.0, 3) == pytest.approx(1 / 3)
    assert lr_at(2, 100, 1.0, 3) == pytest.approx(1.0)
    assert lr_at(3, 100, 1.0, 3) == pytest.approx(1.0)
    assert lr_at(3 + 97 // 2, 100, 1.0, 3) == pytest.approx(0.5, abs=0.02)
    assert lr_at(99, 100, 1.0, 3) < 0.001
    assert data_order(5, 2, seed=3) == data_order(5, 2, seed=3)
    assert sorted(data_order(5, 2, seed=3)[:5]) == list(range(5))


def response_loglik(model, e: Example) -> float:
    batch = collate([e], 0)
    with torch.no_grad():
        logp = sequence_logprobs(model, batch.input_ids, batch.attention_mask)
    return float((logp * batch.mask).sum())


def test_one_step_raises_positive_and_lowers_negative_samples(ckpt_a: Path) -> None:
    model, tok = load_policy(ckpt_a, "cpu", "float32")
    prompt = tok("User: What is 2 + 3?\nAssistant:")["input_ids"]
    good = tok(" 2 + 3 = 5. The answer is \\boxed{5}.")["input_ids"]
    bad = tok(" ```python\nprint(2 * 3)\n```")["input_ids"]
    examples = []
    for resp, adv in ((good, 1.0), (bad, -1.0)):
        e = Example(prompt, resp, [1.0] * len(resp), None, adv)
        batch = collate([e], 0)
        with torch.no_grad():
            logp = sequence_logprobs(model, batch.input_ids, batch.attention_mask)[0]
        e.behavior = logp[len(prompt) - 1 : len(prompt) - 1 + len(resp)].tolist()  # on-policy: rho = 1
        examples.append(e)
    before = [response_loglik(model, e) for e in examples]
    hyper = {
        "device": "cpu",
        "dtype": "float32",
        "epochs": 1,
        "batch_size": 1,
        "grad_accum": 2,
        "warmup_ratio": 0.0,
        "weight_decay": 0.0,
        "beta1": 0.9,
        "beta2": 0.95,
        "loss_reduction": "sample_mean",
        "grad_clip": 1.0,
        "max_length": 256,
        "seed": 0,
        "checkpoint_every": 100,
        "lr": 1e-3,
        "ratio_clip": "clamp_above",
        "ratio_upper": 1.2,
        "ppo_epsilon": 0.2,
    }
    result = train(model, examples, hyper, "update", ckpt_a.parent / "_unused", tok.pad_token_id)
    assert result.steps == 1 and result.mean_ratio == pytest.approx(1.0, abs=1e-4)
    after = [response_loglik(model, e) for e in examples]
    assert after[0] > before[0] + 0.1
    assert after[1] < before[1] - 0.1


def test_nan_behaviour_logprob_means_ratio_one() -> None:
    logp, behavior, mask = three_tokens()
    behavior[0, 0] = float("nan")  # not recorded (e.g. a synthesized hint token)
    loss = offpolicy_loss(logp, behavior, mask, torch.tensor([2.0]), normalizer=2, clip_max=1.2)
    assert float(loss.detach()) == pytest.approx(
        -(2.0 * 1.0 * math.log(0.5) + 2.0 * 0.5 * math.log(0.25)) / 2
    )


def test_sample_mean_weighs_each_response_once_token_mean_each_token() -> None:
    # Sample A has 1 loss token (loss 3), sample B has 3 (losses 1, 2, 6) and one masked token (100).
    per_token = torch.tensor([[3.0, 100.0, 100.0, 100.0], [1.0, 2.0, 6.0, 100.0]])
    mask = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0]])
    a = Example([1], [5], [1.0], None, 1.0)
    b = Example([1], [5, 6, 7, 8], [1.0, 1.0, 1.0, 0.0], None, 1.0)
    # sample_mean: (3/1 + (1+2+6)/3) / 2 = (3 + 3) / 2 = 3; divisors N_i * B = 1*2, 3*2.
    assert normalizers([a, b], "sample_mean") == [2.0, 6.0]
    assert float(reduce_loss(per_token, mask, torch.tensor([2.0, 6.0]))) == pytest.approx(3.0)
    # token_mean: (3 + 1 + 2 + 6) / 4 = 3; here equal by construction, so change A's loss to 7:
    per_token[0, 0] = 7.0
    assert float(reduce_loss(per_token, mask, torch.tensor([2.0, 6.0]))) == pytest.approx((7 + 3) / 2)
    assert normalizers([a, b], "token_mean") == [4.0, 4.0]
    assert float(reduce_loss(per_token, mask, torch.tensor([4.0, 4.0]))) == pytest.approx((7 + 9) / 4)
    with pytest.raises(ValueError, match="loss_reduction"):
        normalizers([a], "token_sum")


def _two_examples(tok) -> list[Example]:
    prompt = tok("User: What is 2 + 3?\nAssistant:")["input_ids"]
    short = tok(" 5.")["input_ids"]
    long = tok(" 2 + 3 = 5. The answer is \\boxed{5}.")["input_ids"]
    return [
        Example(prompt, short, [1.0] * len(short), [float("nan")] * len(short), 1.0),
        Example(prompt, long, [1.0] * len(long), [float("nan")] * len(long), -0.5),
    ]


@pytest.mark.parametrize("reduction", ["sample_mean", "token_mean"])
def test_accumulated_micro_batches_equal_one_big_batch(ckpt_a: Path, tmp_path: Path, reduction: str) -> None:
    # One step over the same two samples, as 2 passes of 1 and as 1 pass of 2: the same weights.
    weights = []
    for bs, accum in ((1, 2), (2, 1)):
        model, tok = load_policy(ckpt_a, "cpu", "float32")
        hyper = {
            "device": "cpu", "dtype": "float32", "epochs": 1, "batch_size": bs, "grad_accum": accum,
            "warmup_ratio": 0.0, "weight_decay": 0.0, "beta1": 0.9, "beta2": 0.999,
            "loss_reduction": reduction, "grad_clip": 1e9, "max_length": 256, "seed": 0,
            "checkpoint_every": 100, "lr": 1e-3, "ratio_clip": "clamp_above", "ratio_upper": 1.2,
            "ppo_epsilon": 0.2,
        }  # fmt: skip
        train(model, _two_examples(tok), hyper, "update", tmp_path / f"w{bs}{reduction}", tok.pad_token_id)
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.allclose(weights[0], weights[1], atol=1e-6)


def test_the_reduction_changes_the_update(ckpt_a: Path, tmp_path: Path) -> None:
    # A short and a long response: sample_mean gives the short one's tokens more weight than
    # token_mean, so one step moves the weights differently (a reduction ignored would not).
    moved = {}
    for reduction in ("sample_mean", "token_mean"):
        model, tok = load_policy(ckpt_a, "cpu", "float32")
        hyper = {
            "device": "cpu", "dtype": "float32", "epochs": 1, "batch_size": 2, "grad_accum": 1,
            "warmup_ratio": 0.0, "weight_decay": 0.0, "beta1": 0.9, "beta2": 0.999,
            "loss_reduction": reduction, "grad_clip": 1e9, "max_length": 256, "seed": 0,
            "checkpoint_every": 100, "lr": 1e-3, "ratio_clip": "clamp_above", "ratio_upper": 1.2,
            "ppo_epsilon": 0.2,
        }  # fmt: skip
        train(model, _two_examples(tok), hyper, "update", tmp_path / reduction, tok.pad_token_id)
        moved[reduction] = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert not torch.allclose(moved["sample_mean"], moved["token_mean"], atol=1e-6)


def test_lr_later_applies_from_the_second_iteration() -> None:
    hyper = {"lr": 2e-5, "lr_later": 1e-5, "beta2": 0.999}
    assert update_hyper(hyper, 1) == {"lr": 2e-5, "beta2": 0.999}
    assert update_hyper(hyper, 2) == {"lr": 1e-5, "beta2": 0.999}
    assert update_hyper(hyper, 3)["lr"] == 1e-5
    # Unset: every iteration trains (and is keyed) with lr, like iteration 1.
    assert update_hyper({"lr": 2e-5}, 2) == update_hyper({"lr": 2e-5}, 1) == {"lr": 2e-5}
