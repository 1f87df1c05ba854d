"""Behaviour log-probs of the exact training context (the ``behavior_logprobs`` node), and the drift record.

A train row's recorded log-probs come from the context it was sampled in. A dictated rollout
trained on the no-hint prompt, or the correct part of a reflective sample (after a failed attempt
and a hint), is trained in another context, so its importance ratio would be wrong exactly on the
method-choosing tokens. The authors rescore every training pair with the iteration's starting
model, so the ratio is 1 at the start of each update; this job does that and writes a new train set.

Rows whose context did not change (train column ``rescore`` false) are scored too: comparing the
sampler's recorded log-probs with the recomputed ones on their loss tokens is the validated
behaviour record (mean / max |difference|, share above a threshold). More than ``drift_limit`` of
the tokens above ``drift_threshold`` fails the node non-retryably, naming the worst query and token:
sampler and trainer disagree (vLLM/trainer numerics, top-p renormalised log-probs, another template).

The output keeps the input's columns; ``behavior_logprobs`` holds what the update uses, and
``sampler_logprobs`` what the input recorded (``rescored_logprobs`` too when rows keep the sampler's),
so a cache hit recomputes the record from the entry alone.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .checkpoint import load_policy, resolve_device, resolve_dtype
from .errors import bad_dataset, bad_input
from .examples import Example
from .inputs import Guard, Progress, checkpoint_identity, dataset_ref, quiet
from .scoring import publish, score, set_column
from .store import content_key, lookup, read_dataset, read_manifest
from .wire import with_defaults

VERSION = "1"  # bump when an output would change for the same inputs
NEEDED = ("prompt_token_ids", "response_token_ids", "loss_mask")
SAMPLER, RESCORED = "sampler_logprobs", "rescored_logprobs"
FLOATS = pa.list_(pa.float32())


def _flat(table: pa.Table, name: str) -> np.ndarray:
    """A list column's values, concatenated, as float64 (null lists and items as NaN)."""
    col = table.column(name).combine_chunks()
    if col.null_count:
        raise bad_dataset(f"column {name} has null rows")
    return np.asarray(pc.list_flatten(col).to_numpy(zero_copy_only=False), dtype=np.float64)


def _row_label(table: pa.Table, i: int) -> str:
    ids = [f"{c} {table.column(c)[i].as_py()}" for c in ("query_id", "sample_id") if c in table.column_names]
    return f"row {i}" + (f" ({', '.join(ids)})" if ids else "")


def _examples(table: pa.Table, uri: str, vocab: int, limit: int) -> list[Example]:
    """The rows as scoring examples, checked; responses past the model's positions are left unscored."""
    for col in NEEDED:
        if col not in table.column_names:
            raise bad_dataset(
                f"train dataset {uri} lacks column {col}: behaviour log-probs are recomputed on the "
                "exact training tokens (prompt_token_ids + response_token_ids, loss on loss_mask)"
            )
    cols = {c: table.column(c).to_pylist() for c in NEEDED}
    out = []
    for i in range(table.num_rows):
        p, r, m = (cols[c][i] for c in NEEDED)
        where = f"train dataset {uri} {_row_label(table, i)}"
        for name, ids in (("prompt_token_ids", p), ("response_token_ids", r)):
            if ids is None:
                raise bad_dataset(f"{where}: column {name} is null")
            bad = [t for t in ids if t is None or t < 0 or t >= vocab]
            if bad:
                raise bad_dataset(
                    f"{where}: {name} has token id {bad[0]}, outside the vocabulary (size {vocab})"
                )
        if m is None or len(m) != len(r):
            raise bad_dataset(f"{where}: loss_mask is null or not one per response token")
        if not p or len(p) >= limit:
            raise bad_dataset(f"{where}: prompt_token_ids is empty or fills the model's {limit} positions")
        room = limit - len(p)
        out.append(Example(list(p), list(r[:room]), [1.0] * min(room, len(r)), None, 1.0))
    return out


def _recorded(table: pa.Table, uri: str) -> np.ndarray:
    """The input's behaviour log-probs, flat; NaN everywhere when it has none."""
    lengths = pc.list_value_length(table.column("response_token_ids").combine_chunks())
    total = int(pc.sum(lengths).as_py() or 0)
    if "behavior_logprobs" not in table.column_names:
        return np.full(total, np.nan)
    got = pc.list_value_length(table.column("behavior_logprobs").combine_chunks())
    same = pc.equal(pc.fill_null(got, -1), lengths).to_numpy(zero_copy_only=False)
    if not same.all():
        i = int(np.flatnonzero(~same)[0])
        raise bad_dataset(
            f"train dataset {uri} {_row_label(table, i)}: behavior_logprobs is null or not one per "
            "response token"
        )
    return _flat(table, "behavior_logprobs")


def _changed(table: pa.Table) -> tuple[np.ndarray, bool]:
    """Per row: is its training context other than the sampled one? Without the column, every row is."""
    if "rescore" not in table.column_names:
        return np.ones(table.num_rows, dtype=bool), False
    flags = table.column("rescore").to_pylist()
    return np.array([f is None or bool(f) for f in flags], dtype=bool), True


def drift_record(
    table: pa.Table,
    recorded: np.ndarray,
    rescored: np.ndarray,
    changed: np.ndarray,
    threshold: float,
) -> dict[str, Any]:
    """Sampler vs recomputed log-probs on loss tokens (flat arrays aligned with response_token_ids):
    the drift of unchanged rows, and how far the recorded values were off on changed ones."""
    lengths = pc.list_value_length(table.column("response_token_ids").combine_chunks()).to_numpy(
        zero_copy_only=False
    )
    lengths = np.asarray(lengths, dtype=np.int64)
    row = np.repeat(np.arange(table.num_rows), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lengths) else np.zeros(0, np.int64)
    pos = np.arange(len(row)) - np.repeat(starts, lengths)
    loss = _flat(table, "loss_mask") > 0
    valid = loss & ~np.isnan(recorded) & ~np.isnan(rescored)
    diff = np.abs(recorded - rescored)
    on_changed = changed[row] if len(row) else np.zeros(0, dtype=bool)
    drift = valid & ~on_changed
    shifted = valid & on_changed
    out: dict[str, Any] = {
        "drift_rows": int((~changed).sum()),
        "drift_tokens": int(drift.sum()),
        "drift_mean_abs": None,
        "drift_max_abs": None,
        "drift_share_above": None,
        "drift_worst_query_id": None,
        "drift_worst_sample_id": None,
        "drift_worst_token": None,
        "changed_tokens": int(shifted.sum()),
        "changed_mean_abs": float(diff[shifted].mean()) if shifted.any() else None,
        "changed_first_ratio_median": None,
    }
    if drift.any():
        d = diff[drift]
        worst = int(np.flatnonzero(drift)[int(np.argmax(d))])
        r = int(row[worst])

        def cell(c: str) -> str | None:
            return str(table.column(c)[r].as_py()) if c in table.column_names else None

        out.update(
            drift_mean_abs=float(d.mean()),
            drift_max_abs=float(d.max()),
            drift_share_above=float((d > threshold).mean()),
            drift_worst_query_id=cell("query_id"),
            drift_worst_sample_id=cell("sample_id"),
            drift_worst_token=int(pos[worst]),
        )
        out["_worst"] = (r, int(pos[worst]), float(recorded[worst]), float(rescored[worst]))
    if shifted.any():
        idx = np.flatnonzero(shifted)
        _, first = np.unique(row[idx], return_index=True)
        at = idx[first]
        out["changed_first_ratio_median"] = float(np.median(np.exp(rescored[at] - recorded[at])))
    return out


def _check_limit(record: dict[str, Any], table: pa.Table, uri: str, threshold: float, limit: float) -> None:
    share = record["drift_share_above"]
    if share is None or share <= limit:
        return
    r, k, rec, new = record["_worst"]
    raise bad_input(
        f"behaviour log-probs of train dataset {uri}: {share:.2%} of the {record['drift_tokens']} loss "
        f"tokens of rows with an unchanged context differ from the starting policy's by more than "
        f"{threshold} nats (drift_limit {limit:.2%}); worst: {_row_label(table, r)} response token {k} "
        f"(sampler {rec:.4f}, recomputed {new:.4f}): the sampler and the trainer disagree",
        type="BehaviorDrift",
    )


def _lists(flat: np.ndarray, table: pa.Table) -> pa.Array:
    offsets = table.column("response_token_ids").combine_chunks().offsets
    offsets = pc.subtract(offsets, offsets[0])
    return pa.ListArray.from_arrays(offsets, pa.array(flat, type=pa.float32()))


def _metrics(table: pa.Table, changed: np.ndarray, has_column: bool, rescored_rows: int, record, req):
    m = {k: v for k, v in record.items() if not k.startswith("_")}
    return {
        "rows": table.num_rows,
        "changed_rows": int(changed.sum()),
        "rescored_rows": rescored_rows,
        "rescore_column": has_column,
        **m,
        "drift_threshold": req["drift_threshold"],
        "drift_limit": req["drift_limit"],
    }


def run_behavior_logprobs(
    payload: dict[str, Any], progress: Progress = quiet, guard: Guard = contextlib.nullcontext
) -> dict[str, Any]:
    req = with_defaults("BehaviorLogprobsInput", payload)
    train_ref = dataset_ref(req["train"], "train dataset")
    uri = train_ref["uri"]
    policy_dir, policy_id = checkpoint_identity(req["policy"])
    device = resolve_device(req["device"])
    amp = resolve_dtype(req["dtype"], device)
    inputs = {"train": train_ref, "policy": policy_id}
    # The numerics are part of the address: bf16 on CUDA and float32 on CPU give different values.
    params = {"rescore_rows": req["rescore_rows"], "numerics": f"{device.split(':')[0]}/{amp}"}
    kind = train_ref["kind"]
    key = content_key("behavior_logprobs", VERSION, params, inputs)
    threshold, limit = float(req["drift_threshold"]), float(req["drift_limit"])

    found = lookup(kind, key)
    if found is not None:
        table = read_dataset(found)
        changed, has_column = _changed(table)
        recorded = _flat(table, SAMPLER)
        rescored = _flat(table, RESCORED if RESCORED in table.column_names else "behavior_logprobs")
        record = drift_record(table, recorded, rescored, changed, threshold)
        _check_limit(record, table, found["uri"], threshold, limit)
        kept = int((~changed).sum()) if req["rescore_rows"] == "changed" else 0
        metrics = _metrics(table, changed, has_column, table.num_rows - kept, record, req)
        return {"dataset": found, "metrics": {**metrics, "cached": True}}

    table = read_dataset(train_ref)
    # The trainer's numerics: float32 weights, autocast to the update's dtype on CUDA.
    model, tok = load_policy(policy_dir, device, "float32")
    vocab, positions = int(model.config.vocab_size), int(model.config.max_position_embeddings)
    examples = _examples(table, uri, vocab, positions)
    recorded = _recorded(table, uri)
    changed, has_column = _changed(table)
    scores = score(model, examples, tok.pad_token_id or 0, req["micro_batch_size"], progress, amp)
    lengths = [len(r) for r in table.column("response_token_ids").to_pylist()]
    # Past the model's positions nothing is scored (the update truncates there): NaN, ratio 1.
    rows = [
        np.concatenate([s, np.full(n - len(s), np.nan, np.float32)])
        for s, n in zip(scores, lengths, strict=True)
    ]
    rescored = np.concatenate(rows).astype(np.float64) if rows else np.zeros(0)
    record = drift_record(table, recorded, rescored, changed, threshold)
    _check_limit(record, table, uri, threshold, limit)  # before anything is written

    keep = ~changed if req["rescore_rows"] == "changed" else np.zeros(len(changed), dtype=bool)
    token_keep = np.repeat(keep, lengths) if lengths else np.zeros(0, dtype=bool)
    behavior = np.where(token_keep, recorded, rescored)
    out = set_column(table, SAMPLER, _lists(recorded, table))
    if keep.any():
        out = set_column(out, RESCORED, _lists(rescored, table))
    out = set_column(out, "behavior_logprobs", _lists(behavior, table))
    manifest = read_manifest(train_ref["uri"]) or {}
    ref = publish(
        out,
        kind,
        key,
        schema_version=int(manifest.get("schema_version", 1)),
        producer={"activity": "behavior_logprobs", "version": VERSION},
        params=params,
        inputs=inputs,
        guard=guard,
    )
    metrics = _metrics(table, changed, has_column, table.num_rows - int(keep.sum()), record, req)
    return {"dataset": ref, "metrics": {**metrics, "cached": False}}
