"""Training examples from datasets: validated rows -> token ids, masks, behaviour log-probs; micro-batches."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import torch

from .demos import encode_pieces, response_pieces
from .errors import bad_dataset

TRAIN_COLUMNS = ["prompt_token_ids", "response_token_ids", "loss_mask", "behavior_logprobs", "advantage"]
DEMO_COLUMNS = ["prompt", "response"]
# Rows per batched tokenizer call: bounds the encodings held at once on a large dataset.
ENCODE_CHUNK = 4096


@dataclass
class Example:
    prompt_ids: list[int]
    response_ids: list[int]
    mask: list[float]  # one per response token
    behavior: list[float] | None  # one per response token (update only)
    coef: float  # advantage x weight (update) or weight (SFT)

    @property
    def length(self) -> int:
        return len(self.prompt_ids) + len(self.response_ids)


def _row_name(table: pa.Table, i: int) -> str:
    for col in ("sample_id", "demo_id", "query_id"):
        if col in table.column_names:
            return f"row {i} ({col} {table.column(col)[i].as_py()})"
    return f"row {i}"


def _check_ids(ids: list[int], vocab: int, where: str, field: str) -> None:
    for t in ids:
        if t is None or t < 0 or t >= vocab:
            raise bad_dataset(f"{where}: {field} has token id {t}, outside the vocabulary (size {vocab})")


def require_columns(table: pa.Table, columns: list[str], uri: str, hint: str = "") -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise bad_dataset(f"dataset {uri} lacks column(s) {', '.join(missing)}{hint}")


def train_examples(table: pa.Table, vocab: int, uri: str) -> list[Example]:
    """Rows of a ``train`` dataset (DESIGN.md) as update examples; bad rows are non-retryable errors."""
    if "behavior_logprobs" not in table.column_names:
        raise bad_dataset(
            f"train dataset {uri} has no behavior_logprobs column: record them at generation time "
            "or run policy_logprobs on it first"
        )
    require_columns(table, TRAIN_COLUMNS, uri)
    cols = {c: table.column(c).to_pylist() for c in TRAIN_COLUMNS}
    weights = table.column("weight").to_pylist() if "weight" in table.column_names else [1.0] * table.num_rows
    out = []
    all_nan = 0
    for i in range(table.num_rows):
        where = f"train dataset {uri} {_row_name(table, i)}"
        prompt, response = cols["prompt_token_ids"][i], cols["response_token_ids"][i]
        mask, behavior, adv = cols["loss_mask"][i], cols["behavior_logprobs"][i], cols["advantage"][i]
        if prompt is None or response is None or mask is None:
            raise bad_dataset(f"{where}: prompt_token_ids, response_token_ids and loss_mask must not be null")
        if behavior is None:
            raise bad_dataset(
                f"{where}: behavior_logprobs is null (run policy_logprobs on the dataset first)"
            )
        if not (len(response) == len(mask) == len(behavior)):
            raise bad_dataset(
                f"{where}: response_token_ids ({len(response)}), loss_mask ({len(mask)}) and "
                f"behavior_logprobs ({len(behavior)}) differ in length"
            )
        if not prompt:
            raise bad_dataset(f"{where}: prompt_token_ids is empty")
        _check_ids(prompt, vocab, where, "prompt_token_ids")
        _check_ids(response, vocab, where, "response_token_ids")
        w = 1.0 if weights[i] is None else float(weights[i])
        if adv is None or not math.isfinite(adv) or not math.isfinite(w):
            raise bad_dataset(f"{where}: advantage/weight must be finite numbers, got {adv}/{weights[i]}")
        # NaN: not recorded for that token (ratio 1); anything else must be a log-probability.
        if any(b is None or math.isinf(b) or b > 1e-3 for b in behavior):
            raise bad_dataset(f"{where}: behavior_logprobs must be log-probabilities (<= 0) or NaN")
        if all(math.isnan(b) for b, m in zip(behavior, mask, strict=True) if m):
            all_nan += 1
        out.append(
            Example(list(prompt), list(response), [float(m) for m in mask], list(behavior), float(adv) * w)
        )
    if out and all_nan == len(out):
        raise bad_dataset(
            f"train dataset {uri}: behavior_logprobs are NaN on every trained token of every sample "
            "(none recorded): run policy_logprobs on it first"
        )
    return out


def demo_examples(table: pa.Table, tokenizer, uri: str) -> list[Example]:
    """Rows of a demonstrations dataset (docs/policy.md) as SFT examples."""
    require_columns(table, DEMO_COLUMNS, uri)
    prompts, responses = table.column("prompt").to_pylist(), table.column("response").to_pylist()
    spans = table.column("mask_spans").to_pylist() if "mask_spans" in table.column_names else None
    weights = table.column("weight").to_pylist() if "weight" in table.column_names else None
    pieces = []
    for i in range(table.num_rows):
        if not isinstance(prompts[i], str) or not isinstance(responses[i], str) or not responses[i]:
            raise bad_dataset(
                f"demonstrations {uri} {_row_name(table, i)}: prompt and response must be non-empty strings"
            )
        row_spans = None
        if spans is not None and spans[i] is not None:
            row_spans = [(int(s["start"]), int(s["end"])) for s in spans[i]]
        try:
            pieces.append(response_pieces(responses[i], row_spans))
        except ValueError as e:
            raise bad_dataset(f"demonstrations {uri} {_row_name(table, i)}: {e}") from e
    out = []
    for at in range(0, table.num_rows, ENCODE_CHUNK):
        end = min(at + ENCODE_CHUNK, table.num_rows)
        encoded = encode_pieces(tokenizer, prompts[at:end], pieces[at:end])
        for i, (p, r, m) in zip(range(at, end), encoded, strict=True):
            w = 1.0 if weights is None or weights[i] is None else float(weights[i])
            out.append(Example(p, r, m, None, w))
    return out


def demo_texts(table: pa.Table) -> list[str]:
    return [
        f"{p}{r}"
        for p, r in zip(table.column("prompt").to_pylist(), table.column("response").to_pylist(), strict=True)
    ]


def truncate(examples: list[Example], max_length: int) -> tuple[list[Example], int]:
    """Cuts responses so prompt + response fits; drops examples with no loss-bearing token left."""
    kept, skipped = [], 0
    for e in examples:
        room = max_length - len(e.prompt_ids)
        if room < len(e.response_ids):
            e = Example(
                e.prompt_ids,
                e.response_ids[: max(room, 0)],
                e.mask[: max(room, 0)],
                None if e.behavior is None else e.behavior[: max(room, 0)],
                e.coef,
            )
        if not e.response_ids or not any(m > 0 for m in e.mask):
            skipped += 1
            continue
        kept.append(e)
    return kept, skipped


@dataclass
class Batch:
    input_ids: torch.Tensor  # [B, T], right-padded
    attention_mask: torch.Tensor  # [B, T]
    mask: torch.Tensor  # [B, T-1]: loss weight of predicting input_ids[:, 1:]
    behavior: torch.Tensor  # [B, T-1]
    coef: torch.Tensor  # [B]
    tokens: int  # non-pad tokens

    def to(self, device: Any) -> Batch:
        return Batch(
            self.input_ids.to(device),
            self.attention_mask.to(device),
            self.mask.to(device),
            self.behavior.to(device),
            self.coef.to(device),
            self.tokens,
        )


def collate(examples: list[Example], pad_id: int) -> Batch:
    width = max(e.length for e in examples)
    b = len(examples)
    ids = torch.full((b, width), pad_id, dtype=torch.long)
    att = torch.zeros((b, width), dtype=torch.long)
    mask = torch.zeros((b, width - 1), dtype=torch.float32)
    behavior = torch.zeros((b, width - 1), dtype=torch.float32)
    for i, e in enumerate(examples):
        seq = e.prompt_ids + e.response_ids
        ids[i, : len(seq)] = torch.tensor(seq)
        att[i, : len(seq)] = 1
        # Response token k sits at position len(prompt)+k and is predicted from the position before it.
        start = len(e.prompt_ids) - 1
        mask[i, start : start + len(e.response_ids)] = torch.tensor(e.mask)
        if e.behavior is not None:
            behavior[i, start : start + len(e.response_ids)] = torch.tensor(e.behavior)
    coef = torch.tensor([e.coef for e in examples], dtype=torch.float32)
    return Batch(ids, att, mask, behavior, coef, int(att.sum()))
