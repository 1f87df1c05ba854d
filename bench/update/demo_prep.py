"""The bootstrap SFT's work before its first step, on the tiny world's demonstrations: reading them,
training the tokenizer, importing and building the model, and encoding the examples, batched (the
trainer's path) against one tokenizer call per text (the path before, the peer).

    .venv/bin/python bench/update/demo_prep.py var/store/demonstrations/<key>

Run in a fresh process, so the import figures are a cold worker's. Fails if the two encodings differ
in any id or mask value.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from demos_ref import demonstrations_ref


def one_call_per_text(
    tokenizer, table
) -> list[tuple[list[int], list[int], list[float]]]:
    from autocode_gpu.demos import segments, tool_output_spans

    out = []
    eos = tokenizer.eos_token_id
    for prompt, response in zip(
        table["prompt"].to_pylist(), table["response"].to_pylist(), strict=True
    ):
        ids: list[int] = []
        mask: list[float] = []
        for text, weight in segments(response, tool_output_spans(response)):
            piece = tokenizer(text, add_special_tokens=False)["input_ids"]
            ids += piece
            mask += [weight] * len(piece)
        out.append((tokenizer(prompt)["input_ids"], [*ids, eos], [*mask, 1.0]))
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("demonstrations", type=Path)
    a = p.parse_args()
    os.environ["AUTOCODE_STORE"] = tempfile.mkdtemp(prefix="bench-demo-prep-")
    lap = time.monotonic()

    def step(what: str) -> float:
        nonlocal lap
        now = time.monotonic()
        took, lap = now - lap, now
        print(f"{what:<48} {took:6.2f} s", flush=True)
        return took

    import torch  # noqa: F401

    step("import torch")
    from autocode_gpu.examples import demo_examples, demo_texts
    from autocode_gpu.store import read_dataset
    from autocode_gpu.tiny import TINY_DEFAULTS, train_tokenizer

    step("import the trainer's modules")
    ref = demonstrations_ref(a.demonstrations)
    table = read_dataset(ref)
    step(f"read {table.num_rows} demonstrations")
    tokenizer = train_tokenizer(demo_texts(table), TINY_DEFAULTS["vocab_size"])
    step("train the tokenizer")
    from transformers import LlamaForCausalLM  # noqa: F401

    step("import transformers' Llama")
    batched = demo_examples(table, tokenizer, ref["uri"])
    fast = step("encode the examples, batched")
    peer = one_call_per_text(tokenizer, table)
    slow = step("encode, one tokenizer call per text (peer)")
    same = all(
        (e.prompt_ids, e.response_ids, e.mask) == x
        for e, x in zip(batched, peer, strict=True)
    )
    if not same:
        raise SystemExit("the batched encoding differs from one call per text")
    print(
        f"encoding: batched {slow / fast:.2f}x one call per text; ids and masks identical"
    )


if __name__ == "__main__":
    main()
