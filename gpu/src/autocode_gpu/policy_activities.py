"""The policy activities on task queue ``gpu``: thin Temporal wrappers around :mod:`autocode_gpu.policy`
and the node kinds of :mod:`autocode_gpu.nodes` (``behavior_logprobs`` and ``policy_update`` take a
NodeRequest and return a NodeResult, as every pipeline node does).

Training activities heartbeat every step (step, loss, tokens/s), and every activity from a liveness
thread besides (:mod:`autocode_gpu.liveness`); Temporal's cancellation arrives as
an exception raised inside the activity thread, and the optimizer step and checkpoint writes are
shielded from it, so a cancelled run stops at a step boundary with its last step saved.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from temporalio import activity

from .engine import Engine, describe
from .liveness import alive
from .nodes import NODES
from .paths import local_path
from .policy import run_logprobs, run_sft
from .server import PolicyServer
from .wire import validate, with_defaults

_server: PolicyServer | None = None
_server_lock = threading.Lock()


_shield = activity.shield_thread_cancel_exception


@activity.defn(name="policy_sft")
def policy_sft(payload: dict[str, Any]) -> dict[str, Any]:
    out = alive(lambda beat: run_sft(payload, beat, _shield))
    return validate("PolicyTrainOutput", out)


@activity.defn(name="policy_update")
def policy_update(request: dict[str, Any]) -> dict[str, Any]:
    """NodeRequest -> NodeResult (output checkpoint)."""
    return alive(lambda beat: NODES["policy_update"](request, beat, _shield))


@activity.defn(name="behavior_logprobs")
def behavior_logprobs(request: dict[str, Any]) -> dict[str, Any]:
    """NodeRequest -> NodeResult (output train: the rescored set)."""
    return alive(lambda beat: NODES["behavior_logprobs"](request, beat, _shield))


@activity.defn(name="policy_logprobs")
def policy_logprobs(payload: dict[str, Any]) -> dict[str, Any]:
    out = alive(lambda beat: run_logprobs(payload, beat, _shield))
    return validate("PolicyLogprobsOutput", out)


def serve(payload: dict[str, Any]) -> dict[str, Any]:
    """Starts this process's inference server on the checkpoint, or swaps the running server's weights."""
    global _server
    req = with_defaults("PolicyLoadInput", payload)
    path = local_path(req["checkpoint"]["uri"])
    with _server_lock:
        if _server is None:
            engine = Engine(Path(path), req["device"], req["dtype"], req["max_batch_size"])
            server = PolicyServer(engine, req["served_model_name"])
            server.start(req["host"], req["port"])
            _server, reloaded = server, False
        else:
            if _server.engine.checkpoint.resolve() != path.resolve():
                _server.engine.reload(path)
            reloaded = True
        info = describe(_server.engine)
        return {
            "base_url": f"{_server.url}/v1",
            "model": _server.served_model_name,
            "checkpoint": req["checkpoint"],
            "weights_version": info["weights_version"],
            "reloaded": reloaded,
            "device": info["device"],
            "dtype": info["dtype"],
            "max_model_len": info["max_model_len"],
        }


def stop_server() -> None:
    global _server
    with _server_lock:
        if _server is not None:
            _server.stop()
            _server = None


@activity.defn(name="policy_load")
def policy_load(payload: dict[str, Any]) -> dict[str, Any]:
    # Loading weights (and starting the server) can take minutes on a large model.
    return validate("PolicyLoadOutput", alive(lambda _beat: serve(payload)))
