"""Peer (b) of bench/sandbox: the process-pool approach of the ToRA / Qwen2.5-Math evaluation
harnesses, written for this benchmark. A pebble-style pool of forked worker processes runs
`exec` on each snippet with stdout redirected, returns (stdout, report) where report is "Done"
or the last traceback line, and on a per-task timeout kills the worker and starts another.

Modes:
  apply       a new pool per call, as the harnesses' PythonExecutor.apply -> batch_apply does
  persistent  one pool for the whole run (the approach at its best; no isolation between calls)

Reads {"snippets": [...], "workers": N, "timeout_ms": T, "mode": M[, "gap_ms": G]} on stdin
(G: each caller pauses that long before each call, not counted), writes JSON with per-call
latencies (ms), wall seconds and outputs. The parent preimports sympy and numpy, as
the harness's parent does through its grader, so forked workers start warm.
"""

from __future__ import annotations

import io
import json
import multiprocessing as mp
import sys
import threading
import time
import traceback
from contextlib import redirect_stdout
from multiprocessing.connection import Connection
from typing import Any

import numpy  # noqa: F401  (warm parent, as in the harness)
import sympy  # noqa: F401


def execute(code: str) -> tuple[str, str]:
    try:
        program_io = io.StringIO()
        with redirect_stdout(program_io):
            exec(code, {"__name__": "__main__"})
        return program_io.getvalue(), "Done"
    except BaseException:
        return "", traceback.format_exc().split("\n")[-2]


def worker_loop(conn: Connection) -> None:
    while True:
        code = conn.recv()
        if code is None:
            return
        conn.send(execute(code))


class Worker:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.start()

    def start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=worker_loop, args=(child,), daemon=True)
        self.proc.start()
        child.close()

    def run(self, code: str, timeout_s: float) -> tuple[str, str]:
        self.conn.send(code)
        if self.conn.poll(timeout_s):
            return self.conn.recv()
        self.proc.kill()  # what pebble does to a task past its timeout
        self.proc.join()
        self.start()
        return "", "Timeout Error"

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


def main() -> None:
    req = json.load(sys.stdin)
    snippets: list[str] = req["snippets"]
    timeout_s = req["timeout_ms"] / 1000
    mode = req["mode"]
    gap_s = req.get("gap_ms", 0) / 1000
    ctx = mp.get_context("fork")
    latencies = [0.0] * len(snippets)
    outputs: list[list[str]] = [["", ""]] * len(snippets)
    lock = threading.Lock()
    cursor = [0]

    def client() -> None:
        persistent = Worker(ctx) if mode == "persistent" else None
        try:
            while True:
                with lock:
                    i = cursor[0]
                    cursor[0] += 1
                if i >= len(snippets):
                    return
                if gap_s > 0:
                    time.sleep(gap_s)
                t0 = time.perf_counter()
                if persistent is not None:
                    out = persistent.run(snippets[i], timeout_s)
                else:
                    w = Worker(ctx)
                    out = w.run(snippets[i], timeout_s)
                    w.stop()
                latencies[i] = (time.perf_counter() - t0) * 1000
                outputs[i] = list(out)
        finally:
            if persistent is not None:
                persistent.stop()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(req["workers"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    json.dump({"wall_s": wall, "latencies_ms": latencies, "outputs": outputs}, sys.stdout)


if __name__ == "__main__":
    main()
