"""Liveness heartbeats: while an activity runs, a thread heartbeats every ``LIVENESS_S`` with the
activity's last progress, so a torch step or checkpoint write that blocks the activity thread for
minutes still heartbeats and a killed worker is noticed within the heartbeat timeout (the TS worker
does the same from a timer; both follow ``LIVENESS`` in schemas/queues.ts).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from temporalio import activity

LIVENESS_S = 5.0  # schemas/queues.ts LIVENESS.every_ms
T = TypeVar("T")
Heartbeat = Callable[..., None]


def alive(job: Callable[[Heartbeat], T]) -> T:
    """Runs ``job(heartbeat)`` in the current activity with a liveness thread beside it."""
    last: tuple[Any, ...] = ()
    logged = 0.0
    name = activity.info().activity_type

    def heartbeat(*details: Any) -> None:
        nonlocal last, logged
        last = details
        activity.heartbeat(*details)
        # The worker's log shows the progress too (steps, loss, rows), at most once per interval.
        now = time.monotonic()
        if now - logged >= LIVENESS_S:
            logged = now
            logging.getLogger("autocode_gpu").info("%s %s", name, details[0] if details else "")

    # The heartbeat function lives in the activity's context: the thread runs in a copy of it.
    context = contextvars.copy_context()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(LIVENESS_S):
            context.run(activity.heartbeat, *last)

    thread = threading.Thread(target=beat, name="liveness", daemon=True)
    thread.start()
    try:
        return job(heartbeat)
    finally:
        stop.set()
        thread.join()
