"""The gpu node kinds behind the node protocol: bad requests fail non-retryably, an empty train set
passes through untouched, and a real (tiny) rescoring and update return NodeResults the workflow can
use as they are (the update's checkpoint named by its store key)."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
from conftest import node_request
from temporalio.exceptions import ApplicationError
from test_update import HYPER, train_ref  # noqa: F401  (the module fixture)

from autocode_gpu.nodes import NODES, scalar_metrics
from autocode_gpu.paths import local_path
from autocode_gpu.store import read_manifest
from autocode_gpu.wire import first_error

EMPTY = {
    "kind": "train",
    "key": "e" * 64,
    "uri": "/nonexistent/store/train/empty",  # never opened: nothing to read in an empty set
    "sha256": "e" * 64,
    "rows": 0,
    "schema_version": 1,
}
NOWHERE = Path("/nonexistent/store/checkpoints/start")


def fails(uses: str, request: dict) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        NODES[uses](request)
    assert err.value.non_retryable
    return err.value


@pytest.mark.parametrize("uses", ["behavior_logprobs", "policy_update"])
def test_a_bad_request_fails_non_retryably_naming_the_field(uses: str) -> None:
    req = node_request(uses, {}, EMPTY, NOWHERE)
    del req["run_id"]
    err = fails(uses, req)
    assert err.type == "InvalidInput" and "invalid NodeRequest" in str(err) and "run_id" in str(err)

    req = node_request(uses, {}, EMPTY, NOWHERE)
    req["inputs"]["synthesize"]["output"] = "weights"
    assert "at inputs/synthesize/output" in str(fails(uses, req))

    err = fails(uses, {**node_request(uses, {}, EMPTY, NOWHERE), "uses": "synthesize"})
    assert err.type == "NodeInputError" and "synthesize request sent to" in str(err)


@pytest.mark.parametrize("uses", ["behavior_logprobs", "policy_update"])
def test_a_request_without_a_train_input_names_the_node(uses: str) -> None:
    req = node_request(uses, {}, EMPTY, NOWHERE, node_id="the-node")
    req["inputs"]["synthesize"]["output"] = "rollouts"
    err = fails(uses, req)
    assert (
        err.type == "NodeInputError" and "node the-node" in str(err) and "synthesize (rollouts)" in str(err)
    )

    err = fails(uses, node_request(uses, {}, None, NOWHERE, node_id="the-node"))
    assert err.type == "NodeInputError" and "input synthesize produced no train dataset" in str(err)


def test_an_empty_train_set_passes_behavior_logprobs_through() -> None:
    out = NODES["behavior_logprobs"](node_request("behavior_logprobs", {"device": "cpu"}, EMPTY, NOWHERE))
    assert out == {
        "node_id": "logprobs",
        "uses": "behavior_logprobs",
        "output": "train",
        "dataset": EMPTY,
        "extra": {},
        "checkpoint": None,
        "metrics": {"rows": 0},
        "cached": False,
    }


def test_an_empty_train_set_skips_the_update_and_keeps_the_policy() -> None:
    out = NODES["policy_update"](node_request("policy_update", HYPER, EMPTY, NOWHERE))
    assert out == {
        "node_id": "update",
        "uses": "policy_update",
        "output": "checkpoint",
        "dataset": None,
        "extra": {},
        "checkpoint": None,
        "metrics": {"skipped": "empty train set", "steps": 0},
        "cached": False,
    }


def test_rescoring_then_updating_through_the_node_entry(train_ref: dict, ckpt_a: Path) -> None:  # noqa: F811
    beats: list[dict] = []
    breq = node_request("behavior_logprobs", {"device": "cpu", "micro_batch_size": 8}, train_ref, ckpt_a)
    rescored = NODES["behavior_logprobs"](copy.deepcopy(breq), beats.append)
    assert first_error("NodeResult", rescored) is None
    assert rescored["output"] == "train" and rescored["cached"] is False and rescored["checkpoint"] is None
    assert rescored["dataset"]["rows"] == 24 and rescored["dataset"]["key"] != train_ref["key"]
    assert rescored["metrics"]["rows"] == 24 and rescored["metrics"]["cached"] is False
    assert beats and beats[-1]["rows"] == 24

    # The update takes the rescored set, as the workflow wires behavior_logprobs -> policy_update.
    rescored_in = {**rescored, "node_id": "behavior"}
    ureq = node_request(
        "policy_update", {**HYPER, "epochs": 1}, None, ckpt_a, inputs={"behavior": rescored_in}
    )
    out = NODES["policy_update"](copy.deepcopy(ureq))
    assert first_error("NodeResult", out) is None
    assert out["output"] == "checkpoint" and out["dataset"] is None and out["cached"] is False
    assert out["metrics"]["steps"] == 3 and out["metrics"]["cached"] is False
    ckpt = local_path(out["checkpoint"]["uri"])
    assert out["checkpoint"]["key"] == read_manifest(ckpt)["key"] == ckpt.name
    assert set(out["checkpoint"]) == {"uri", "key"}

    again = NODES["policy_update"](ureq)
    assert again["cached"] is True and again["checkpoint"] == out["checkpoint"]
    assert NODES["behavior_logprobs"](breq)["cached"] is True


def test_update_parameters_outside_the_hyper_schema_fail_naming_them(train_ref: dict, ckpt_a: Path) -> None:  # noqa: F811
    err = fails("policy_update", node_request("policy_update", {**HYPER, "lr": "fast"}, train_ref, ckpt_a))
    assert "PolicyUpdateInput" in str(err) and "hyper/lr" in str(err)


def test_metrics_are_json_scalars() -> None:
    assert scalar_metrics({"a": 1, "b": 0.5, "c": "x", "d": True, "e": None}, "n") == {
        "a": 1,
        "b": 0.5,
        "c": "x",
        "d": True,
        "e": None,
    }
    assert scalar_metrics({"loss": math.nan, "ratio": math.inf}, "n") == {"loss": None, "ratio": None}
    with pytest.raises(ApplicationError, match="metric hist is a list"):
        scalar_metrics({"hist": [1, 2]}, "node n")
