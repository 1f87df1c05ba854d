"""Batched generation with token log-probs (transformers, CPU or CUDA), shared by every HTTP request.

Requests queue their sequences; one scheduler thread takes up to ``max_batch_size`` of them, runs
them as one left-padded batch with a KV cache to completion, and drops finished rows from the
batch as it goes. Log-probs are the model's raw distribution (temperature 1, before top-p): what
the off-policy update compares the trained policy against.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .checkpoint import load_policy

log = logging.getLogger(__name__)


@dataclass
class SamplingParams:
    max_tokens: int = 16
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    stop: list[str] = field(default_factory=list)
    stop_token_ids: list[int] = field(default_factory=list)
    ignore_eos: bool = False
    include_stop_str_in_output: bool = False
    logprobs: int | None = None
    seed: int | None = None


@dataclass
class Sequence:
    """One sample: the prompt, its parameters, and what generation produced."""

    prompt_ids: list[int]
    params: SamplingParams
    generator: torch.Generator | None = None
    token_ids: list[int] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)
    top_logprobs: list[dict[int, float]] = field(default_factory=list)
    text: str | None = None
    finish_reason: str | None = None
    stop_reason: str | int | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class Engine:
    def __init__(
        self,
        checkpoint: Path,
        device: str = "auto",
        dtype: str = "auto",
        max_batch_size: int = 64,
        batch_wait_s: float = 0.01,
        batch_wait_max_s: float = 0.1,
    ) -> None:
        self.device_arg, self.dtype_arg = device, dtype
        self.model, self.tokenizer = load_policy(checkpoint, device, dtype)
        self.checkpoint = checkpoint
        self.device = next(self.model.parameters()).device
        self.weights_version = 1
        self.max_batch_size = max_batch_size
        self.batch_wait_s, self.batch_wait_max_s = batch_wait_s, batch_wait_max_s
        self._arriving = 0  # requests being parsed that will queue sequences shortly
        self._arriving_lock = threading.Lock()
        self.batches = 0  # batches run and sequences generated, for /health and the bench
        self.sequences = 0
        self._queue: queue.Queue[Sequence | None] = queue.Queue()
        self._model_lock = threading.Lock()
        self._tok_lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="policy-engine", daemon=True)
        self._thread.start()

    # ----- facts the server needs -----
    @property
    def vocab_size(self) -> int:
        return int(self.model.config.vocab_size)

    @property
    def max_model_len(self) -> int:
        return int(getattr(self.model.config, "max_position_embeddings", 2048))

    def eos_ids(self) -> set[int]:
        ids: set[int] = set()
        for src in (self.tokenizer.eos_token_id, getattr(self.model.generation_config, "eos_token_id", None)):
            if isinstance(src, int):
                ids.add(src)
            elif isinstance(src, list):
                ids.update(int(i) for i in src)
        return ids

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        with self._tok_lock:
            return list(self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def encode_chat(
        self,
        messages: list[dict[str, str]],
        add_generation_prompt: bool = True,
        add_special_tokens: bool = False,
    ) -> list[int]:
        """The messages rendered by the tokenizer's chat template, then tokenized, as vLLM does (the
        template writes its own BOS: no special tokens by default). Raises ValueError without a template."""
        with self._tok_lock:
            if not getattr(self.tokenizer, "chat_template", None):
                raise ValueError(f"the tokenizer of {self.checkpoint} has no chat template")
            text = self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=add_generation_prompt
            )
            return list(self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])

    def decode(self, ids: list[int]) -> str:
        with self._tok_lock:
            return self.tokenizer.decode(ids, skip_special_tokens=True)

    def token_strings(self, ids: list[int]) -> list[str]:
        with self._tok_lock:
            return [self.tokenizer.decode([i]) for i in ids]

    @contextlib.contextmanager
    def arriving(self) -> Iterator[None]:
        """Marks a request as on its way (parsing, tokenizing): the scheduler waits for it to queue."""
        with self._arriving_lock:
            self._arriving += 1
        try:
            yield
        finally:
            with self._arriving_lock:
                self._arriving -= 1

    # ----- lifecycle -----
    def reload(self, checkpoint: Path) -> None:
        """Loads the new weights beside the old ones, then swaps between batches; raises on a bad checkpoint
        and keeps serving the old weights."""
        model, tok = load_policy(checkpoint, self.device_arg, self.dtype_arg)
        with self._model_lock:
            old = self.model
            self.model, self.tokenizer, self.checkpoint = model, tok, checkpoint
            self.weights_version += 1
        del old
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def close(self) -> None:
        self._stopped.set()
        self._queue.put(None)
        self._thread.join(timeout=30)

    # ----- generation -----
    def submit(self, seqs: list[Sequence]) -> None:
        """Queues sequences; each one's ``done`` is set when it is generated (or failed)."""
        for s in seqs:
            if s.params.seed is not None:
                s.generator = torch.Generator(device=self.device).manual_seed(s.params.seed)
            self._queue.put(s)

    def generate(self, seqs: list[Sequence], timeout: float | None = None) -> list[Sequence]:
        self.submit(seqs)
        deadline = None if timeout is None else time.monotonic() + timeout
        for s in seqs:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not s.done.wait(left):
                raise TimeoutError("generation timed out")
            if s.error is not None:
                raise s.error
        return seqs

    def _loop(self) -> None:
        while not self._stopped.is_set():
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            # A burst of concurrent requests shares one batch: keep collecting while requests are
            # still being parsed or keep arriving (gaps under batch_wait_s), for at most batch_wait_max_s.
            until = time.monotonic() + self.batch_wait_max_s
            while len(batch) < self.max_batch_size:
                left = until - time.monotonic()
                wait = min(self.batch_wait_s, left)
                try:
                    nxt = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    if self._arriving > 0 and left > 0:
                        continue
                    break
                if nxt is None:
                    self._stopped.set()
                    break
                batch.append(nxt)
            self.batches += 1
            self.sequences += len(batch)
            try:
                with self._model_lock, torch.inference_mode():
                    self._run_batch(batch)
            except BaseException as e:
                log.exception("generation batch failed")
                for s in batch:
                    s.error = e
            finally:
                for s in batch:
                    s.done.set()

    def _sample(self, logits: torch.Tensor, rows: list[Sequence]) -> torch.Tensor:
        """Next token per row under each row's temperature / top-k / top-p (greedy at temperature 0)."""
        b = logits.shape[0]
        chosen = torch.empty(b, dtype=torch.long, device=logits.device)
        temps = torch.tensor([r.params.temperature for r in rows], device=logits.device, dtype=torch.float32)
        greedy = temps <= 1e-5
        if bool(greedy.any()):
            chosen[greedy] = logits[greedy].argmax(-1)
        if bool(greedy.all()):
            return chosen
        scaled = logits / temps.clamp(min=1e-5).unsqueeze(-1)
        top_p = torch.tensor([r.params.top_p for r in rows], device=logits.device, dtype=torch.float32)
        top_k = [r.params.top_k for r in rows]
        if any(k > 0 for k in top_k) or bool((top_p < 1).any()):
            sorted_logits, order = scaled.sort(dim=-1, descending=True)
            probs = sorted_logits.softmax(-1)
            cum = probs.cumsum(-1)
            drop = (cum - probs) >= top_p.unsqueeze(-1)  # keeps the smallest prefix with mass >= top_p
            ks = torch.tensor([k if k > 0 else logits.shape[-1] for k in top_k], device=logits.device)
            ranks = torch.arange(logits.shape[-1], device=logits.device).unsqueeze(0)
            drop |= ranks >= ks.unsqueeze(-1)
            sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
            scaled = torch.full_like(scaled, float("-inf")).scatter(-1, order, sorted_logits)
        probs = scaled.softmax(-1)
        seeded = [i for i, r in enumerate(rows) if r.generator is not None and not bool(greedy[i])]
        free = [i for i, r in enumerate(rows) if r.generator is None and not bool(greedy[i])]
        if free:
            idx = torch.tensor(free, device=logits.device)
            chosen[idx] = torch.multinomial(probs[idx], 1).squeeze(-1)
        for i in seeded:
            chosen[i] = torch.multinomial(probs[i], 1, generator=rows[i].generator).squeeze(-1)
        return chosen

    def _finish_check(self, s: Sequence, tok: int, eos: set[int]) -> None:
        p = s.params
        if tok in eos and not p.ignore_eos:
            s.finish_reason, s.stop_reason = "stop", None
        elif tok in p.stop_token_ids:
            s.finish_reason, s.stop_reason = "stop", tok
        elif p.stop:
            text = self.decode(s.token_ids)
            hits = [(text.find(x), x) for x in p.stop if x and x in text]
            if hits:
                at, x = min(hits)
                s.text = text[: at + len(x)] if p.include_stop_str_in_output else text[:at]
                s.finish_reason, s.stop_reason = "stop", x
        if s.finish_reason is None and len(s.token_ids) >= p.max_tokens:
            s.finish_reason = "length"

    def _run_batch(self, rows: list[Sequence]) -> None:
        model, dev = self.model, self.device
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        eos = self.eos_ids()
        width = max(len(r.prompt_ids) for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, width - len(r.prompt_ids) :] = torch.tensor(r.prompt_ids)
            mask[i, width - len(r.prompt_ids) :] = 1
        ids, mask = ids.to(dev), mask.to(dev)
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
        cache, logits = out.past_key_values, out.logits[:, -1, :]
        last_pos = pos[:, -1]
        active = list(range(len(rows)))  # indices into rows of the batch's current members
        want_top = max((r.params.logprobs or 0) for r in rows)
        while True:
            members = [rows[i] for i in active]
            logp = torch.log_softmax(logits.float(), dim=-1)
            nxt = self._sample(logits.float(), members)
            picked = logp.gather(-1, nxt.unsqueeze(-1)).squeeze(-1).tolist()
            if want_top > 0:
                top_v, top_i = logp.topk(want_top, dim=-1)
                top_v, top_i = top_v.tolist(), top_i.tolist()
            nxt_l = nxt.tolist()
            keep: list[int] = []
            for j, r in enumerate(members):
                tok = nxt_l[j]
                r.token_ids.append(tok)
                r.token_logprobs.append(picked[j])
                if r.params.logprobs is not None:
                    k = r.params.logprobs
                    top = {tok: picked[j]}
                    if k > 0:
                        top.update(zip(top_i[j][:k], top_v[j][:k], strict=True))
                    r.top_logprobs.append(top)
                self._finish_check(r, tok, eos)
                if r.finish_reason is None:
                    keep.append(j)
            if not keep:
                break
            if len(keep) < len(members):
                sel = torch.tensor(keep, device=dev)
                cache.batch_select_indices(sel)
                mask, last_pos, nxt = mask[sel], last_pos[sel], nxt[sel]
                active = [active[j] for j in keep]
            mask = torch.cat([mask, torch.ones((len(active), 1), dtype=mask.dtype, device=dev)], dim=-1)
            last_pos = last_pos + 1
            out = model(
                input_ids=nxt.unsqueeze(-1),
                attention_mask=mask,
                position_ids=last_pos.unsqueeze(-1),
                past_key_values=cache,
                use_cache=True,
            )
            cache, logits = out.past_key_values, out.logits[:, -1, :]
        for r in rows:
            if r.text is None:
                r.text = self.decode(r.token_ids)


def describe(engine: Engine) -> dict[str, Any]:
    return {
        "checkpoint": str(engine.checkpoint),
        "weights_version": engine.weights_version,
        "device": str(engine.device),
        "dtype": str(next(engine.model.parameters()).dtype).replace("torch.", ""),
        "max_model_len": engine.max_model_len,
        "max_batch_size": engine.max_batch_size,
        "batches": engine.batches,
        "sequences": engine.sequences,
    }
