"""A tiny checkpoint and a rescored train set in $AUTOCODE_STORE, and the policy_update NodeRequest
that trains on them (the gpu suite's fixtures: gpu/tests/conftest.py). Prints the request as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "gpu" / "tests"))

from autocode_gpu.policy import run_logprobs
from autocode_gpu.tiny import train_tokenizer
from conftest import TINY_TEST, demonstrations, make_checkpoint, node_request, write_dataset
from test_update import train_table


def main() -> None:
    rows, hyper = int(sys.argv[1]), json.loads(sys.argv[2])
    table = demonstrations(200, seed=1)
    texts = [p + r for p, r in zip(table["prompt"].to_pylist(), table["response"].to_pylist(), strict=True)]
    tokenizer = train_tokenizer(texts, TINY_TEST["vocab_size"])
    policy = make_checkpoint(tokenizer, "multihost-start", seed=0)
    raw = write_dataset("multihost-raw", train_table(tokenizer, rows), "train")
    train = run_logprobs({"policy": {"uri": str(policy)}, "dataset": raw, "device": "cpu"})["dataset"]
    req = node_request("policy_update", hyper, train, policy)
    # Relative to the store root, as every reference the workers pass (the fixture names a path).
    req["policy"]["uri"] = f"store:checkpoints/{policy.name}"
    print(json.dumps(req))


if __name__ == "__main__":
    main()
