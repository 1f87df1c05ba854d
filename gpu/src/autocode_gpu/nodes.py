"""The gpu pipeline node kinds behind the node protocol: a NodeRequest in, a NodeResult out.

The iteration workflow calls every node the same way (activity ``node.uses`` on ``node.queue`` with
the request), so turning a request into a job's input, and the job's output into the result, happens
here beside the jobs rather than in workflow code. Both kinds take the node's one train input; an
empty train set passes through without touching the store or the model.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import Any

from temporalio.exceptions import ApplicationError

from .behavior import run_behavior_logprobs
from .inputs import Guard, Progress, quiet
from .policy import run_update
from .wire import validate

NodeFn = Callable[..., dict[str, Any]]
# A kind's body: (request, train input, progress, guard) -> the result's fields beyond node_id/uses.
Body = Callable[[dict[str, Any], dict[str, Any], Progress, Guard], dict[str, Any]]

NODES: dict[str, NodeFn] = {}


def node_input_error(message: str) -> ApplicationError:
    """The request cannot be run as given: a retry would fail the same way."""
    return ApplicationError(message, type="NodeInputError", non_retryable=True)


def train_input(req: dict[str, Any]) -> dict[str, Any]:
    """The dataset of the request's input whose output is "train" (the spec allows exactly one)."""
    for name, result in req["inputs"].items():
        if result["output"] == "train":
            if result["dataset"] is None:
                raise node_input_error(
                    f"node {req['node_id']} ({req['uses']}): input {name} produced no train dataset"
                )
            return result["dataset"]
    have = ", ".join(f"{n} ({r['output']})" for n, r in req["inputs"].items()) or "none"
    raise node_input_error(f"node {req['node_id']} ({req['uses']}) needs a train input; its inputs: {have}")


def scalar_metrics(metrics: dict[str, Any], where: str) -> dict[str, Any]:
    """Metrics as NodeResult carries them (number, string, boolean or null). A non-finite float becomes
    null: JSON has no NaN, and the TypeScript side could not parse the result."""
    out: dict[str, Any] = {}
    for k, v in metrics.items():
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        if v is not None and not isinstance(v, bool | int | float | str):
            raise ApplicationError(
                f"{where}: metric {k} is a {type(v).__name__}, not a number, string, boolean or null",
                type="NodeOutputError",
                non_retryable=True,
            )
        out[k] = v
    return out


def node(uses: str) -> Callable[[Body], NodeFn]:
    """Registers ``body`` as node kind ``uses`` behind the common entry: the request validated, its
    train input found, the result completed and validated."""

    def register(body: Body) -> NodeFn:
        def entry(
            payload: dict[str, Any], progress: Progress = quiet, guard: Guard = contextlib.nullcontext
        ) -> dict[str, Any]:
            req = validate("NodeRequest", payload)
            if req["uses"] != uses:
                raise node_input_error(f"node {req['node_id']}: a {req['uses']} request sent to {uses}")
            fields = body(req, train_input(req), progress, guard)
            result = {
                "node_id": req["node_id"],
                "uses": uses,
                "dataset": None,
                "extra": {},
                "checkpoint": None,
                "cached": False,
                **fields,
            }
            result["metrics"] = scalar_metrics(result["metrics"], f"node {req['node_id']} ({uses})")
            return validate("NodeResult", result)

        entry.__name__ = entry.__qualname__ = uses
        NODES[uses] = entry
        return entry

    return register


@node("behavior_logprobs")
def behavior_logprobs(req: dict[str, Any], train: dict[str, Any], progress: Progress, guard: Guard):
    """The train set rescored under the request's policy (the iteration's starting one)."""
    if train["rows"] == 0:
        # Nothing to rescore: the empty set passes through (the update then skips too).
        return {"output": "train", "dataset": train, "metrics": {"rows": 0}}
    job = {
        **req["params"],
        "policy": {"uri": req["policy"]["uri"], "key": req["policy"]["key"]},
        "train": train,
    }
    out = validate("BehaviorLogprobsOutput", run_behavior_logprobs(job, progress, guard))
    return {
        "output": "train",
        "dataset": out["dataset"],
        "metrics": out["metrics"],
        "cached": out["metrics"]["cached"],
    }


@node("policy_update")
def policy_update(req: dict[str, Any], train: dict[str, Any], progress: Progress, guard: Guard):
    """The M-step from the request's policy on the (rescored) train input; params are its hyper."""
    if train["rows"] == 0:
        # Every query was dropped (all wrong or all right): nothing to learn, the policy stays.
        return {"output": "checkpoint", "metrics": {"skipped": "empty train set", "steps": 0}}
    job = {"policy": req["policy"], "train": train, "hyper": req["params"], "iteration": req["iteration"]}
    out = validate("PolicyTrainOutput", run_update(job, progress, guard))
    ckpt = out["checkpoint"]
    # run_update returns the store entry's reference (written or found), so the key is the store key.
    return {
        "output": "checkpoint",
        "checkpoint": {"uri": ckpt["uri"], "key": ckpt["key"]},
        "metrics": out["metrics"],
        "cached": out["metrics"]["cached"],
    }
