"""The gpu side of the smoke workflow: proves the ``gpu`` queue is served and heartbeats work."""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Any

import torch
from temporalio import activity

from .wire import validate


@activity.defn(name="gpu_echo")
def gpu_echo(payload: dict[str, Any]) -> dict[str, Any]:
    req = validate("GpuEchoInput", payload)
    info = activity.info()
    deadline = time.monotonic() + float(req["work_seconds"])
    beats = 0
    while time.monotonic() < deadline:
        activity.heartbeat({"beats": beats})
        beats += 1
        time.sleep(0.2)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return validate(
        "WorkerEcho",
        {
            "worker": "python",
            "task_queue": info.task_queue,
            "message": req["message"],
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "runtime": f"python {sys.version.split()[0]}, torch {torch.__version__} on {device}",
            "attempt": info.attempt,
        },
    )
