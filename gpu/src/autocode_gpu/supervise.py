"""The activity's side of a multi-rank run: launch N ranks under torchrun, heartbeat with rank 0's
progress, stop every rank on cancellation, and turn a failed rank into an error that names it.

``ranks`` and ``backend`` (schemas/policy.ts) are launch options, not training settings: they are
taken out of the request before the job sees it, so the checkpoint's content key, and the job itself,
are those of the one-rank run. ``ranks`` unset or 1 runs the job in this process as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.exceptions import ApplicationError

from .errors import bad_input
from .inputs import Guard, Progress, quiet
from .paths import work_root
from .ranks import PROGRESS_FILE, REQUEST_FILE, RESULT_FILE, jobs

LAUNCH_FIELDS = ("ranks", "backend")
BACKENDS = ("auto", "gloo", "nccl")
POLL_S = 0.2
STOP_GRACE_S = 30.0  # a rank told to stop gets this long to save its step before SIGKILL
SRC = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Launch:
    ranks: int = 1
    backend: str = "auto"


def settings_of(job: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(field path, the dict holding the training settings) of a job's request."""
    where = "params" if job == "policy_update" else "hyper"
    value = payload.get(where)
    return where, value if isinstance(value, dict) else {}


def split_launch(job: str, payload: dict[str, Any]) -> tuple[dict[str, Any], Launch]:
    """The request without the launch options, and those options (checked: the error names the field)."""
    where, settings = settings_of(job, payload)
    ranks = settings.get("ranks", 1)
    backend = settings.get("backend", "auto")
    if isinstance(ranks, bool) or not isinstance(ranks, int) or not 1 <= ranks <= 64:
        raise bad_input(f"{where}.ranks must be an integer from 1 to 64, not {ranks!r}")
    if backend not in BACKENDS:
        raise bad_input(f"{where}.backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if not any(k in settings for k in LAUNCH_FIELDS):
        return payload, Launch()
    rest = {k: v for k, v in settings.items() if k not in LAUNCH_FIELDS}
    return {**payload, where: rest}, Launch(ranks, backend)


def run(
    job: str, payload: dict[str, Any], progress: Progress = quiet, guard: Guard = contextlib.nullcontext
) -> dict[str, Any]:
    """Runs ``job`` ("sft", "update" or "policy_update") on as many ranks as its request asks for."""
    request, launch = split_launch(job, payload)
    if launch.ranks == 1:
        return jobs()[job](request, progress, guard)
    return Ranks(job, request, launch).run(progress, guard)


def _die_with_parent() -> None:
    """torchrun gets SIGTERM when this worker process dies (even by SIGKILL): no orphan launcher."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie has finished)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _signal_name(code: int) -> str:
    with contextlib.suppress(ValueError):
        return f"signal {-code} ({signal.Signals(-code).name})"
    return f"signal {-code}"


# torchrun's failure report: "rank      : 1 (local_rank: 1)" then "exitcode  : -9 (pid: 1234)".
_FAILURE = re.compile(
    r"rank\s*:\s*(\d+)\s*\(local_rank:\s*(\d+)\)\s*\n\s*exitcode\s*:\s*(-?\d+)\s*\(pid:\s*(\d+)\)"
)


class Ranks:
    """One launch of ``launch.ranks`` ranks on this host; its files live in a run folder under _work."""

    def __init__(self, job: str, request: dict[str, Any], launch: Launch) -> None:
        self.job, self.request, self.launch = job, request, launch
        self.dir = work_root() / f"ranks-{uuid.uuid4().hex[:12]}"
        self.log = self.dir / "torchrun.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._read = 0

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",  # one host: c10d rendezvous on a free local port
            f"--nproc-per-node={self.launch.ranks}",
            "--max-restarts=0",  # a retry is Temporal's, from the last step checkpoint
            "--monitor-interval=0.5",
            "-m",
            "autocode_gpu.ranks",
            self.job,
            str(self.dir),
        ]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        # The host's cores shared out: each rank gets its share of threads unless the caller set them.
        threads = max(1, (os.cpu_count() or 1) // self.launch.ranks)
        env.setdefault("OMP_NUM_THREADS", str(threads))
        env["AUTOCODE_RANK_BACKEND"] = self.launch.backend
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
        return env

    def run(self, progress: Progress, guard: Guard = contextlib.nullcontext) -> dict[str, Any]:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / REQUEST_FILE).write_text(json.dumps(self.request))
        try:
            with self.log.open("wb") as log:
                self.proc = subprocess.Popen(
                    self.command(),
                    env=self.env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
            while self.proc.poll() is None:
                self._forward(progress)
                time.sleep(POLL_S)  # cancellation (an exception Temporal raises here) lands between polls
            self._forward(progress)
            if self.proc.returncode != 0:
                raise self.failure(self.proc.returncode)
            return json.loads((self.dir / RESULT_FILE).read_text())
        finally:
            with guard():  # a cancelled activity still ends every rank before it returns
                self.stop()
                shutil.rmtree(self.dir, ignore_errors=True)

    def _forward(self, progress: Progress) -> None:
        """Hands rank 0's new progress lines to ``progress`` (the activity's heartbeat)."""
        path = self.dir / PROGRESS_FILE
        if not path.exists():
            return
        with path.open() as f:
            f.seek(self._read)
            for line in iter(f.readline, ""):
                if not line.endswith("\n"):
                    break  # rank 0 is still writing it
                self._read += len(line)
                progress(json.loads(line))

    def rank_pids(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for p in self.dir.glob("rank-*.pid"):
            with contextlib.suppress(ValueError, OSError):
                out[int(p.stem.split("-")[1])] = int(p.read_text())
        return out

    def stop(self) -> None:
        """Ends the launcher and every rank: SIGTERM (ranks save their step and exit), SIGKILL after
        the grace; returns once none is left."""
        pids = self.rank_pids()
        procs = list(pids.values())
        if self.proc is not None and self.proc.poll() is None:
            procs.append(self.proc.pid)
        live = [p for p in procs if _alive(p)]
        if not live:
            return
        for p in live:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while any(_alive(p) for p in live) and time.monotonic() < deadline:
            if self.proc is not None:
                self.proc.poll()  # reap the launcher
            time.sleep(POLL_S)
        for p in live:
            if _alive(p):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        while any(_alive(p) for p in live) and time.monotonic() < deadline + 10:
            time.sleep(POLL_S)

    def failure(self, code: int) -> ApplicationError:
        """The error of a launch that ended with ``code``: a rank's bad input stays non-retryable; a
        rank that died (a signal, the OOM killer, a lost host) is retryable, and the retry resumes
        from the last step checkpoint."""
        records = []
        for p in sorted(self.dir.glob("error-rank*.json")):
            with contextlib.suppress(ValueError, OSError):
                records.append(json.loads(p.read_text()))
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        deaths = [
            (int(r), int(c), int(pid))
            for r, _lr, c, pid in _FAILURE.findall(tail)
            if int(c) < 0 and not any(rec["rank"] == int(r) for rec in records)
        ]
        # torchrun sends SIGTERM to the surviving ranks once one dies: name the rank that died first.
        deaths.sort(key=lambda d: d[1] == -signal.SIGTERM)
        what = f"{self.job} under {self.launch.ranks} ranks"
        if deaths:
            rank, c, pid = deaths[0]
            return ApplicationError(
                f"{what}: rank {rank} (pid {pid}) died: {_signal_name(c)}; "
                "the retry resumes from the last step checkpoint",
                {"rank": rank, "exitcode": c, "pid": pid},
                type="RankDied",
            )
        bad = [r for r in records if r["application"]]
        if bad:
            r = bad[0]
            return ApplicationError(
                f"{what}: rank {r['rank']}: {r['message']}", type=r["type"], non_retryable=r["non_retryable"]
            )
        if records:
            r = records[0]
            return ApplicationError(
                f"{what}: rank {r['rank']} failed: {r['type']}: {r['message']}",
                {"rank": r["rank"], "traceback": r["traceback"]},
                type="RankFailed",
            )
        failed = _FAILURE.findall(tail)
        if failed:
            r, _lr, c, pid = failed[0]
            return ApplicationError(
                f"{what}: rank {r} (pid {pid}) exited with code {c}", {"log": tail[-1500:]}, type="RankFailed"
            )
        return ApplicationError(
            f"{what}: torchrun exited with code {code} before any rank reported; its log ends: {tail[-800:]}",
            type="RankFailed",
        )
