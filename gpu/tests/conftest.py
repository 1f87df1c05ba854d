"""Fixtures: a private store, small demonstration sets in the tiny world's format, tiny checkpoints,
and node requests as the iteration workflow sends them to the gpu node kinds."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pyarrow as pa
import pytest
import torch

# One thread: on a shared, loaded box spin-waiting OpenMP threads slow tiny models by 10x.
torch.set_num_threads(1)

TINY_TEST = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "vocab_size": 300,
    "max_position_embeddings": 256,
}


def demonstration(rng: random.Random) -> dict[str, str]:
    """One tiny-world demonstration: a sum with code (tool output in the response) or in prose."""
    a, b = rng.randint(10, 99), rng.randint(1, 9)
    if rng.random() < 0.5:
        return {
            "prompt": f"User: What is {a} + {b}? Let's write a program.\nAssistant:",
            "response": f" ```python\nprint({a} + {b})\n```\n```output\n{a + b}\n```\n"
            f"The answer is \\boxed{{{a + b}}}.",
        }
    return {
        "prompt": f"User: What is {a} + {b}? Let's reason step by step.\nAssistant:",
        "response": f" {a} + {b} = {a + b}. The answer is \\boxed{{{a + b}}}.",
    }


def demonstrations(n: int, seed: int = 0) -> pa.Table:
    rng = random.Random(seed)
    rows = [demonstration(rng) for _ in range(n)]
    return pa.table(
        {
            "demo_id": [f"d{i}" for i in range(n)],
            "prompt": [r["prompt"] for r in rows],
            "response": [r["response"] for r in rows],
        }
    )


def write_dataset(name: str, table: pa.Table, kind: str) -> dict:
    """A finished store entry (parts + manifest) holding ``table``; returns its DatasetRef."""
    from autocode_gpu.store import content_key, entry_dir, write_manifest, write_part

    directory = entry_dir(kind, content_key("test_fixture", "1", {"name": name}))
    half = max(1, table.num_rows // 2)
    write_part(directory, 0, table.slice(0, half))
    if table.num_rows > half:
        write_part(directory, 1, table.slice(half))
    producer = {"activity": "test_fixture", "version": "1"}
    return write_manifest(directory, kind=kind, schema_version=1, producer=producer, params={"name": name})


def node_request(uses: str, params: dict, train: dict | None, policy: Path, **over) -> dict:
    """A NodeRequest for gpu node ``uses``: its one input (node ``synthesize``) produced ``train``; the
    policy is the checkpoint's store entry ({uri, key} as the workflow passes it)."""
    producer = {
        "node_id": "synthesize",
        "uses": "synthesize",
        "output": "train",
        "dataset": train,
        "extra": {},
        "checkpoint": None,
        "metrics": {},
        "cached": False,
    }
    query_set = {
        "kind": "queries",
        "key": "0" * 64,
        "uri": "/nonexistent/queries",
        "sha256": "0" * 64,
        "rows": 1,
        "schema_version": 1,
    }
    return {
        "run_id": "test-run",
        "iteration": 1,
        "seed": 0,
        "node_id": uses.split("_")[-1],
        "uses": uses,
        "params": params,
        "policy": {"uri": str(policy), "key": policy.name},
        "inference": {"urls": ["http://127.0.0.1:9/v1"], "model": "tiny"},
        "train": query_set,
        "eval": [],
        "inputs": {"synthesize": producer},
        **over,
    }


@pytest.fixture(scope="session", autouse=True)
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    os.environ["AUTOCODE_STORE"] = str(root)
    return root


@pytest.fixture(scope="session")
def tokenizer():
    from autocode_gpu.tiny import train_tokenizer

    table = demonstrations(200, seed=1)
    texts = [p + r for p, r in zip(table["prompt"].to_pylist(), table["response"].to_pylist(), strict=True)]
    return train_tokenizer(texts, TINY_TEST["vocab_size"])


def make_checkpoint(tokenizer, name: str, seed: int) -> Path:
    """A randomly initialised tiny checkpoint in the store; returns its directory."""
    from autocode_gpu.checkpoint import save_checkpoint
    from autocode_gpu.paths import local_path
    from autocode_gpu.store import content_key, entry_dir
    from autocode_gpu.tiny import tiny_model

    model = tiny_model(tokenizer, TINY_TEST, seed=seed)
    dest = entry_dir("checkpoints", content_key("test_fixture", "1", {"name": name}))
    ref = save_checkpoint(
        model, tokenizer, dest, producer={"activity": "test_fixture", "version": "1"}, params={"seed": seed}
    )
    return local_path(ref["uri"])


@pytest.fixture(scope="session")
def ckpt_a(store: Path, tokenizer) -> Path:
    return make_checkpoint(tokenizer, "tiny-a", seed=0)


@pytest.fixture(scope="session")
def ckpt_b(store: Path, tokenizer) -> Path:
    return make_checkpoint(tokenizer, "tiny-b", seed=1)
