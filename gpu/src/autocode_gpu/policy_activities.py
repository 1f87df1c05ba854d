"""The policy activities on task queue ``gpu``: thin Temporal wrappers around :mod:`autocode_gpu.policy`
and the node kinds of :mod:`autocode_gpu.nodes` (``behavior_logprobs`` and ``policy_update`` take a
NodeRequest and return a NodeResult, as every pipeline node does).

Training activities heartbeat every step (step, loss, tokens/s), and every activity from a liveness
thread besides (:mod:`autocode_gpu.liveness`); Temporal's cancellation arrives as
an exception raised inside the activity thread, and the optimizer step and checkpoint writes are
shielded from it, so a cancelled run stops at a step boundary with its last step saved.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from temporalio import activity

from .engine import Engine, describe
from .liveness import alive
from .nodes import NODES
from .paths import local_path
from .policy import run_logprobs
from .pool import ServerPool
from .server import PolicyServer
from .supervise import run as ranked
from .wire import validate, with_defaults

_server: PolicyServer | None = None
_pool: ServerPool | None = None
_server_lock = threading.Lock()


_shield = activity.shield_thread_cancel_exception


@activity.defn(name="policy_sft")
def policy_sft(payload: dict[str, Any]) -> dict[str, Any]:
    out = alive(lambda beat: ranked("sft", payload, beat, _shield))  # hyper.ranks: supervise.py
    return validate("PolicyTrainOutput", out)


@activity.defn(name="policy_update")
def policy_update(request: dict[str, Any]) -> dict[str, Any]:
    """NodeRequest -> NodeResult (output checkpoint)."""
    return alive(lambda beat: ranked("policy_update", request, beat, _shield))  # params.ranks: supervise.py


@activity.defn(name="behavior_logprobs")
def behavior_logprobs(request: dict[str, Any]) -> dict[str, Any]:
    """NodeRequest -> NodeResult (output train: the rescored set)."""
    return alive(lambda beat: NODES["behavior_logprobs"](request, beat, _shield))


@activity.defn(name="policy_logprobs")
def policy_logprobs(payload: dict[str, Any]) -> dict[str, Any]:
    out = alive(lambda beat: run_logprobs(payload, beat, _shield))
    return validate("PolicyLogprobsOutput", out)


def serve(payload: dict[str, Any]) -> dict[str, Any]:
    """Starts this process's inference server on the checkpoint, or swaps the running server's weights;
    with ``replicas > 1``, the same through a pool of child servers (:mod:`autocode_gpu.pool`)."""
    global _server
    req = with_defaults("PolicyLoadInput", payload)
    path = local_path(req["checkpoint"]["uri"])
    if req["replicas"] > 1:
        # Bound and advertised as the in-process server's (AUTOCODE_SERVE_HOST on a cluster).
        return _serve_pool(
            req, path, payload.get("host") or os.environ.get("AUTOCODE_SERVE_HOST") or req["host"]
        )
    _stop_pool()
    with _server_lock:
        if _server is None:
            engine = Engine(Path(path), req["device"], req["dtype"], req["max_batch_size"])
            server = PolicyServer(engine, req["served_model_name"])
            # On a cluster the rollouts run on other hosts: AUTOCODE_SERVE_HOST is the address of this
            # host they reach it at (bound and advertised); a host given in the request wins.
            host = payload.get("host") or os.environ.get("AUTOCODE_SERVE_HOST") or req["host"]
            server.start(host, req["port"])
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


def _serve_pool(req: dict[str, Any], path: Path, host: str) -> dict[str, Any]:
    global _pool
    stop_in_process()
    with _server_lock:
        if _pool is not None and _pool.n != req["replicas"]:
            _pool.stop()
            _pool = None
        if _pool is None:
            _pool = ServerPool(
                req["replicas"],
                host=host,
                port=req["port"],
                served_model_name=req["served_model_name"],
                device=req["device"],
                dtype=req["dtype"],
                max_batch_size=req["max_batch_size"],
            )
            reloaded = False
        else:
            reloaded = True
        # Returns once every replica reports this checkpoint: nothing samples from a mixed pool.
        served = _pool.serve(path)
        first = served[0]
        return {
            "base_url": f"{first['url']}/v1",
            "base_urls": [f"{r['url']}/v1" for r in served],
            "model": req["served_model_name"],
            "checkpoint": req["checkpoint"],
            "weights_version": first["weights_version"],
            "reloaded": reloaded,
            "device": first["device"],
            "dtype": first["dtype"],
            "max_model_len": first["max_model_len"],
        }


def _stop_pool() -> None:
    global _pool
    with _server_lock:
        if _pool is not None:
            _pool.stop()
            _pool = None


def stop_in_process() -> None:
    global _server
    with _server_lock:
        if _server is not None:
            _server.stop()
            _server = None


def stop_server() -> None:
    """Stops whatever serves: the in-process server and every pool replica."""
    stop_in_process()
    _stop_pool()


@activity.defn(name="policy_load")
def policy_load(payload: dict[str, Any]) -> dict[str, Any]:
    # Loading weights (and starting the server) can take minutes on a large model.
    return validate("PolicyLoadOutput", alive(lambda _beat: serve(payload)))
