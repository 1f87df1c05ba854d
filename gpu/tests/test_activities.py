"""The policy activities under the Temporal SDK's activity environment: heartbeats, cancellation, serving."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from conftest import node_request
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import ActivityEnvironment
from test_update import HYPER, train_ref  # noqa: F401  (the module fixture)

from autocode_gpu.paths import work_root
from autocode_gpu.policy_activities import policy_load, policy_update, stop_server


def test_update_heartbeats_and_stops_on_cancel_with_its_step_saved(train_ref: dict, ckpt_a: Path) -> None:  # noqa: F811
    env = ActivityEnvironment()
    beats: list[dict] = []

    def on_heartbeat(*details: dict) -> None:
        beats.append(details[0])
        if details[0]["step"] == 3:
            env.cancel()

    env.on_heartbeat = on_heartbeat
    hyper = {**HYPER, "batch_size": 4, "grad_accum": 1, "epochs": 4, "seed": 5, "checkpoint_every": 1000}
    req = node_request("policy_update", hyper, train_ref, ckpt_a)
    with pytest.raises(CancelledError):
        env.run(policy_update, req)
    assert {"step", "total_steps", "loss", "tokens_per_s", "lr"} <= set(beats[0])
    assert beats[-1]["step"] in (3, 4)  # stopped at the step boundary after the cancel
    saved = sorted(work_root().glob("*/step-*.pt"))
    assert [int(p.name[5:13]) for p in saved] == [beats[-1]["step"]]

    out = ActivityEnvironment().run(policy_update, req)
    assert out["node_id"] == "update" and out["output"] == "checkpoint" and out["cached"] is False
    assert out["metrics"]["resumed_from_step"] == beats[-1]["step"] and out["metrics"]["steps"] == 24


def test_policy_load_serves_then_swaps_weights(ckpt_a: Path, ckpt_b: Path) -> None:
    env = ActivityEnvironment()
    try:
        first = env.run(policy_load, {"checkpoint": {"uri": str(ckpt_a)}, "device": "cpu"})
        assert first["reloaded"] is False and first["base_url"].endswith("/v1")
        second = env.run(policy_load, {"checkpoint": {"uri": str(ckpt_b)}, "device": "cpu"})
        assert second["base_url"] == first["base_url"] and second["reloaded"] is True
        assert second["weights_version"] == first["weights_version"] + 1
        root = first["base_url"].removesuffix("/v1")
        with urllib.request.urlopen(f"{root}/health", timeout=10) as r:
            assert json.loads(r.read())["checkpoint"] == str(ckpt_b)
        with pytest.raises(ApplicationError) as err:
            env.run(policy_load, {"checkpoint": {"uri": str(ckpt_b.parent / "missing")}})
        assert err.value.non_retryable and "does not exist" in str(err.value)
        with pytest.raises(ApplicationError) as err:
            env.run(policy_load, {"checkpoint": {"uri": str(ckpt_a)}, "port": -1})
        assert err.value.non_retryable and "at port" in str(err.value)
    finally:
        stop_server()
