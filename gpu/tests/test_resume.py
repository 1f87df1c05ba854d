"""A real worker process killed with SIGKILL mid-update resumes from its last step checkpoint."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from test_update import HYPER, train_ref  # noqa: F401  (the module fixture)

from autocode_gpu.checkpoint import load_policy
from autocode_gpu.paths import local_path, work_root
from autocode_gpu.policy import run_update

SRC = Path(__file__).resolve().parents[1] / "src"


def test_killed_update_resumes_from_its_step_checkpoint(
    train_ref: dict,  # noqa: F811
    ckpt_a: Path,
    store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    req = {
        "policy": {"uri": str(ckpt_a)},
        "train": train_ref,
        "hyper": {**HYPER, "batch_size": 2, "grad_accum": 2, "epochs": 5, "checkpoint_every": 2},
    }
    total = 30
    # Step files another test left behind (one that failed mid-run) are not this run's.
    before = set(work_root().glob("*/step-*.pt"))

    def step_files() -> list[Path]:
        return sorted(set(work_root().glob("*/step-*.pt")) - before)

    env = {**os.environ, "PYTHONPATH": str(SRC), "AUTOCODE_STORE": str(store), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "autocode_gpu.jobs", "update", json.dumps(req)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = 0
    deadline = time.monotonic() + 120
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("{"):
                seen = json.loads(line)["step"]
                # Step 4 is saved before step 5 is reported.
                if seen >= 5:
                    proc.send_signal(signal.SIGKILL)
                    break
            assert time.monotonic() < deadline, "the update never reached step 5"
    finally:
        proc.kill()
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    steps = [p.name for p in step_files()]
    assert steps, "no step checkpoint on disk"
    saved = max(int(s[5:13]) for s in steps)
    assert 4 <= saved < total

    resumed = run_update(req)["metrics"]
    assert resumed["resumed_from_step"] == saved
    assert resumed["steps"] == total and resumed["cached"] is False
    assert not step_files()  # cleaned up once the checkpoint is written

    # The resumed run ends where an uninterrupted one does (same data order, optimizer state restored).
    # Another store holding the same inputs (refs are relative to the root) and no finished checkpoint.
    other = tmp_path / "other-store"
    shutil.copytree(store, other, ignore=shutil.ignore_patterns("checkpoints", "_work"))
    monkeypatch.setenv("AUTOCODE_STORE", str(other))
    straight = run_update(req)
    assert straight["metrics"]["resumed_from_step"] == 0
    monkeypatch.setenv("AUTOCODE_STORE", str(store))
    a, _ = load_policy(local_path(run_update(req)["checkpoint"]["uri"]), "cpu", "float32")
    b, _ = load_policy(local_path(straight["checkpoint"]["uri"]), "cpu", "float32")
    for (name, pa_), (_, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.allclose(pa_, pb, atol=1e-4), name
