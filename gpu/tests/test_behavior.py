"""behavior_logprobs: rescoring in the exact training context (ratio 1 at step 0), the drift record,
the drift limit, bad input. A tiny float32 checkpoint on CPU plays the starting policy and the sampler."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pyarrow as pa
import pytest
import torch
from conftest import demonstrations, node_request, write_dataset
from temporalio.exceptions import ApplicationError

from autocode_gpu.behavior import run_behavior_logprobs
from autocode_gpu.checkpoint import load_policy
from autocode_gpu.demos import encode_demonstration
from autocode_gpu.examples import Example, collate, train_examples
from autocode_gpu.loss import LossStats, offpolicy_loss, sequence_logprobs
from autocode_gpu.store import read_dataset
from autocode_gpu.trainer import train

HINTS = (" Let's write a program.", " Let's reason step by step.")
HINT = " Sorry, the above solution may be incorrect. It's better to write a program."
N_NATIVE, N_DICTATED, N_REFLECTIVE = 10, 5, 5


def sampler_logprobs(model, prompt: list[int], response: list[int]) -> list[float]:
    """What a sampler records: the response's log-probs after ``prompt``, one row alone."""
    batch = collate([Example(prompt, response, [1.0] * len(response), None, 1.0)], 0)
    with torch.no_grad():
        logp = sequence_logprobs(model, batch.input_ids, batch.attention_mask)[0]
    return logp[len(prompt) - 1 : len(prompt) - 1 + len(response)].tolist()


def build_rows(tokenizer, ckpt: Path) -> list[dict]:
    """Train rows as synthesize writes them. Native: trained where sampled (rescore false). Dictated:
    sampled on the dictated prompt, trained on the no-hint one. Reflective: a failed attempt and the
    hint prepended to a correct response whose log-probs were recorded without them (prefix NaN)."""
    model, _ = load_policy(ckpt, "cpu", "float32")
    demos = demonstrations(N_NATIVE + N_DICTATED + N_REFLECTIVE, seed=5)
    rng = random.Random(5)
    rows = []
    for i, (p, r) in enumerate(zip(demos["prompt"].to_pylist(), demos["response"].to_pylist(), strict=True)):
        pi, ri, m = encode_demonstration(tokenizer, p, r)
        recorded = sampler_logprobs(model, pi, ri)
        kind, rescore = "exploratory", i >= N_NATIVE
        if N_NATIVE <= i < N_NATIVE + N_DICTATED:
            plain = p
            for h in HINTS:
                plain = plain.replace(h, "")
            pi = list(tokenizer(plain, add_special_tokens=True)["input_ids"])
        elif i >= N_NATIVE + N_DICTATED:
            kind = "reflective"
            failed = list(tokenizer(" 1 + 1 = 3." + HINT, add_special_tokens=False)["input_ids"])
            ri, m = failed + ri, [1.0] * len(failed) + m
            recorded = [math.nan] * len(failed) + recorded
        rows.append(
            {
                "sample_id": f"s{i}",
                "query_id": f"q{i}",
                "kind": kind,
                "prompt_token_ids": pi,
                "response_token_ids": ri,
                "loss_mask": [int(x) for x in m],
                "behavior_logprobs": recorded,
                "advantage": rng.choice([-1.0, 1.0]),
                "weight": 1.0,
                "rescore": rescore,
            }
        )
    return rows


SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("query_id", pa.string()),
        ("kind", pa.string()),
        ("prompt_token_ids", pa.list_(pa.int32())),
        ("response_token_ids", pa.list_(pa.int32())),
        ("loss_mask", pa.list_(pa.int8())),
        ("behavior_logprobs", pa.list_(pa.float32())),
        ("advantage", pa.float32()),
        ("weight", pa.float32()),
        ("rescore", pa.bool_()),
    ]
)


def dataset(name: str, rows: list[dict], drop: tuple[str, ...] = ()) -> dict:
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    return write_dataset(name, table.drop_columns(list(drop)), "train")


def first_loss_token(row: dict) -> int:
    return next(k for k, m in enumerate(row["loss_mask"]) if m)


@pytest.fixture(scope="module")
def rows(tokenizer, ckpt_a: Path) -> list[dict]:
    return build_rows(tokenizer, ckpt_a)


def run(ref: dict, ckpt: Path, **params) -> dict:
    return run_behavior_logprobs({"policy": {"uri": str(ckpt)}, "train": ref, "device": "cpu", **params})


def ratios(table: pa.Table, ckpt: Path) -> list[torch.Tensor]:
    """rho = exp(log pi_theta - log mu) per loss token of each row, at step 0, as the trainer computes it
    (train_examples -> collate -> sequence_logprobs in train mode; NaN behaviour -> ratio 1 as in loss.py)."""
    model, _ = load_policy(ckpt, "cpu", "float32")
    model.train()
    out = []
    for e in train_examples(table, int(model.config.vocab_size), "t"):
        b = collate([e], 0)
        with torch.no_grad():
            logp = sequence_logprobs(model, b.input_ids, b.attention_mask)
        behavior = torch.where(torch.isnan(b.behavior), logp, b.behavior)
        out.append(torch.exp(logp - behavior)[b.mask > 0])
    return out


def test_rescored_rows_start_the_update_on_policy(rows: list[dict], ckpt_a: Path, tmp_path: Path) -> None:
    ref = dataset("behavior-all", rows)
    before = ratios(read_dataset(ref), ckpt_a)
    changed = [i for i, r in enumerate(rows) if r["rescore"]]
    # The recorded log-probs of changed rows belong to another context: their ratio is off 1.
    assert max(float((before[i] - 1).abs().max()) for i in changed) > 1e-3

    out = run(ref, ckpt_a, micro_batch_size=3)
    table = read_dataset(out["dataset"])
    assert out["dataset"]["rows"] == len(rows) and out["dataset"]["kind"] == "train"
    after = ratios(table, ckpt_a)
    for i in changed:
        assert float((after[i] - 1).abs().max()) <= 1e-5, rows[i]["sample_id"]
    # The trainer's own loop, one step over every row: PPO's clip at epsilon 1e-5 counts every loss token
    # whose step-0 ratio is off 1 by more than 1e-5 (mixed lengths, padded micro-batches).
    model, _ = load_policy(ckpt_a, "cpu", "float32")
    examples = train_examples(table, int(model.config.vocab_size), "t")
    hyper = {
        "device": "cpu",
        "dtype": "auto",
        "epochs": 1,
        "max_steps": 1,
        "batch_size": 4,
        "grad_accum": 5,
        "warmup_ratio": 0,
        "weight_decay": 0,
        "beta1": 0.9,
        "beta2": 0.999,
        "loss_reduction": "sample_mean",
        "grad_clip": 1,
        "lr": 1e-6,
        "seed": 0,
        "checkpoint_every": 50,
        "ratio_clip": "ppo",
        "ratio_upper": 1.2,
        "ppo_epsilon": 1e-5,
    }
    result = train(model, examples, hyper, "update", tmp_path, 0)
    assert result.clipped_fraction == 0.0 and abs(result.mean_ratio - 1) <= 1e-6

    # The input's recorded values stay beside the new ones; everything else is the input's.
    assert (
        table.column("sampler_logprobs").to_pylist()[0]
        == read_dataset(ref).column("behavior_logprobs").to_pylist()[0]
    )
    assert table.column("sample_id").to_pylist() == [r["sample_id"] for r in rows]
    m = out["metrics"]
    assert (m["rows"], m["changed_rows"], m["rescored_rows"], m["rescore_column"]) == (20, 10, 20, True)
    assert m["drift_rows"] == N_NATIVE and m["drift_max_abs"] < 1e-5 and m["drift_share_above"] == 0
    assert m["changed_first_ratio_median"] is not None and m["changed_mean_abs"] > 1e-4

    again = run(ref, ckpt_a)
    assert again["dataset"] == out["dataset"] and again["metrics"] == {**m, "cached": True}


def test_heartbeats_report_rows(rows: list[dict], ckpt_a: Path) -> None:
    beats: list[dict] = []
    out = run_behavior_logprobs(
        {
            "policy": {"uri": str(ckpt_a)},
            "train": dataset("behavior-beats", rows[:7]),
            "device": "cpu",
            "micro_batch_size": 3,
        },
        beats.append,
    )
    assert out["metrics"]["cached"] is False
    assert [(b["rows"], b["total_rows"]) for b in beats] == [(3, 7), (6, 7), (7, 7)]


def perturbed(rows: list[dict], deltas: dict[int, tuple[int, float]]) -> list[dict]:
    """A copy with deltas[row] = (loss-token ordinal, nats) added to the recorded log-prob there."""
    out = [dict(r, behavior_logprobs=list(r["behavior_logprobs"])) for r in rows]
    for i, (nth, delta) in deltas.items():
        k = [j for j, m in enumerate(out[i]["loss_mask"]) if m][nth]
        out[i]["behavior_logprobs"][k] = out[i]["behavior_logprobs"][k] - delta
    return out


def native_loss_tokens(rows: list[dict]) -> int:
    return sum(sum(1 for m in r["loss_mask"] if m) for r in rows if not r["rescore"])


def test_drift_record_of_perturbed_sampler_logprobs(rows: list[dict], ckpt_a: Path) -> None:
    # Row 1's first loss token off by 2 nats (above the 0.5 threshold), row 3's third by 0.25 (below);
    # every other recorded value is exact (float32 CPU: the sampler and trainer agree to ~1e-6). So by
    # hand: max 2, mean (2 + 0.25) / N, share above 1 / N, worst row 1 at its first loss token.
    n = native_loss_tokens(rows)
    assert 1 / n <= 0.02  # below the default limit: the node succeeds
    out = run(dataset("behavior-drift", perturbed(rows, {1: (0, 2.0), 3: (2, -0.25)})), ckpt_a)
    m = out["metrics"]
    assert m["drift_tokens"] == n and m["drift_rows"] == N_NATIVE
    assert m["drift_max_abs"] == pytest.approx(2.0, abs=1e-5)
    assert m["drift_mean_abs"] == pytest.approx(2.25 / n, abs=1e-5)
    assert m["drift_share_above"] == pytest.approx(1 / n)
    assert (m["drift_worst_query_id"], m["drift_worst_sample_id"]) == ("q1", "s1")
    assert m["drift_worst_token"] == first_loss_token(rows[1])
    assert (m["drift_threshold"], m["drift_limit"]) == (0.5, 0.02)

    # Option: unchanged rows keep the sampler's values (the ratio then corrects the drift), changed
    # rows are rescored.
    kept = run(
        dataset("behavior-drift", perturbed(rows, {1: (0, 2.0), 3: (2, -0.25)})),
        ckpt_a,
        rescore_rows="changed",
    )
    table = read_dataset(kept["dataset"])
    behavior = table.column("behavior_logprobs").to_pylist()
    recorded = table.column("sampler_logprobs").to_pylist()
    rescored = table.column("rescored_logprobs").to_pylist()
    assert behavior[1] == recorded[1] and behavior[1] != rescored[1]
    assert behavior[N_NATIVE] == rescored[N_NATIVE]
    assert kept["metrics"]["rescored_rows"] == 10 and kept["metrics"]["drift_max_abs"] == m["drift_max_abs"]
    again = run(
        dataset("behavior-drift", perturbed(rows, {1: (0, 2.0), 3: (2, -0.25)})),
        ckpt_a,
        rescore_rows="changed",
    )
    assert again["metrics"] == {**kept["metrics"], "cached": True}


def test_drift_above_the_limit_fails_naming_the_worst_query(
    rows: list[dict], ckpt_a: Path, store: Path
) -> None:
    # Every native row's second loss token off by 1 nat, row 6's by 3: share 10 / N > 2%, worst q6.
    deltas = {i: (1, 3.0 if i == 6 else 1.0) for i in range(N_NATIVE)}
    assert N_NATIVE / native_loss_tokens(rows) > 0.02
    ref = dataset("behavior-limit", perturbed(rows, deltas))
    entries = sorted(p.name for p in (store / "train").iterdir())
    with pytest.raises(ApplicationError) as err:
        run(ref, ckpt_a)
    msg = str(err.value)
    k = [j for j, m in enumerate(rows[6]["loss_mask"]) if m][1]
    assert err.value.non_retryable and err.value.type == "BehaviorDrift"
    assert "query_id q6" in msg and "sample_id s6" in msg and f"response token {k}" in msg
    assert "drift_limit" in msg and ref["uri"] in msg
    assert sorted(p.name for p in (store / "train").iterdir()) == entries  # nothing written
    # A looser limit lets the same set through.
    assert run(ref, ckpt_a, drift_limit=1)["metrics"]["drift_share_above"] > 0.02


def test_without_the_rescore_column_every_row_is_rescored(rows: list[dict], ckpt_a: Path) -> None:
    out = run(dataset("behavior-no-flag", rows, drop=("rescore",)), ckpt_a)
    m = out["metrics"]
    assert (m["changed_rows"], m["rescore_column"], m["drift_rows"], m["drift_tokens"]) == (20, False, 0, 0)
    assert m["drift_mean_abs"] is None and m["drift_worst_query_id"] is None
    after = ratios(read_dataset(out["dataset"]), ckpt_a)
    assert max(float((r - 1).abs().max()) for r in after) <= 1e-5


@pytest.mark.parametrize("column", ["prompt_token_ids", "response_token_ids"])
def test_a_train_set_without_token_ids_cannot_be_rescored(
    rows: list[dict], ckpt_a: Path, column: str
) -> None:
    ref = dataset(f"behavior-no-{column}", rows, drop=(column,))
    with pytest.raises(ApplicationError) as err:
        run(ref, ckpt_a)
    assert err.value.non_retryable and err.value.type == "BadDataset"
    assert ref["uri"] in str(err.value) and f"lacks column {column}" in str(err.value)


def test_null_token_ids_name_the_row(rows: list[dict], ckpt_a: Path) -> None:
    bad = [dict(r) for r in rows]
    bad[4]["response_token_ids"] = None
    ref = dataset("behavior-null", bad)
    with pytest.raises(ApplicationError) as err:
        run(ref, ckpt_a)
    assert err.value.non_retryable and "sample_id s4" in str(err.value)
    assert "response_token_ids is null" in str(err.value) and ref["uri"] in str(err.value)


def test_loss_stats_see_ratio_one_on_rescored_rows(rows: list[dict], ckpt_a: Path) -> None:
    """The same claim through offpolicy_loss's own statistics: mean ratio 1, nothing clipped."""
    table = read_dataset(run(dataset("behavior-all", rows), ckpt_a)["dataset"])
    model, _ = load_policy(ckpt_a, "cpu", "float32")
    model.train()
    stats = LossStats()
    examples = train_examples(table, int(model.config.vocab_size), "t")
    batch = collate(examples, 0)
    with torch.no_grad():
        logp = sequence_logprobs(model, batch.input_ids, batch.attention_mask)
        offpolicy_loss(logp, batch.behavior, batch.mask, batch.coef, 1.0, "ppo", 1.2, 1e-5, stats)
    assert stats.clipped == 0 and stats.tokens > 0


def test_the_embedded_samplers_logprobs_agree_with_the_trainers(tokenizer, ckpt_a: Path) -> None:
    """The drift record of real samples: the embedded engine (KV cache, batched, top-p 0.95 at
    temperature 1, float32 CPU) records log-probs the starting policy recomputes to ~1e-6."""
    from autocode_gpu.engine import Engine, SamplingParams, Sequence

    engine = Engine(ckpt_a, "cpu", "float32", max_batch_size=4)
    try:
        prompts = [list(tokenizer(f"User: What is {a} + 3?\nAssistant:")["input_ids"]) for a in range(11, 17)]
        params = SamplingParams(max_tokens=24, temperature=1.0, top_p=0.95, logprobs=0, seed=7)
        seqs = engine.generate([Sequence(p, params) for p in prompts], timeout=120)
    finally:
        engine.close()
    rows = [
        {
            "sample_id": f"n{i}",
            "query_id": f"q{i}",
            "kind": "exploratory",
            "prompt_token_ids": s.prompt_ids,
            "response_token_ids": s.token_ids,
            "loss_mask": [1] * len(s.token_ids),
            "behavior_logprobs": s.token_logprobs,
            "advantage": 1.0,
            "weight": 1.0,
            "rescore": False,
        }
        for i, s in enumerate(seqs)
    ]
    m = run(dataset("behavior-engine", rows), ckpt_a)["metrics"]
    assert m["drift_tokens"] == sum(len(s.token_ids) for s in seqs) > 50
    assert m["drift_max_abs"] < 1e-4 and m["drift_share_above"] == 0, m
    print(f"embedded sampler vs trainer: mean {m['drift_mean_abs']:.2e}, max {m['drift_max_abs']:.2e}")


def test_the_activity_heartbeats_and_returns_its_wire_type(rows: list[dict], ckpt_a: Path) -> None:
    """Under the SDK's activity environment: a NodeRequest in, heartbeats per micro-batch, a NodeResult
    out whose metrics passed BehaviorLogprobsOutput (strict: every metric named in schemas/behavior.ts)."""
    from temporalio.testing import ActivityEnvironment

    from autocode_gpu.policy_activities import behavior_logprobs

    env = ActivityEnvironment()
    beats: list[dict] = []
    env.on_heartbeat = lambda *d: beats.append(d[0])
    train = dataset("behavior-activity", rows[::2])
    req = node_request("behavior_logprobs", {"device": "cpu", "micro_batch_size": 4}, train, ckpt_a)
    out = env.run(behavior_logprobs, req)
    assert [b["rows"] for b in beats] == [4, 8, 10] and out["metrics"]["rows"] == 10
    assert out["output"] == "train" and out["dataset"]["kind"] == "train" and out["cached"] is False
    again = ActivityEnvironment().run(behavior_logprobs, {**req, "params": {"device": "cpu"}})
    assert again["cached"] is True and again["metrics"]["cached"] is True
    assert again["dataset"] == out["dataset"]
