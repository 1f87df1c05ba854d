"""Liveness heartbeats: an activity whose work blocks without reporting still heartbeats (with its
last progress) at the shipped interval, so the 20 s heartbeat timeout measures whether the worker is
alive, not how long a torch step takes."""

from __future__ import annotations

import logging
import time

from temporalio import activity
from temporalio.testing import ActivityEnvironment

from autocode_gpu.liveness import LIVENESS_S, alive


def test_a_silent_job_heartbeats_its_last_progress_at_the_shipped_interval(caplog) -> None:
    caplog.set_level(logging.INFO, logger="autocode_gpu")
    beats: list[tuple] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)

    @activity.defn(name="silent")
    def silent() -> str:
        def job(beat) -> str:
            beat({"step": 1})
            time.sleep(2 * LIVENESS_S + 1)  # a step that blocks, reporting nothing
            return "done"

        return alive(job)

    started = time.monotonic()
    assert env.run(silent) == "done"
    assert time.monotonic() - started < 3 * LIVENESS_S
    # The job's own beat, then at least two from the liveness thread repeating it.
    assert beats[0] == ({"step": 1},)
    assert len(beats) >= 3
    assert all(b == ({"step": 1},) for b in beats)
    # The worker's log shows the job's progress too.
    assert any(r.name == "autocode_gpu" and "'step': 1" in r.getMessage() for r in caplog.records)
