"""Token log-probs of (prompt, response) rows under a model, and publishing a table as a store entry.

Shared by ``policy_logprobs`` (any dataset) and ``behavior_logprobs`` (train sets, the M-step's
behaviour policy). Scoring batches rows of similar length; publishing writes the parts in a staging
directory and renames it into place after the manifest, so a reader never sees a half-written entry.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any

import numpy as np
import pyarrow as pa

from .examples import Example, collate
from .inputs import Guard, Progress
from .store import MANIFEST_FILE, TEMP_PREFIX, entry_dir, ref_uri, write_manifest, write_part

ROWS_PER_PART = 50_000


def score(
    model,
    examples: list[Example],
    pad_id: int,
    micro_batch_size: int,
    progress: Progress,
    amp_dtype=None,
) -> list[np.ndarray]:
    """log pi(response token | everything before it) per row, float32. ``amp_dtype`` (CUDA only):
    autocast as the trainer computes, so these match its step-0 log-probs."""
    import torch

    from .loss import sequence_logprobs

    device = next(model.parameters()).device
    use_amp = amp_dtype is not None and device.type == "cuda" and amp_dtype != torch.float32
    out: list[np.ndarray] = [np.zeros(0, dtype=np.float32) for _ in examples]
    order = sorted(range(len(examples)), key=lambda i: examples[i].length)
    with torch.inference_mode():
        for k in range(0, len(order), micro_batch_size):
            idx = order[k : k + micro_batch_size]
            batch = collate([examples[i] for i in idx], pad_id).to(device)
            with torch.autocast(device_type="cuda", dtype=amp_dtype, enabled=use_amp):
                logp = sequence_logprobs(model, batch.input_ids, batch.attention_mask)
            logp = logp.float().cpu().numpy()
            for j, i in enumerate(idx):
                start = len(examples[i].prompt_ids) - 1
                out[i] = logp[j, start : start + len(examples[i].response_ids)].copy()
            progress({"rows": min(k + micro_batch_size, len(order)), "total_rows": len(order)})
    return out


def set_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    """Replaces column ``name`` in place (same position), or appends it."""
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


def publish(
    table: pa.Table,
    kind: str,
    key: str,
    *,
    schema_version: int,
    producer: dict[str, str],
    params: dict[str, Any],
    inputs: dict[str, dict[str, Any]],
    guard: Guard = contextlib.nullcontext,
) -> dict[str, Any]:
    """Writes ``table`` as the store entry ``kind/key`` (parts, then the manifest, then one rename)."""
    dest = entry_dir(kind, key)
    staging = dest.parent / f"{TEMP_PREFIX}{key}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    tmp = staging / key
    with guard():
        for i in range(max(1, -(-table.num_rows // ROWS_PER_PART))):
            write_part(tmp, i, table.slice(i * ROWS_PER_PART, ROWS_PER_PART))
        ref = write_manifest(
            tmp, kind=kind, schema_version=schema_version, producer=producer, params=params, inputs=inputs
        )
        if (dest / MANIFEST_FILE).exists():
            shutil.rmtree(staging, ignore_errors=True)
        else:
            shutil.rmtree(dest, ignore_errors=True)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, dest)
            shutil.rmtree(staging, ignore_errors=True)
    return {**ref, "uri": ref_uri(dest)}
