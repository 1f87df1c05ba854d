"""One torch.distributed rank of an update or SFT run: ``python -m autocode_gpu.ranks <job> <run dir>``,
started by torchrun (the activity's supervisor, :mod:`autocode_gpu.supervise`, launches it).

Every rank runs the same job on the same request; :mod:`autocode_gpu.trainer` splits each optimizer
step's sequences across the ranks and averages their gradients (DDP), and only rank 0 writes step
checkpoints, the progress lines the activity heartbeats with, and the result. A rank that fails
leaves ``error-rank<r>.json`` (what it raised) so the supervisor can say which rank and why.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUEST_FILE = "request.json"
PROGRESS_FILE = "progress.jsonl"
RESULT_FILE = "result.json"
STOPPED_EXIT = 3  # the ranks stopped at a step boundary on SIGTERM (cancellation)


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def world() -> World:
    """This process's place among the ranks; World(0, 1) outside torch.distributed (the in-process path)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size())
    return World()


class StopRequested(Exception):
    """SIGTERM reached a rank: every rank stops at the same step boundary, the step saved."""


_stop = False
_training = False


def stop_requested() -> bool:
    return _stop


def training(active: bool) -> None:
    """Inside the training loop a SIGTERM waits for the step boundary; outside it ends the rank at once."""
    global _training
    _training = active


def _on_sigterm(signum: int, _frame: Any) -> None:
    global _stop
    _stop = True
    if not _training:
        raise SystemExit(128 + signum)


def _die_with_parent() -> None:
    """torchrun starts each rank in its own session, so a killed launcher would leave it running:
    the kernel sends SIGKILL to this rank when its parent (torchrun's agent) dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the prctl took effect
            os._exit(1)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def _error_record(e: BaseException, rank: int) -> dict[str, Any]:
    from temporalio.exceptions import ApplicationError

    return {
        "rank": rank,
        "pid": os.getpid(),
        "application": isinstance(e, ApplicationError),
        "type": e.type if isinstance(e, ApplicationError) and e.type else type(e).__name__,
        "message": e.message if isinstance(e, ApplicationError) else str(e),
        "non_retryable": bool(getattr(e, "non_retryable", False)),
        "traceback": "".join(traceback.format_exception(e))[-4000:],
    }


def jobs() -> dict[str, Any]:
    """The jobs a rank can run, taking the request with the launch options already removed."""
    from .nodes import NODES
    from .policy import run_sft, run_update

    return {"sft": run_sft, "update": run_update, "policy_update": NODES["policy_update"]}


def main(argv: list[str] | None = None) -> None:
    job, run_dir = (argv or sys.argv[1:])[:2]
    run = Path(run_dir)
    rank = int(os.environ["RANK"])
    _die_with_parent()
    signal.signal(signal.SIGTERM, _on_sigterm)
    (run / f"rank-{rank}.pid").write_text(str(os.getpid()))

    import torch
    import torch.distributed as dist

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    backend = os.environ.get("AUTOCODE_RANK_BACKEND", "auto")
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))  # "cuda" is this rank's own device
    try:
        dist.init_process_group(backend)
        request = json.loads((run / REQUEST_FILE).read_text())
        progress_path = run / PROGRESS_FILE

        def report(d: dict[str, Any]) -> None:
            if rank == 0:
                with progress_path.open("a") as f:
                    f.write(json.dumps(d) + "\n")

        result = jobs()[job](request, report, contextlib.nullcontext)
        if rank == 0:
            _write_atomic(run / RESULT_FILE, json.dumps(result))
        dist.destroy_process_group()
    except StopRequested:
        sys.exit(STOPPED_EXIT)
    except BaseException as e:
        if not isinstance(e, SystemExit):
            _write_atomic(run / f"error-rank{rank}.json", json.dumps(_error_record(e, rank)))
        raise


if __name__ == "__main__":
    main()
