"""The tiny-world policy: a small Llama-style decoder built from a config and a byte-level BPE
tokenizer trained locally on the demonstrations (digits split into single tokens). Nothing is downloaded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

EOS = "<|endoftext|>"
PAD = "<|pad|>"

# The feasibility probe's figures (DESIGN.md, "The tiny world"): 1.1M parameters.
TINY_DEFAULTS: dict[str, Any] = {
    "hidden_size": 128,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "intermediate_size": 512,
    "vocab_size": 384,
    "max_position_embeddings": 512,
}


def train_tokenizer(texts: Iterable[str], vocab_size: int):
    """A byte-level BPE (every byte is reachable, so no text is unknown) as a PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # Digits become single tokens so numbers are spelled digit by digit, as arithmetic needs.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, pad_token=PAD)


def tiny_model(tokenizer, options: dict[str, Any] | None = None, seed: int = 0):
    """A freshly initialised LlamaForCausalLM sized for the tokenizer; tied embeddings, no dropout."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    o = {**TINY_DEFAULTS, **(options or {})}
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=o["hidden_size"],
        intermediate_size=o["intermediate_size"],
        num_hidden_layers=o["num_hidden_layers"],
        num_attention_heads=o["num_attention_heads"],
        num_key_value_heads=o["num_attention_heads"],
        max_position_embeddings=o["max_position_embeddings"],
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)
