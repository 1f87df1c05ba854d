"""The policy's jobs, callable without Temporal: bootstrap SFT, off-policy update, log-probs for a dataset.

Each takes the validated wire input (schemas/policy.ts), computes the content address of its output,
returns the finished output when it is already in the store, and otherwise trains from the last step
checkpoint in ``<store>/_work/<key>/``. Outputs are written atomically, the manifest last.
``activities.py`` wraps these as Temporal activities; ``python -m autocode_gpu.policy`` runs them alone.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .checkpoint import check_checkpoint, load_policy, load_tokenizer, resolve_device, resolve_dtype
from .errors import bad_dataset
from .examples import demo_examples, demo_texts, train_examples, truncate
from .parts import (
    MANIFEST,
    content_key,
    manifest_sha256,
    read_manifest,
    read_table,
    write_manifest,
    write_parts,
)
from .paths import checkpoints_root, local_path, store_root, work_root
from .trainer import TrainResult, train
from .wire import validate, with_defaults

VERSION = 1  # bump when an output would change for the same inputs
Progress = Callable[[dict[str, Any]], None]
Guard = Callable[[], contextlib.AbstractContextManager[Any]]


def _quiet(_: dict[str, Any]) -> None:
    pass


def dataset_sha(ref: dict[str, Any]) -> tuple[Path, str]:
    path = local_path(ref["uri"])
    read_manifest(path)  # a missing or half-written dataset fails here, naming the directory
    return path, ref.get("sha256") or manifest_sha256(path)


def checkpoint_sha(ref: dict[str, Any]) -> tuple[Path, str]:
    path = local_path(ref["uri"])
    manifest = check_checkpoint(path)
    if ref.get("sha256"):
        return path, ref["sha256"]
    if manifest is not None:
        return path, manifest_sha256(path)
    # A checkpoint from outside the store: identified by its files' names, sizes and times.
    listing = sorted(
        (p.name, p.stat().st_size, int(p.stat().st_mtime)) for p in path.iterdir() if p.is_file()
    )
    return path, hashlib.sha256(json.dumps([str(path), listing]).encode()).hexdigest()


def checkpoint_ref(dest: Path, key: str) -> dict[str, Any]:
    return {"uri": str(dest), "key": key, "sha256": manifest_sha256(dest)}


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


def _finish(
    model, tok, dest: Path, key: str, inputs: list[str], params: Any, hyper: dict[str, Any], guard: Guard
):
    from .checkpoint import save_checkpoint

    with guard():
        save_checkpoint(
            model, tok, dest, key=key, inputs=inputs, params=params, save_dtype=_save_dtype(hyper)
        )
    shutil.rmtree(work_root() / key, ignore_errors=True)


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
    os.replace(tmp, saved)
    return tok


def run_sft(payload: dict[str, Any], progress: Progress = _quiet, guard: Guard = contextlib.nullcontext):
    req = with_defaults("PolicySftInput", payload)
    hyper = req["hyper"]
    demo_dir, demo_sha = dataset_sha(req["demonstrations"])
    inputs = [demo_sha]
    base = req.get("base_policy")
    params: dict[str, Any] = {"hyper": hyper}
    if base is not None:
        base_dir, base_sha = checkpoint_sha(base)
        inputs.append(base_sha)
    else:
        params["tiny"] = req["tiny"]
    key = content_key("policy_sft", VERSION, params, inputs)
    dest = checkpoints_root() / key
    table = None
    if (dest / MANIFEST).exists():
        return {"checkpoint": checkpoint_ref(dest, key), "metrics": _metrics(None, 0, 0, True)}
    table = read_table(demo_dir)
    work = work_root() / key
    work.mkdir(parents=True, exist_ok=True)
    if base is not None:
        model, tok = load_policy(base_dir, device="cpu", dtype="float32")
    else:
        from .tiny import tiny_model

        if "prompt" not in table.column_names or "response" not in table.column_names:
            raise bad_dataset(f"demonstrations {demo_dir} lack column(s) prompt/response")
        tok = _tiny_tokenizer(work, demo_texts(table), req["tiny"]["vocab_size"])
        model = tiny_model(tok, req["tiny"], seed=hyper["seed"])
    examples = demo_examples(table, tok, str(demo_dir))
    limit = min(hyper["max_length"], int(model.config.max_position_embeddings))
    examples, skipped = truncate(examples, limit)
    if not examples:
        raise bad_dataset(
            f"demonstrations {demo_dir}: no example has a loss-bearing token within {limit} tokens"
        )
    result = train(model, examples, hyper, "sft", work, tok.pad_token_id, progress, guard)
    _finish(model, tok, dest, key, inputs, params, hyper, guard)
    return {
        "checkpoint": checkpoint_ref(dest, key),
        "metrics": _metrics(result, len(examples), skipped, False),
    }


def run_update(payload: dict[str, Any], progress: Progress = _quiet, guard: Guard = contextlib.nullcontext):
    req = with_defaults("PolicyUpdateInput", payload)
    hyper = req["hyper"]
    train_dir, train_sha = dataset_sha(req["train"])
    policy_dir, policy_sha = checkpoint_sha(req["policy"])
    inputs = [train_sha, policy_sha]
    params = {"hyper": hyper}
    key = content_key("policy_update", VERSION, params, inputs)
    dest = checkpoints_root() / key
    if (dest / MANIFEST).exists():
        return {"checkpoint": checkpoint_ref(dest, key), "metrics": _metrics(None, 0, 0, True)}
    table = read_table(train_dir)
    model, tok = load_policy(policy_dir, device="cpu", dtype="float32")
    examples = train_examples(table, int(model.config.vocab_size), str(train_dir))
    limit = min(hyper["max_length"], int(model.config.max_position_embeddings))
    examples, skipped = truncate(examples, limit)
    if not examples:
        raise bad_dataset(
            f"train dataset {train_dir}: no sample has a loss-bearing token within {limit} tokens"
        )
    result = train(model, examples, hyper, "update", work_root() / key, tok.pad_token_id, progress, guard)
    _finish(model, tok, dest, key, inputs, params, hyper, guard)
    return {
        "checkpoint": checkpoint_ref(dest, key),
        "metrics": _metrics(result, len(examples), skipped, False),
    }


def run_logprobs(payload: dict[str, Any], progress: Progress = _quiet, guard: Guard = contextlib.nullcontext):
    """Adds (or replaces) ``behavior_logprobs`` under the given policy, as a new dataset of the same kind."""
    import pyarrow as pa
    import torch

    from .examples import Example, collate
    from .loss import sequence_logprobs

    req = with_defaults("PolicyLogprobsInput", payload)
    ds_dir, ds_sha = dataset_sha(req["dataset"])
    policy_dir, policy_sha = checkpoint_sha(req["policy"])
    kind = str(read_manifest(ds_dir).get("kind") or "dataset")
    inputs = [ds_sha, policy_sha]
    params = {"dtype": req["dtype"]}
    key = content_key("policy_logprobs", VERSION, params, inputs)
    dest = store_root() / kind / key

    def ref() -> dict[str, Any]:
        return {
            "uri": str(dest),
            "sha256": manifest_sha256(dest),
            "rows": read_manifest(dest)["rows"],
            "schema": kind,
        }

    if (dest / MANIFEST).exists():
        return {"dataset": ref(), "cached": True}
    table = read_table(ds_dir)
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
    out: list[list[float]] = [[] for _ in rows]
    order = sorted(range(len(rows)), key=lambda i: rows[i].length)
    mbs = req["micro_batch_size"]
    device = next(model.parameters()).device
    with torch.inference_mode():
        for k in range(0, len(order), mbs):
            idx = order[k : k + mbs]
            batch = collate([rows[i] for i in idx], tok.pad_token_id or 0).to(device)
            logp = sequence_logprobs(model, batch.input_ids, batch.attention_mask).cpu()
            for j, i in enumerate(idx):
                start = len(rows[i].prompt_ids) - 1
                out[i] = logp[j, start : start + len(rows[i].response_ids)].tolist()
            progress({"rows": min(k + mbs, len(order)), "total_rows": len(order)})
    if "behavior_logprobs" in table.column_names:
        table = table.drop_columns(["behavior_logprobs"])
    table = table.append_column("behavior_logprobs", pa.array(out, type=pa.list_(pa.float32())))
    tmp = dest.parent / f".{key}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    with guard():
        files = write_parts(tmp, table)
        write_manifest(
            tmp, kind=kind, key=key, inputs=inputs, params=params, rows=table.num_rows, files=files
        )
        if (dest / MANIFEST).exists():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(dest, ignore_errors=True)
            os.replace(tmp, dest)
    return {"dataset": ref(), "cached": False}


JOBS = {"sft": run_sft, "update": run_update, "logprobs": run_logprobs}
OUTPUT_TYPES = {"sft": "PolicyTrainOutput", "update": "PolicyTrainOutput", "logprobs": "PolicyLogprobsOutput"}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description="Run a policy job without Temporal; progress as JSON lines on stderr."
    )
    p.add_argument("job", choices=sorted(JOBS))
    p.add_argument("input", help="the job's input JSON (schemas/policy.ts), or @file.json")
    a = p.parse_args(argv)
    text = Path(a.input[1:]).read_text() if a.input.startswith("@") else a.input

    def report(d: dict[str, Any]) -> None:
        print(json.dumps(d), file=sys.stderr, flush=True)

    result = JOBS[a.job](json.loads(text), report)
    print(json.dumps(validate(OUTPUT_TYPES[a.job], result)), flush=True)


if __name__ == "__main__":
    main()
