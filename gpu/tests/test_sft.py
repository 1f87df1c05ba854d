"""Bootstrap SFT of the tiny-world model from scratch, and the demonstrations' loss mask."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import TINY_TEST, demonstrations, write_dataset
from temporalio.exceptions import ApplicationError

from autocode_gpu import examples
from autocode_gpu.checkpoint import load_policy
from autocode_gpu.demos import encode_demonstration, segments, tool_output_spans
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


def one_call_per_text(
    tokenizer, prompt: str, response: str, spans
) -> tuple[list[int], list[int], list[float]]:
    """The ids the tokenizer gives each text on its own call: what the batched encoding must match."""
    ids, mask = [], []
    for text, weight in segments(response, tool_output_spans(response) if spans is None else spans):
        piece = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids += piece
        mask += [weight] * len(piece)
    return tokenizer(prompt)["input_ids"], [*ids, tokenizer.eos_token_id], [*mask, 1.0]


@pytest.mark.parametrize("chunk", [examples.ENCODE_CHUNK, 3])
def test_batched_demo_encoding_gives_the_ids_of_one_call_per_text(tokenizer, monkeypatch, chunk: int) -> None:
    # What a model or a user writes: two tool rounds, an unclosed output fence, an error traceback,
    # non-ASCII prose, an empty prompt, explicit spans (and a null one) beside the convention.
    odd = [
        ("User: 3*4?\nAssistant:", " ```python\nprint(3*4)\n```\n```output\n12\n```\n"
         "```python\nprint(12+1)\n```\n```output\n13\n```\n\\boxed{13}"),
        ("", " ```python\n1/0\n```\n```output\nTraceback (most recent call last):\nZeroDivisionError"),
        ("Frage: Größer, 7 oder 9? ", " 9 ist größer — 答案 \\boxed{9} 🎉"),
        ("  leading spaces", "   \n\n  trailing  "),
    ]  # fmt: skip
    base = demonstrations(40, seed=5)
    prompts = base["prompt"].to_pylist() + [p for p, _ in odd]
    responses = base["response"].to_pylist() + [r for _, r in odd]
    spans: list = [None] * len(prompts)
    spans[1] = [{"start": 0, "end": 3}, {"start": 5, "end": len(responses[1])}]
    spans[-3] = [{"start": 2, "end": 2}]
    table = pa.table(
        {
            "demo_id": [f"d{i}" for i in range(len(prompts))],
            "prompt": prompts,
            "response": responses,
            "mask_spans": pa.array(spans, pa.list_(pa.struct([("start", pa.int64()), ("end", pa.int64())]))),
        }
    )
    monkeypatch.setattr(examples, "ENCODE_CHUNK", chunk)
    got = examples.demo_examples(table, tokenizer, "mem://t")
    assert len(got) == len(prompts)
    for i, e in enumerate(got):
        row_spans = None if spans[i] is None else [(s["start"], s["end"]) for s in spans[i]]
        want = one_call_per_text(tokenizer, prompts[i], responses[i], row_spans)
        assert (e.prompt_ids, e.response_ids, e.mask) == want, i
    assert 0 < sum(m == 0 for m in got[-4].mask) < len(got[-4].mask)  # two outputs masked, code kept


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
