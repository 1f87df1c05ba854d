"""An embedded inference pool: N ``python -m autocode_gpu.server`` child processes behind one serve target.

``policy_load`` with ``replicas > 1`` serves through this instead of the worker's in-process server. Each
child is one replica: its own process (its own GIL, engine and batches), its own device where there are
several GPUs (``CUDA_VISIBLE_DEVICES``), on CPU an even share of the cores (``--threads``). Loading a
checkpoint restarts a replica that died, reloads the live ones over the same HTTP call external SGLang
servers take (``/update_weights_from_disk``), and returns only once every replica reports the checkpoint
on ``/get_model_info``. Children exit when their stdin closes: the worker holds the other end, so they go
when it goes, kill -9 included; ``stop()`` ends them at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.exceptions import ApplicationError

from .checkpoint import check_checkpoint

log = logging.getLogger(__name__)

# Loading a large checkpoint takes minutes; the liveness thread heartbeats meanwhile.
START_TIMEOUT_S = 900.0
RELOAD_TIMEOUT_S = 900.0
STOP_GRACE_S = 10.0


def _failure(message: str, *, retryable: bool) -> ApplicationError:
    return ApplicationError(
        message, type="PoolServeFailed" if retryable else "PoolServeRejected", non_retryable=not retryable
    )


def _http(method: str, url: str, body: dict[str, Any] | None, timeout: float) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"{}")
        except ValueError:
            return e.code, {}


@dataclass
class Replica:
    index: int
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def served(self, timeout: float = 10.0) -> dict[str, Any]:
        """What the replica reports serving (SGLang's /get_model_info)."""
        status, body = _http("GET", f"{self.url}/get_model_info", None, timeout)
        if status != 200 or not isinstance(body.get("model_path"), str):
            raise OSError(f"{self.url}/get_model_info answered HTTP {status} without a model_path")
        return body


class ServerPool:
    def __init__(
        self,
        replicas: int,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        served_model_name: str = "policy",
        device: str = "auto",
        dtype: str = "auto",
        max_batch_size: int = 64,
    ) -> None:
        self.n, self.host, self.port = replicas, host, port
        self.served_model_name, self.device, self.dtype = served_model_name, device, dtype
        self.max_batch_size = max_batch_size
        self.replicas: list[Replica | None] = [None] * replicas
        self._lock = threading.Lock()
        self.restarts = 0

    # ----- placement -----
    def _placement(self, index: int) -> tuple[dict[str, str], int]:
        """Environment and torch threads of replica ``index``: a GPU of its own where there are several,
        else an even share of the CPU cores."""
        env = dict(os.environ)
        threads = max(1, (os.cpu_count() or 1) // self.n)
        if self.device in ("auto", "cuda"):
            import torch

            count = torch.cuda.device_count() if torch.cuda.is_available() else 0
            if count > 1:
                visible = env.get("CUDA_VISIBLE_DEVICES")
                ids = visible.split(",") if visible else [str(i) for i in range(count)]
                env["CUDA_VISIBLE_DEVICES"] = ids[index % len(ids)]
        # Several processes each spinning a full OpenMP team on shared cores slow every one of them.
        env["OMP_NUM_THREADS"] = str(threads)
        src = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        return env, threads

    # ----- lifecycle -----
    def _spawn(self, index: int, checkpoint: Path, port: int) -> subprocess.Popen[bytes]:
        env, threads = self._placement(index)
        log_path = Path(tempfile.gettempdir()) / f"autocode-serve-{os.getpid()}-{index}.log"
        args = [
            sys.executable, "-m", "autocode_gpu.server", "--model", str(checkpoint),
            "--host", self.host, "--port", str(port), "--served-model-name", self.served_model_name,
            "--device", self.device, "--dtype", self.dtype, "--max-batch-size", str(self.max_batch_size),
            "--threads", str(threads), "--announce", "--exit-with-stdin",
        ]  # fmt: skip
        with log_path.open("wb") as err:
            proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env)
        proc.log_path = log_path  # type: ignore[attr-defined]
        return proc

    def _await_announce(self, index: int, proc: subprocess.Popen[bytes]) -> Replica:
        log_path: Path = proc.log_path  # type: ignore[attr-defined]
        box: dict[str, bytes] = {}
        reader = threading.Thread(target=lambda: box.setdefault("line", proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(START_TIMEOUT_S)
        line = box.get("line", b"")
        try:
            url = json.loads(line)["url"]
        except (ValueError, KeyError, TypeError):
            _end(proc)
            tail = _tail(log_path)
            raise _failure(
                f"embedded replica {index} did not start (exit code {proc.poll()}): {tail}",
                # A checkpoint that does not load will not load on a retry either.
                retryable="does not load" not in tail,
            ) from None
        return Replica(index, proc, url, log_path)

    def _start(self, indices: list[int], checkpoint: Path) -> None:
        procs = {}
        for i in indices:
            old = self.replicas[i]
            # A restarted replica keeps its address when it can, so urls handed out stay valid.
            port = old.port if old is not None else (self.port + i if self.port else 0)
            procs[i] = self._spawn(i, checkpoint, port)
        failures = []
        for i, proc in procs.items():
            try:
                self.replicas[i] = self._await_announce(i, proc)
            except ApplicationError as e:
                old = self.replicas[i]
                if old is None or self.port != 0:
                    failures.append(e)
                    continue
                # Its old port was taken meanwhile: any free one.
                try:
                    self.replicas[i] = self._await_announce(i, self._spawn(i, checkpoint, 0))
                except ApplicationError as e2:
                    failures.append(e2)
        if failures:
            raise failures[0]

    def serve(self, checkpoint: Path) -> list[dict[str, Any]]:
        """Makes every replica serve ``checkpoint``; returns what each reports, in replica order."""
        check_checkpoint(checkpoint)
        want = str(checkpoint)
        with self._lock:
            dead = [i for i, r in enumerate(self.replicas) if r is None or not r.alive()]
            self.restarts += sum(1 for i in dead if self.replicas[i] is not None)
            if dead:
                log.info("starting embedded replicas %s on %s", dead, want)
                self._start(dead, checkpoint)
            with ThreadPoolExecutor(max_workers=self.n) as ex:
                return list(ex.map(lambda r: self._load(r, checkpoint, want), self.replicas))

    def _load(self, replica: Replica | None, checkpoint: Path, want: str) -> dict[str, Any]:
        assert replica is not None
        try:
            info = replica.served()
            if not _same(info["model_path"], checkpoint):
                status, body = _http(
                    "POST", f"{replica.url}/update_weights_from_disk", {"model_path": want}, RELOAD_TIMEOUT_S
                )
                if status != 200 or not body.get("success"):
                    why = body.get("message") or f"HTTP {status}"
                    raise _failure(f"{replica.url} could not load {want}: {why}", retryable=status >= 500)
                info = replica.served()
        except OSError as e:
            # The replica stopped answering between the liveness check and now: start it afresh once.
            log.warning("replica %s at %s does not answer (%s); restarting it", replica.index, replica.url, e)
            _end(replica.proc)
            self.restarts += 1
            self._start([replica.index], checkpoint)
            fresh = self.replicas[replica.index]
            assert fresh is not None
            try:
                info = fresh.served()
            except OSError as e2:
                raise _failure(f"{fresh.url} does not answer after a restart: {e2}", retryable=True) from e2
            replica = fresh
        if not _same(info["model_path"], checkpoint):
            raise _failure(
                f"{replica.url} reports serving {info['model_path']} after loading {want}", retryable=True
            )
        return {**info, "url": replica.url, "pid": replica.proc.pid}

    @property
    def urls(self) -> list[str]:
        return [r.url for r in self.replicas if r is not None]

    def stop(self) -> None:
        with self._lock:
            live = [r for r in self.replicas if r is not None]
            for r in live:  # all at once: each exits as soon as its stdin closes
                with contextlib.suppress(OSError):
                    if r.proc.stdin is not None:
                        r.proc.stdin.close()
            for r in live:
                _end(r.proc)
                with contextlib.suppress(OSError):
                    r.log_path.unlink()
            self.replicas = [None] * self.n


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Closes the child's stdin (it exits), then terminates and kills it if it lingers."""
    with contextlib.suppress(OSError):
        if proc.stdin is not None:
            proc.stdin.close()
    deadline = time.monotonic() + STOP_GRACE_S
    for sig in (None, proc.terminate, proc.kill):
        if sig is not None:
            with contextlib.suppress(OSError):
                sig()
        try:
            proc.wait(max(0.1, deadline - time.monotonic()) if sig is None else STOP_GRACE_S / 2)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.stdout is not None:
        proc.stdout.close()


def _same(reported: str, checkpoint: Path) -> bool:
    return Path(reported).resolve() == checkpoint.resolve()


def _tail(path: Path, lines: int = 6) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"
