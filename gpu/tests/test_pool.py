"""The embedded inference pool: policy_load with replicas > 1 runs real child servers, reloads every one,
restarts one that died, names the url of one that cannot load, and leaves no process behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from autocode_gpu.policy_activities import policy_load, stop_server


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def complete(root: str, seed: int) -> list[int]:
    body = {"model": "policy", "prompt": "User: What is 12 + 3?", "max_tokens": 12, "seed": seed}
    body |= {"temperature": 1.0, "return_token_ids": True, "ignore_eos": True}
    req = urllib.request.Request(
        f"{root}/v1/completions", json.dumps(body).encode(), {"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["choices"][0]["token_ids"]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): read its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def wait_gone(pids: list[int], within_s: float) -> list[int]:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.2)
    return [p for p in pids if pid_alive(p)]


def test_pool_serves_reloads_restarts_and_stops(ckpt_a: Path, ckpt_b: Path) -> None:
    env = ActivityEnvironment()
    load = {"device": "cpu", "replicas": 2}
    try:
        first = env.run(policy_load, {"checkpoint": {"uri": str(ckpt_a)}, **load})
        urls = [u.removesuffix("/v1") for u in first["base_urls"]]
        assert len(set(urls)) == 2 and first["base_url"] == first["base_urls"][0]
        assert first["reloaded"] is False
        infos = [get(f"{u}/get_model_info") for u in urls]
        assert [i["model_path"] for i in infos] == [str(ckpt_a)] * 2
        pids = [get(f"{u}/health") for u in urls]  # both answer /health too
        assert all(p["checkpoint"] == str(ckpt_a) for p in pids)
        # Two processes, same weights, same seed: the same tokens (what makes a retry elsewhere safe).
        assert complete(urls[0], 7) == complete(urls[1], 7)

        second = env.run(policy_load, {"checkpoint": {"uri": str(ckpt_b)}, **load})
        assert second["reloaded"] is True and second["base_urls"] == first["base_urls"]
        for u in urls:
            info = get(f"{u}/get_model_info")
            assert info["model_path"] == str(ckpt_b) and info["weights_version"] == 2

        # kill -9 of one replica: the next policy_load starts it again, on its old port, serving b.
        victim = urls[1]
        victim_pid = _pid_of(victim)
        os.kill(victim_pid, signal.SIGKILL)
        assert wait_gone([victim_pid], 10) == []
        third = env.run(policy_load, {"checkpoint": {"uri": str(ckpt_b)}, **load})
        assert third["base_urls"] == first["base_urls"]
        assert _pid_of(victim) != victim_pid
        assert get(f"{victim}/get_model_info")["model_path"] == str(ckpt_b)
        assert get(f"{urls[0]}/get_model_info")["weights_version"] == 2  # the live one was left alone
        live = [_pid_of(u) for u in urls]
    finally:
        stop_server()
    assert wait_gone(live, 15) == []


def test_a_replica_that_cannot_load_is_named(ckpt_a: Path, tmp_path: Path) -> None:
    # Outside the store no manifest is needed, so only loading finds the corrupt config.
    broken = tmp_path / "broken"
    shutil.copytree(ckpt_a, broken, ignore=shutil.ignore_patterns("_manifest.json"))
    (broken / "config.json").write_text("{not json")
    env = ActivityEnvironment()
    try:
        first = env.run(policy_load, {"checkpoint": {"uri": str(ckpt_a)}, "device": "cpu", "replicas": 2})
        with pytest.raises(ApplicationError) as err:
            env.run(policy_load, {"checkpoint": {"uri": str(broken)}, "device": "cpu", "replicas": 2})
        assert err.value.non_retryable
        assert "does not load" in str(err.value)
        assert any(u.removesuffix("/v1") in str(err.value) for u in first["base_urls"])
        # Both keep serving the old weights.
        for u in first["base_urls"]:
            assert get(f"{u.removesuffix('/v1')}/get_model_info")["model_path"] == str(ckpt_a)
        with pytest.raises(ApplicationError) as err:
            env.run(policy_load, {"checkpoint": {"uri": str(tmp_path / "missing")}, "replicas": 2})
        assert err.value.non_retryable and "does not exist" in str(err.value)
    finally:
        stop_server()


def test_replicas_exit_with_their_worker_after_kill_9(ckpt_a: Path) -> None:
    # A stand-in for the gpu worker: a process that starts a pool and waits; kill -9 gives it no
    # chance to clean up, so only the replicas' stdin watch can end them.
    script = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from autocode_gpu.pool import ServerPool\n"
        "pool = ServerPool(2, device='cpu')\n"
        "served = pool.serve(Path(sys.argv[1]))\n"
        "print(json.dumps([s['pid'] for s in served]), flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(ckpt_a)], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        children = json.loads(parent.stdout.readline())
        assert len(children) == 2 and all(pid_alive(p) for p in children)
    finally:
        parent.kill()
        parent.wait()
    assert wait_gone(children, 15) == []


def _pid_of(root: str) -> int:
    from autocode_gpu import policy_activities

    pool = policy_activities._pool
    assert pool is not None
    return next(r.proc.pid for r in pool.replicas if r is not None and r.url == root)
