"""Demonstrations (the SFT bootstrap's input) as token ids with a loss mask.

A demonstration is a prompt and a response text. Tool output inside the response (what the rollout
engine appends after "```output") is not the model's to learn: it is masked, by the character spans
in ``mask_spans`` when given, else by the tool-call convention of schemas/inference.ts. Each span is
tokenized on its own, as the rollout engine tokenizes appended tool output, so masks fall on token
boundaries and training sees the token sequences serving will see.
"""

from __future__ import annotations

from collections.abc import Sequence

TOOL_OUTPUT_STOP = "```output"


def tool_output_spans(response: str) -> list[tuple[int, int]]:
    """Character spans of tool output: from the end of each "```output" to the end of its closing "```\\n"."""
    spans = []
    at = 0
    while True:
        opened = response.find(TOOL_OUTPUT_STOP, at)
        if opened < 0:
            return spans
        start = opened + len(TOOL_OUTPUT_STOP)
        close = response.find("\n```", start)
        end = len(response) if close < 0 else close + len("\n```")
        if end < len(response) and response[end] == "\n":
            end += 1
        spans.append((start, end))
        at = end


def segments(response: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, float]]:
    """The response cut into (text, loss weight) pieces: 0 inside the spans, 1 elsewhere."""
    out: list[tuple[str, float]] = []
    at = 0
    for start, end in sorted(spans):
        if not (0 <= start <= end <= len(response)) or start < at:
            raise ValueError(f"mask span [{start}, {end}) is out of order or outside the response")
        if start > at:
            out.append((response[at:start], 1.0))
        if end > start:
            out.append((response[start:end], 0.0))
        at = end
    if at < len(response):
        out.append((response[at:], 1.0))
    return out


def response_pieces(response: str, spans: Sequence[tuple[int, int]] | None = None) -> list[tuple[str, float]]:
    """The response's (text, loss weight) pieces: by ``spans`` if given, else by the tool-call convention."""
    return segments(response, tool_output_spans(response) if spans is None else spans)


def encode_demonstration(
    tokenizer, prompt: str, response: str, spans: Sequence[tuple[int, int]] | None = None
) -> tuple[list[int], list[int], list[float]]:
    """(prompt ids, response ids ending in EOS, loss mask over the response ids)."""
    return encode_pieces(tokenizer, [prompt], [response_pieces(response, spans)])[0]


def encode_pieces(
    tokenizer, prompts: Sequence[str], pieces: Sequence[Sequence[tuple[str, float]]]
) -> list[tuple[list[int], list[int], list[float]]]:
    """encode_demonstration for many rows in two tokenizer calls. A fast tokenizer encodes a list in
    Rust, giving each text the ids a call of its own gives: on the tiny bootstrap's 33,000
    demonstrations 4.5 s instead of 12.0 s (bench/update/demo_prep.py)."""
    prompt_ids = _token_ids(tokenizer, list(prompts), True)
    ids = _token_ids(tokenizer, [text for row in pieces for text, _ in row], False)
    eos = tokenizer.eos_token_id  # a property lookup through the vocabulary: once, not per row
    out: list[tuple[list[int], list[int], list[float]]] = []
    at = 0
    for p, row in zip(prompt_ids, pieces, strict=True):
        response_ids: list[int] = []
        mask: list[float] = []
        for _, weight in row:
            response_ids.extend(ids[at])
            mask.extend([weight] * len(ids[at]))
            at += 1
        response_ids.append(eos)
        mask.append(1.0)
        out.append((list(p), response_ids, mask))
    return out


def _token_ids(tokenizer, texts: list[str], add_special_tokens: bool) -> list[list[int]]:
    if not texts:
        return []
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:  # a slow (Python) tokenizer
        return tokenizer(texts, add_special_tokens=add_special_tokens)["input_ids"]
    # What PreTrainedTokenizerFast.__call__ runs on a list, without its per-text Python conversion.
    return [e.ids for e in backend.encode_batch(texts, add_special_tokens=add_special_tokens)]
