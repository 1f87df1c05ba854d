"""The update under torch.distributed ranks: real torchrun, real gloo ranks on CPU, the Temporal SDK's
activity environment. Two ranks train what one rank trains; a cancel ends every rank; a rank killed
with SIGKILL fails the attempt naming it, and the retry finishes where an undisturbed run does.

Tolerance: both runs deal the same micro-batches (same padding, same kernels), so the only difference
is the float32 order in which a step's gradients are summed (one rank accumulates micro-batch 0 then
1; two ranks all-reduce them) and DDP's 1/ranks scaling. For two ranks that is at most rounding,
and AdamW on the tiny model keeps it at rounding: 1e-5 on every parameter and the final loss.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest
import torch
from conftest import node_request
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import ActivityEnvironment
from test_update import HYPER, train_ref  # noqa: F401  (the module fixture)

from autocode_gpu.checkpoint import load_policy
from autocode_gpu.paths import local_path, work_root
from autocode_gpu.policy_activities import policy_update

# 24 rows, 4 sequences a step (2 micro-batches of 2: one per rank), 4 epochs: 24 steps. Heartbeats
# sample rank 0's progress every 0.2 s, and a step takes milliseconds: with 12 steps the run could
# finish between the step-7 heartbeat and the kill it triggers, and the test then found no step file.
RUN = {**HYPER, "batch_size": 2, "grad_accum": 2, "epochs": 4, "seed": 3, "checkpoint_every": 2}
TOTAL = 24
TOL = 1e-5


def processes_under(path: Path) -> list[int]:
    """Live processes whose command line names ``path`` (torchrun and its ranks name the run folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(path) in cmd and "autocode_gpu.ranks" in cmd and state not in ("Z", "X"):
            found.append(int(proc.name))
    return found


def describe_process(pid: int) -> str:
    """pid, parent, state and command line: what a leftover process was, for an assertion message."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return f"{pid} (gone)"
    return f"{pid} (parent {stat[1]}, state {stat[0]}): {cmd[:200]}"


def rank_pid(rank: int) -> int:
    (pid_file,) = work_root().glob(f"ranks-*/rank-{rank}.pid")
    return int(pid_file.read_text())


def taken(out: dict) -> tuple[dict, dict[str, torch.Tensor]]:
    """(metrics, parameters) of a finished update, its checkpoint then removed from the store: the
    runs share one content key, and the next one must train rather than find it."""
    path = local_path(out["checkpoint"]["uri"])
    model, _ = load_policy(path, "cpu", "float32")
    state = {k: v.clone() for k, v in model.state_dict().items()}
    shutil.rmtree(path)
    return out["metrics"], state


def saved_steps(key: str) -> list[int]:
    return sorted(int(p.name[5:13]) for p in (work_root() / key).glob("step-*.pt"))


def assert_same_params(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    worst = 0.0
    for name in a:
        diff = float((a[name] - b[name]).abs().max())
        assert diff <= TOL, f"{name} differs by {diff}"
        worst = max(worst, diff)
    return worst


@pytest.fixture(scope="module")
def one_rank(train_ref: dict, ckpt_a: Path) -> tuple[str, dict, dict[str, torch.Tensor]]:  # noqa: F811
    """The reference: the same update in the worker's own process: (key, metrics, parameters)."""
    out = ActivityEnvironment().run(policy_update, node_request("policy_update", RUN, train_ref, ckpt_a))
    return (out["checkpoint"]["key"], *taken(out))


def test_two_ranks_train_what_one_rank_trains(one_rank: tuple, train_ref: dict, ckpt_a: Path) -> None:  # noqa: F811
    key, m1, p1 = one_rank
    env = ActivityEnvironment()
    beats: list[dict] = []
    env.on_heartbeat = lambda *d: beats.append(d[0]) if d else None
    two = env.run(policy_update, node_request("policy_update", {**RUN, "ranks": 2}, train_ref, ckpt_a))
    # The ranks are launch options: the same update, the same content key.
    assert two["checkpoint"]["key"] == key
    m2, p2 = taken(two)
    assert m2["steps"] == m1["steps"] == TOTAL and m2["cached"] is False
    assert m2["tokens"] == m1["tokens"]  # every sequence seen once per epoch, summed over the ranks
    assert abs(m2["final_loss"] - m1["final_loss"]) <= TOL
    assert abs(m2["mean_ratio"] - m1["mean_ratio"]) <= TOL
    # Rank 0's progress reached the activity's heartbeat, every step of it.
    assert [b["step"] for b in beats if "step" in b][-1] == TOTAL
    assert {b["step"] for b in beats if "step" in b} == set(range(1, TOTAL + 1))
    worst = assert_same_params(p1, p2)
    print(f"largest parameter difference, 2 ranks vs 1: {worst:.3g}")
    assert not processes_under(work_root())
    assert not list(work_root().glob("ranks-*"))  # the run folder goes with the run


def test_cancel_and_a_killed_rank_leave_no_rank_and_the_retry_finishes_the_same(
    one_rank: tuple,
    train_ref: dict,  # noqa: F811
    ckpt_a: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, m1, p1 = one_rank
    req = node_request("policy_update", {**RUN, "ranks": 2}, train_ref, ckpt_a)
    # The launch's torchrun log goes with its run folder: keep its end for the assertion messages.
    logs: list[str] = []
    rmtree = shutil.rmtree

    def keep_log(path: Path, *args: object, **kwargs: object) -> None:
        log = Path(path) / "torchrun.log"
        if log.is_file():
            logs.append(log.read_text(errors="replace")[-2500:])
        rmtree(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shutil, "rmtree", keep_log)

    # 1. Temporal cancels the activity at step 3: every rank stops, rank 0 saves the step it finished.
    env = ActivityEnvironment()
    seen: list[int] = []
    live: list[int] = []

    def cancel_at_3(*d: dict) -> None:
        if d and "step" in d[0]:
            seen.append(d[0]["step"])
            if d[0]["step"] == 3 and not live:
                live.extend(processes_under(work_root()))
                env.cancel()

    env.on_heartbeat = cancel_at_3
    with pytest.raises(CancelledError):
        env.run(policy_update, req)
    assert len(live) >= 3  # torchrun and its two ranks were running
    assert not processes_under(work_root()), "a rank outlived the cancelled activity"
    assert not list(work_root().glob("ranks-*"))  # nor did its run folder
    saved = saved_steps(key)
    assert saved and 3 <= saved[-1] < TOTAL, f"saved {saved}, progress seen {seen}; torchrun: {logs[-1:]}"

    # 2. The retry resumes there; rank 1 is killed with SIGKILL at step 7: a retryable error naming it.
    env = ActivityEnvironment()
    killed: list[int] = []

    def kill_rank_1_at_7(*d: dict) -> None:
        # The first progress at or past step 7 (heartbeats sample progress: a fast step can be skipped).
        if d and 7 <= d[0].get("step", 0) < TOTAL and not killed:
            killed.append(rank_pid(1))
            os.kill(killed[0], signal.SIGKILL)

    env.on_heartbeat = kill_rank_1_at_7
    with pytest.raises(ApplicationError) as err:
        env.run(policy_update, req)
    assert killed, "the retry never reached step 7"
    assert not err.value.non_retryable and err.value.type == "RankDied"
    assert "rank 1" in str(err.value) and f"pid {killed[0]}" in str(err.value) and "SIGKILL" in str(err.value)
    # Survivors get SIGTERM and finish their step, SIGKILL after the supervisor's 30 s grace.
    at_failure = {pid: describe_process(pid) for pid in processes_under(work_root())}
    deadline = time.monotonic() + 45
    while processes_under(work_root()) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = processes_under(work_root())
    assert not left, f"a rank outlived the failed attempt: {left}; at the failure: {at_failure}; {logs[-1:]}"
    saved = saved_steps(key)
    assert saved and 6 <= saved[-1] < TOTAL  # nothing finished is lost: step 6 (or 7) is on disk

    # 3. The next retry resumes from that step and ends where the undisturbed one-rank run ends.
    out = ActivityEnvironment().run(policy_update, req)
    assert out["metrics"]["resumed_from_step"] == saved[-1] and out["metrics"]["steps"] == TOTAL
    assert out["checkpoint"]["key"] == key
    m3, p3 = taken(out)
    assert_same_params(p1, p3)
    assert abs(m3["final_loss"] - m1["final_loss"]) <= TOL
    assert not saved_steps(key)  # step checkpoints go once the checkpoint is written


def test_bad_launch_options_name_the_field(train_ref: dict, ckpt_a: Path) -> None:  # noqa: F811
    for bad, field in (({"ranks": 0}, "params.ranks"), ({"backend": "mpi"}, "params.backend")):
        with pytest.raises(ApplicationError) as err:
            ActivityEnvironment().run(
                policy_update, node_request("policy_update", {**RUN, **bad}, train_ref, ckpt_a)
            )
        assert err.value.non_retryable and field in str(err.value)
