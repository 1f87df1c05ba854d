"""Generated tokens/s of the embedded policy server over HTTP, at batch 1 and at larger batches.

    .venv/bin/python bench/serve/bench.py [--batches 1,8,32,64] [--max-tokens 64] [--requests 64]

Starts `python -m autocode_gpu.server` on a tiny-world checkpoint (the default 1.1M-parameter
config, random weights, built locally), sends the same prompts with `ignore_eos` so every request
generates exactly --max-tokens tokens, at each concurrency level (the server batches concurrent
requests), and prints tokens/s, the ratio to batch 1, and as a peer HF `generate` in-process at
batch 1 and at the best batch. Prints the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "gpu" / "src"))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def prompts(n: int) -> list[str]:
    rng = random.Random(0)
    out = []
    for _ in range(n):
        a, b = rng.randint(10, 999), rng.randint(1, 99)
        mode = rng.choice(["Let's write a program.", "Let's reason step by step.", ""])
        out.append(f"User: What is {a} * {b}? {mode}\nAssistant:")
    return out


def build_checkpoint() -> Path:
    """The default tiny config with random weights, as a store entry (built once)."""
    from autocode_gpu.checkpoint import save_checkpoint
    from autocode_gpu.store import content_key, entry_dir
    from autocode_gpu.tiny import tiny_model, train_tokenizer

    dest = entry_dir("checkpoints", content_key("bench_serve", "1", {"config": "tiny-default"}))
    if (dest / "_manifest.json").exists():
        return dest

    rng = random.Random(1)
    texts = []
    for _ in range(3000):
        a, b = rng.randint(10, 999), rng.randint(1, 99)
        texts.append(
            f"User: What is {a} * {b}? Let's write a program.\nAssistant: ```python\nprint({a} * {b})\n```\n"
            f"```output\n{a * b}\n```\nThe answer is \\boxed{{{a * b}}}."
        )
    tok = train_tokenizer(texts, 384)
    producer = {"activity": "bench_serve", "version": "1"}
    save_checkpoint(tiny_model(tok), tok, dest, producer=producer, params={"config": "tiny-default"})
    return dest


def post(url: str, body: dict) -> dict:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/health", timeout=30) as r:
        return json.loads(r.read())


def http_rate(url: str, texts: list[str], concurrency: int, max_tokens: int) -> float:
    body = {
        "model": "policy",
        "max_tokens": max_tokens,
        "temperature": 1.0,
        "top_p": 0.95,
        "ignore_eos": True,
    }
    body |= {"logprobs": 0, "return_token_ids": True}

    def one(p: str) -> int:
        return len(post(url, {**body, "prompt": p})["choices"][0]["token_ids"])

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        generated = sum(pool.map(one, texts))
    return generated / (time.perf_counter() - t0)


def hf_rate(ckpt: Path, texts: list[str], batch: int, max_tokens: int) -> float:
    """Peer: transformers' own generate, in-process, sampling the same lengths."""
    import torch
    from autocode_gpu.checkpoint import load_policy

    model, tok = load_policy(ckpt, "cpu", "float32")
    tok.padding_side = "left"
    generated = 0
    t0 = time.perf_counter()
    with torch.inference_mode():
        for k in range(0, len(texts), batch):
            enc = tok(texts[k : k + batch], return_tensors="pt", padding=True)
            out = model.generate(
                **enc,
                max_new_tokens=max_tokens,
                min_new_tokens=max_tokens,
                do_sample=True,
                top_p=0.95,
                pad_token_id=tok.pad_token_id,
            )
            generated += (out.shape[1] - enc["input_ids"].shape[1]) * out.shape[0]
    return generated / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--batches", default="1,8,32,64")
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument(
        "--requests",
        type=int,
        default=64,
        help="requests per level (batch 1 uses a quarter)",
    )
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    ckpt = build_checkpoint()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "gpu" / "src"),
        "OMP_NUM_THREADS": str(a.threads),
    }
    levels = [int(x) for x in a.batches.split(",")]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autocode_gpu.server",
            "--model",
            str(ckpt),
            "--port",
            "0",
            "--device",
            "cpu",
            "--max-batch-size",
            str(max(levels)),
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("serving "):
            raise SystemExit(f"the server did not start (exit {server.wait(30)})")
        url = line.strip().rsplit(" ", 1)[-1]
        print(f"server: {line.strip()}")
        print(f"load before: {load()}")
        texts = prompts(a.requests)
        http_rate(f"{url}/v1/completions", texts[:4], 4, 8)  # warm-up
        rates = {}
        for c in levels:
            n = max(c, a.requests // 4) if c == 1 else max(c, a.requests)
            h0 = health(url)
            rates[c] = http_rate(
                f"{url}/v1/completions", (texts * 8)[:n], c, a.max_tokens
            )
            h1 = health(url)
            mean = (h1["sequences"] - h0["sequences"]) / max(
                1, h1["batches"] - h0["batches"]
            )
            print(
                f"http concurrency {c:>3}: {rates[c]:8.0f} generated tok/s  "
                f"({rates[c] / rates[levels[0]]:.1f}x batch 1; mean engine batch {mean:.1f})"
            )
    finally:
        server.terminate()
        server.wait(30)
    best = max(rates, key=rates.get)
    import torch

    torch.set_num_threads(a.threads)
    hf1 = hf_rate(ckpt, texts[: max(4, a.requests // 8)], 1, a.max_tokens)
    hfb = hf_rate(ckpt, (texts * 8)[: max(best, a.requests)], best, a.max_tokens)
    print(
        f"peer HF generate batch 1: {hf1:8.0f} tok/s   server/HF = {rates[levels[0]] / hf1:.2f}"
    )
    print(
        f"peer HF generate batch {best}: {hfb:8.0f} tok/s   server/HF = {rates[best] / hfb:.2f}"
    )
    print(
        f"best server batch: {best} ({rates[best]:.0f} tok/s, {rates[best] / rates[levels[0]]:.1f}x batch 1)"
    )
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
