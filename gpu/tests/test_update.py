"""policy_logprobs and policy_update end to end on the store: outputs, caching, bad input."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
import torch
from conftest import demonstrations, make_checkpoint, write_dataset
from temporalio.exceptions import ApplicationError

from autocode_gpu.checkpoint import load_policy
from autocode_gpu.demos import encode_demonstration
from autocode_gpu.examples import Example, collate
from autocode_gpu.loss import sequence_logprobs
from autocode_gpu.paths import local_path
from autocode_gpu.policy import run_logprobs, run_update
from autocode_gpu.store import read_dataset

HYPER = {"device": "cpu", "batch_size": 4, "grad_accum": 2, "lr": 1e-3, "max_length": 128}


def train_table(tokenizer, n: int, seed: int = 0) -> pa.Table:
    """A train set as the synthesize step writes it, without behaviour log-probs."""
    demos = demonstrations(n, seed)
    rng = random.Random(seed)
    cols: dict[str, list] = {
        k: [] for k in ("sample_id", "prompt_token_ids", "response_token_ids", "loss_mask")
    }
    for i, (p, r) in enumerate(zip(demos["prompt"].to_pylist(), demos["response"].to_pylist(), strict=True)):
        pi, ri, m = encode_demonstration(tokenizer, p, r)
        cols["sample_id"].append(f"s{i}")
        cols["prompt_token_ids"].append(pi)
        cols["response_token_ids"].append(ri)
        cols["loss_mask"].append([int(x) for x in m])
    cols["advantage"] = [rng.choice([-1.0, 1.0]) for _ in range(n)]
    cols["weight"] = [1.0] * n
    return pa.table(cols)


@pytest.fixture(scope="module")
def train_ref(tokenizer, ckpt_a: Path, store: Path) -> dict:
    raw = write_dataset("raw", train_table(tokenizer, 24), "train")
    out = run_logprobs(
        {"policy": {"uri": str(ckpt_a)}, "dataset": raw, "device": "cpu", "micro_batch_size": 5}
    )
    return out["dataset"]


def test_logprobs_fill_the_dataset_with_the_policys_log_probs(
    train_ref: dict, ckpt_a: Path, store: Path
) -> None:
    table = read_dataset(train_ref)
    assert train_ref["rows"] == 24 and train_ref["kind"] == "train"
    assert local_path(train_ref["uri"]).parent == store / "train"
    model, _ = load_policy(ckpt_a, "cpu", "float32")
    row = table.slice(3, 1).to_pylist()[0]
    e = Example(row["prompt_token_ids"], row["response_token_ids"], row["loss_mask"], None, 1.0)
    batch = collate([e], 0)
    with torch.no_grad():
        logp = sequence_logprobs(model, batch.input_ids, batch.attention_mask)[0]
    start = len(e.prompt_ids) - 1
    want = logp[start : start + len(e.response_ids)]
    assert torch.allclose(torch.tensor(row["behavior_logprobs"]), want, atol=1e-4)
    assert table.column("sample_id").to_pylist() == [f"s{i}" for i in range(24)]


def test_update_writes_a_loadable_checkpoint_and_is_cached(train_ref: dict, ckpt_a: Path) -> None:
    beats: list[dict] = []
    req = {"policy": {"uri": str(ckpt_a)}, "train": train_ref, "hyper": {**HYPER, "epochs": 2}}
    out = run_update(req, beats.append)
    m = out["metrics"]
    assert m["steps"] == 6 and m["cached"] is False and m["resumed_from_step"] == 0
    assert [b["step"] for b in beats] == [1, 2, 3, 4, 5, 6]
    assert all(b["tokens_per_s"] > 0 and "loss" in b for b in beats)
    # Behaviour log-probs came from the starting policy: the first step is on-policy (ratio 1).
    assert 0.8 < m["mean_ratio"] < 1.25
    ck = local_path(out["checkpoint"]["uri"])
    manifest = json.loads((ck / "_manifest.json").read_text())
    assert manifest["kind"] == "checkpoints" and manifest["key"] == out["checkpoint"]["key"] == ck.name
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {f["path"] for f in manifest["files"]}
    new, _ = load_policy(ck, "cpu", "float32")
    old, _ = load_policy(ckpt_a, "cpu", "float32")
    assert not torch.equal(new.model.embed_tokens.weight, old.model.embed_tokens.weight)
    again = run_update(req)
    assert again["metrics"]["cached"] is True and again["checkpoint"] == out["checkpoint"]


def test_update_refuses_a_train_set_without_behaviour_logprobs(tokenizer, ckpt_a: Path, store: Path) -> None:
    ref = write_dataset("no-logprobs", train_table(tokenizer, 4), "train")
    with pytest.raises(ApplicationError) as err:
        run_update({"policy": {"uri": str(ckpt_a)}, "train": ref, "hyper": HYPER})
    assert (
        err.value.non_retryable
        and "behavior_logprobs" in str(err.value)
        and "policy_logprobs" in str(err.value)
    )


def test_update_refuses_token_ids_outside_the_vocabulary(train_ref: dict, ckpt_a: Path, store: Path) -> None:
    table = read_dataset(train_ref)
    rows = table.to_pylist()
    rows[2]["response_token_ids"][1] = 5000
    ref = write_dataset("oov", pa.Table.from_pylist(rows, schema=table.schema), "train")
    with pytest.raises(ApplicationError) as err:
        run_update({"policy": {"uri": str(ckpt_a)}, "train": ref, "hyper": HYPER})
    assert err.value.non_retryable
    assert "sample_id s2" in str(err.value) and "5000" in str(err.value) and "vocabulary" in str(err.value)


def test_update_refuses_half_written_and_unloadable_checkpoints(
    train_ref: dict, ckpt_a: Path, store: Path, tokenizer
) -> None:
    half = store / "checkpoints" / "half"
    shutil.copytree(ckpt_a, half)
    (half / "_manifest.json").unlink()
    with pytest.raises(ApplicationError) as err:
        run_update({"policy": {"uri": str(half)}, "train": train_ref, "hyper": HYPER})
    assert err.value.non_retryable and "half-written" in str(err.value)

    torn = make_checkpoint(tokenizer, "torn", seed=3)
    weights = torn / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ApplicationError) as err:
        run_update({"policy": {"uri": str(torn)}, "train": train_ref, "hyper": HYPER})
    assert err.value.non_retryable and "model.safetensors" in str(err.value)

    outside = store.parent / "outside-ckpt"
    shutil.copytree(ckpt_a, outside)
    (outside / "_manifest.json").unlink()
    (outside / "config.json").write_text("{ not json")
    with pytest.raises(ApplicationError) as err:
        run_update({"policy": {"uri": str(outside)}, "train": train_ref, "hyper": HYPER})
    assert err.value.non_retryable and "does not load" in str(err.value)
