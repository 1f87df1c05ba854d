"""The policy's jobs, callable without Temporal: bootstrap SFT, off-policy update, log-probs for a dataset.

Each takes the validated wire input (schemas/policy.ts), computes the content address of its output,
returns the finished output when it is already in the store, and otherwise trains from the last step
checkpoint in ``<store>/_work/<key>/``. Outputs are written atomically, the manifest last.
``policy_activities.py`` wraps these as Temporal activities (the update through ``nodes.py``);
``python -m autocode_gpu.jobs`` runs them alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from .checkpoint import load_policy, load_tokenizer, resolve_device, resolve_dtype
from .errors import bad_dataset
from .examples import demo_examples, demo_texts, train_examples, truncate
from .inputs import Guard, Progress, checkpoint_identity, dataset_ref, quiet
from .paths import local_path, work_root
from .store import content_key, entry_dir, lookup, read_dataset, read_manifest
from .trainer import TrainResult, train
from .wire import with_defaults

VERSION = "1"  # bump when an output would change for the same inputs


def checkpoint_ref(entry: dict[str, Any]) -> dict[str, Any]:
    return {"uri": entry["uri"], "key": entry["key"], "sha256": entry["sha256"]}


def _cached_checkpoint(key: str) -> dict[str, Any] | None:
    found = lookup("checkpoints", key)
    return None if found is None else checkpoint_ref(found)


def _metrics(result: TrainResult | None, examples: int, skipped: int, cached: bool) -> dict[str, Any]:
    if result is None:
        return {
            "steps": 0,
            "resumed_from_step": 0,
            "examples": examples,
            "skipped_examples": skipped,
            "tokens": 0,
            "train_seconds": 0.0,
            "tokens_per_s": 0.0,
            "final_loss": None,
            "mean_ratio": None,
            "clipped_fraction": None,
            "cached": cached,
        }
    return {
        "steps": result.steps,
        "resumed_from_step": result.resumed_from_step,
        "examples": examples,
        "skipped_examples": skipped,
        "tokens": result.tokens,
        "train_seconds": round(result.train_seconds, 3),
        "tokens_per_s": round(result.tokens_per_s, 1),
        "final_loss": result.final_loss,
        "mean_ratio": result.mean_ratio,
        "clipped_fraction": result.clipped_fraction,
        "cached": cached,
    }


def _save_dtype(hyper: dict[str, Any]):
    import torch

    dtype = resolve_dtype(hyper["dtype"], resolve_device(hyper["device"]))
    return None if dtype == torch.float32 else dtype


def _finish(model, tok, key: str, activity_name: str, params, inputs, hyper: dict[str, Any], guard: Guard):
    from .checkpoint import save_checkpoint

    with guard():
        entry = save_checkpoint(
            model,
            tok,
            entry_dir("checkpoints", key),
            producer={"activity": activity_name, "version": VERSION},
            params=params,
            inputs=inputs,
            save_dtype=_save_dtype(hyper),
        )
    shutil.rmtree(work_root() / key, ignore_errors=True)
    return checkpoint_ref(entry)


def _tiny_tokenizer(work: Path, texts: list[str], vocab_size: int):
    """Trained once per run and kept in the work directory, so a resumed run uses the same vocabulary."""
    from .tiny import train_tokenizer

    saved = work / "tokenizer"
    if (saved / "tokenizer.json").exists():
        return load_tokenizer(saved)
    tok = train_tokenizer(texts, vocab_size)
    tmp = work / f".tokenizer.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tok.save_pretrained(str(tmp))
    shutil.rmtree(saved, ignore_errors=True)
    try:
        os.replace(tmp, saved)
    except OSError:  # another rank (or attempt) saved it first: the same vocabulary
        shutil.rmtree(tmp, ignore_errors=True)
    return tok


def run_sft(payload: dict[str, Any], progress: Progress = quiet, guard: Guard = contextlib.nullcontext):
    req = with_defaults("PolicySftInput", payload)
    hyper = req["hyper"]
    demos = dataset_ref(req["demonstrations"], "demonstrations")
    inputs: dict[str, dict[str, Any]] = {"demonstrations": demos}
    base = req.get("base_policy")
    params: dict[str, Any] = {"hyper": hyper}
    if base is not None:
        base_dir, inputs["policy"] = checkpoint_identity(base)
    else:
        params["tiny"] = req["tiny"]
    key = content_key("policy_sft", VERSION, params, inputs)
    cached = _cached_checkpoint(key)
    if cached is not None:
        return {"checkpoint": cached, "metrics": _metrics(None, 0, 0, True)}
    table = read_dataset(demos)
    work = work_root() / key
    work.mkdir(parents=True, exist_ok=True)
    if base is not None:
        model, tok = load_policy(base_dir, device="cpu", dtype="float32")
    else:
        from .tiny import tiny_model

        if "prompt" not in table.column_names or "response" not in table.column_names:
            raise bad_dataset(f"demonstrations {demos['uri']} lack column(s) prompt/response")
        tok = _tiny_tokenizer(work, demo_texts(table), req["tiny"]["vocab_size"])
        model = tiny_model(tok, req["tiny"], seed=hyper["seed"])
    examples = demo_examples(table, tok, demos["uri"])
    limit = min(hyper["max_length"], int(model.config.max_position_embeddings))
    examples, skipped = truncate(examples, limit)
    if not examples:
        raise bad_dataset(
            f"demonstrations {demos['uri']}: no example has a loss-bearing token in {limit} tokens"
        )
    result = train(model, examples, hyper, "sft", work, tok.pad_token_id, progress, guard)
    ref = _finish(model, tok, key, "policy_sft", params, inputs, hyper, guard)
    return {"checkpoint": ref, "metrics": _metrics(result, len(examples), skipped, False)}


def update_hyper(hyper: dict[str, Any], iteration: int) -> dict[str, Any]:
    """The hyper-parameters one update trains with: ``lr_later`` replaces ``lr`` from the second EM
    iteration on (the authors' separate lr for consecutive iterations). Keyed as resolved, so an update
    whose effective settings are the same finds the same checkpoint."""
    out = {k: v for k, v in hyper.items() if k != "lr_later"}
    if iteration >= 2 and hyper.get("lr_later") is not None:
        out["lr"] = hyper["lr_later"]
    return out


def run_update(payload: dict[str, Any], progress: Progress = quiet, guard: Guard = contextlib.nullcontext):
    req = with_defaults("PolicyUpdateInput", payload)
    hyper = update_hyper(req["hyper"], req["iteration"])
    train_ref = dataset_ref(req["train"], "train dataset")
    policy_dir, policy_id = checkpoint_identity(req["policy"])
    inputs = {"train": train_ref, "policy": policy_id}
    params = {"hyper": hyper}
    key = content_key("policy_update", VERSION, params, inputs)
    cached = _cached_checkpoint(key)
    if cached is not None:
        return {"checkpoint": cached, "metrics": _metrics(None, 0, 0, True)}
    table = read_dataset(train_ref)
    model, tok = load_policy(policy_dir, device="cpu", dtype="float32")
    examples = train_examples(table, int(model.config.vocab_size), train_ref["uri"])
    limit = min(hyper["max_length"], int(model.config.max_position_embeddings))
    examples, skipped = truncate(examples, limit)
    if not examples:
        raise bad_dataset(
            f"train dataset {train_ref['uri']}: no sample has a loss-bearing token in {limit} tokens"
        )
    result = train(model, examples, hyper, "update", work_root() / key, tok.pad_token_id, progress, guard)
    ref = _finish(model, tok, key, "policy_update", params, inputs, hyper, guard)
    return {"checkpoint": ref, "metrics": _metrics(result, len(examples), skipped, False)}


def run_logprobs(payload: dict[str, Any], progress: Progress = quiet, guard: Guard = contextlib.nullcontext):
    """Adds (or replaces) ``behavior_logprobs`` under the given policy, as a new dataset of the same kind."""
    import pyarrow as pa

    from .examples import Example
    from .scoring import publish, score, set_column

    req = with_defaults("PolicyLogprobsInput", payload)
    ds = dataset_ref(req["dataset"], "dataset")
    ds_dir = local_path(ds["uri"])
    policy_dir, policy_id = checkpoint_identity(req["policy"])
    kind = ds["kind"]
    inputs = {"dataset": ds, "policy": policy_id}
    params = {"dtype": req["dtype"]}
    key = content_key("policy_logprobs", VERSION, params, inputs)
    found = lookup(kind, key)
    if found is not None:
        return {"dataset": found, "cached": True}
    table = read_dataset(ds)
    for col in ("prompt_token_ids", "response_token_ids"):
        if col not in table.column_names:
            raise bad_dataset(f"dataset {ds_dir} lacks column {col}")
    model, tok = load_policy(policy_dir, req["device"], req["dtype"])
    vocab, limit = int(model.config.vocab_size), int(model.config.max_position_embeddings)
    prompts = table.column("prompt_token_ids").to_pylist()
    responses = table.column("response_token_ids").to_pylist()
    rows: list[Example] = []
    for i, (p, r) in enumerate(zip(prompts, responses, strict=True)):
        for name, ids in (("prompt_token_ids", p), ("response_token_ids", r)):
            if ids is None or any(t is None or t < 0 or t >= vocab for t in ids):
                bad = None if ids is None else next(t for t in ids if t is None or t < 0 or t >= vocab)
                raise bad_dataset(
                    f"dataset {ds_dir} row {i}: {name} has token id {bad}, "
                    f"outside the vocabulary (size {vocab})"
                )
        if not p or len(p) + len(r) > limit:
            raise bad_dataset(
                f"dataset {ds_dir} row {i}: empty prompt or longer than the model's {limit} positions"
            )
        rows.append(Example(list(p), list(r), [1.0] * len(r), None, 1.0))
    scores = score(model, rows, tok.pad_token_id or 0, req["micro_batch_size"], progress)
    values = pa.array([s.tolist() for s in scores], type=pa.list_(pa.float32()))
    table = set_column(table, "behavior_logprobs", values)
    manifest_schema = read_manifest(ds_dir) or {}
    ref = publish(
        table,
        kind,
        key,
        schema_version=int(manifest_schema.get("schema_version", 1)),
        producer={"activity": "policy_logprobs", "version": VERSION},
        params=params,
        inputs=inputs,
        guard=guard,
    )
    return {"dataset": ref, "cached": False}
