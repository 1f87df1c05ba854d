"""The embedded server opened from a store ref, as the workflows pass it (store:checkpoints/<key>)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from autocode_gpu.policy_activities import policy_load, stop_server
from autocode_gpu.store import ref_uri


def test_policy_load_serves_a_store_ref(ckpt_a: Path, ckpt_b: Path) -> None:
    env = ActivityEnvironment()
    uri_a, uri_b = ref_uri(ckpt_a), ref_uri(ckpt_b)
    assert uri_a == f"store:checkpoints/{ckpt_a.name}"
    try:
        first = env.run(policy_load, {"checkpoint": {"uri": uri_a, "key": ckpt_a.name}, "device": "cpu"})
        root = first["base_url"].removesuffix("/v1")
        req = urllib.request.Request(
            f"{root}/tokenize", data=json.dumps({"prompt": "1 + 2"}).encode(), method="POST"
        )
        req.add_header("content-type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            assert json.loads(r.read())["tokens"]
        second = env.run(policy_load, {"checkpoint": {"uri": uri_b, "key": ckpt_b.name}, "device": "cpu"})
        assert second["reloaded"] is True
        with urllib.request.urlopen(f"{root}/health", timeout=10) as r:
            assert json.loads(r.read())["checkpoint"] == str(ckpt_b)
    finally:
        stop_server()
