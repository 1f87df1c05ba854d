"""Bootstrap SFT of the tiny-world model from scratch, and the demonstrations' loss mask."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import TINY_TEST, demonstrations, write_dataset
from temporalio.exceptions import ApplicationError

from autocode_gpu.checkpoint import load_policy
from autocode_gpu.demos import encode_demonstration, tool_output_spans
from autocode_gpu.paths import local_path
from autocode_gpu.policy import run_sft

RESPONSE = " ```python\nprint(12 + 7)\n```\n```output\n19\n```\nThe answer is \\boxed{19}."


def test_tool_output_is_masked_on_token_boundaries(tokenizer) -> None:
    ((start, end),) = tool_output_spans(RESPONSE)
    assert RESPONSE[start:end] == "\n19\n```\n"
    _, ids, mask = encode_demonstration(tokenizer, "User: What is 12 + 7?\nAssistant:", RESPONSE)
    masked = [t for t, m in zip(ids, mask, strict=True) if m == 0]
    assert tokenizer.decode(masked) == "\n19\n```\n"
    assert ids[-1] == tokenizer.eos_token_id and mask[-1] == 1
    # Explicit spans win over the convention: mask the boxed answer instead.
    at = RESPONSE.index("\\boxed")
    _, ids2, mask2 = encode_demonstration(tokenizer, "q", RESPONSE, [(at, len(RESPONSE))])
    assert tokenizer.decode([t for t, m in zip(ids2, mask2, strict=True) if m == 0]) == RESPONSE[at:]


def test_sft_trains_the_tiny_model_from_scratch(store: Path) -> None:
    ref = write_dataset("d1", demonstrations(64, seed=2), "demonstrations")
    beats: list[dict] = []
    hyper = {
        "device": "cpu",
        "batch_size": 16,
        "epochs": 6,
        "lr": 1e-2,
        "checkpoint_every": 10,
    }
    out = run_sft({"demonstrations": ref, "tiny": TINY_TEST, "hyper": hyper}, beats.append)
    assert out["metrics"]["steps"] == 24 == len(beats)
    first, last = beats[0]["loss"], beats[-1]["loss"]
    assert last < 0.6 * first, (first, last)
    model, tok = load_policy(local_path(out["checkpoint"]["uri"]), "cpu", "float32")
    assert model.config.hidden_size == TINY_TEST["hidden_size"] and len(tok) <= TINY_TEST["vocab_size"]
    assert [tok.decode([t]) for t in tok("4096")["input_ids"]] == ["4", "0", "9", "6"]
    manifest = json.loads((local_path(out["checkpoint"]["uri"]) / "_manifest.json").read_text())
    assert manifest["params"]["tiny"] == TINY_TEST
    assert manifest["inputs"]["demonstrations"]["sha256"] == ref["sha256"]
    assert manifest["producer"] == {"activity": "policy_sft", "version": "1"}


def test_sft_names_missing_columns(store: Path) -> None:
    ref = write_dataset("bad", pa.table({"question": ["x"]}), "demonstrations")
    with pytest.raises(ApplicationError) as err:
        run_sft({"demonstrations": ref, "hyper": {"device": "cpu"}})
    assert err.value.non_retryable and "prompt" in str(err.value)
