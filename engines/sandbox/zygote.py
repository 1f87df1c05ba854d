"""Sandbox zygote: one per pool slot, started inside bubblewrap (or the weaker fallback).

It imports sympy and numpy once, warms their lazy imports, then serves executions: for each
request it forks a fresh child (copy-on-write, clean state every time), which applies rlimits,
drops to the unprivileged sandbox uid, runs the code with stdout captured and reports the last
traceback line on error. The zygote enforces the wall timeout, the output cap and sweeps every
process the code left behind, so one execution never leaks into the next.

Protocol (newline-delimited JSON): argv[1] is the config; the zygote writes {"ready": ...,
"runtime": {python, sympy, numpy, mpmath versions}} once, then reads {"id", "code"} from stdin and
writes {"started": id} and then {"id", "stdout", "error", "timed_out", "duration_ms", "truncated"}
to stdout. EOF on stdin ends it.
"""

from __future__ import annotations

import builtins
import gc
import io
import json
import math
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback
from typing import Any

TRUNCATION_MARKER = "\n[... output truncated at {limit} bytes ...]"
RESULT_LIMIT = 1 << 20  # the child's result record; anything bigger is not ours


def warm_up() -> None:
    """Import what model code uses and run it once, so children inherit loaded modules."""
    import fractions  # noqa: F401
    import itertools  # noqa: F401

    import numpy
    import sympy

    x, y = sympy.symbols("x y")
    sympy.solve([x + y - 3, x - y - 1], [x, y])
    sympy.solve(x**2 - 2, x)
    sympy.simplify(sympy.sin(x) ** 2 + sympy.cos(x) ** 2)
    sympy.factor(x**2 - 1)
    sympy.expand((x + 1) ** 3)
    sympy.integrate(x**2, (x, 0, 1))
    sympy.diff(sympy.exp(x) * x, x)
    sympy.limit(sympy.sin(x) / x, x, 0)
    sympy.Rational(1, 3) + sympy.sqrt(2)
    sympy.nsimplify(0.5)
    sympy.isprime(97)
    sympy.binomial(10, 3)
    sympy.Matrix([[1, 2], [3, 4]]).det()
    sympy.latex(x**2)
    sympy.N(sympy.pi, 10)
    numpy.linalg.solve(numpy.eye(2), numpy.ones(2))
    numpy.mean(numpy.arange(10))


def fix_library_state() -> None:
    """Same library state in every zygote, so a program prints the same on every slot.

    Children already inherit the zygote's state, so within one slot sympy's own generators (its
    randomized algorithms and Dummy indices, which order and hash Dummies) repeat in every
    execution; seeded here, they also repeat across slots and processes. Python's `random` and
    numpy's global generator are reseeded in every child at fork, as before: code that asks for
    randomness still gets fresh randomness.
    """
    import sympy.core.random as sympy_random
    from sympy.core.symbol import Dummy

    sympy_random.rng.seed(0)
    sympy_random._assumptions_rng.seed(0)
    Dummy._base_dummy_index = 5_000_000


def runtime() -> dict[str, str]:
    import mpmath
    import numpy
    import sympy

    return {
        "python": sys.version,
        "sympy": sympy.__version__,
        "numpy": numpy.__version__,
        "mpmath": mpmath.__version__,
    }


def set_limits(cfg: dict[str, Any]) -> None:
    mb = 1024 * 1024
    cpu = math.ceil(cfg["timeout_ms"] / 1000) + 1
    limits = {
        resource.RLIMIT_AS: cfg["memory_mb"] * mb,
        resource.RLIMIT_CPU: (cpu, cpu + 1),
        resource.RLIMIT_NPROC: cfg["nproc"],
        resource.RLIMIT_FSIZE: cfg["fsize_mb"] * mb,
        resource.RLIMIT_NOFILE: 256,
        resource.RLIMIT_CORE: 0,
    }
    for which, value in limits.items():
        soft, hard = value if isinstance(value, tuple) else (value, value)
        resource.setrlimit(which, (soft, hard))


def drop_privileges(uid: int | None) -> None:
    # Root mode: the zygote keeps CAP_KILL/SETUID/SETGID to police children; children run as an
    # unprivileged uid of their own, so RLIMIT_NPROC applies and they cannot signal the zygote.
    if uid is None:
        return
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def child_main(code: str, cfg: dict[str, Any], out_w: int, res_w: int, keep_closed: list[int]) -> None:
    """Runs in the forked child; never returns."""
    status = 0
    try:
        os.setpgid(0, 0)
        for fd in keep_closed:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(null, 2)  # the harnesses show the model stdout only
        os.close(null)
        os.close(out_w)
        os.chdir(cfg["workdir"])
        set_limits(cfg)
        drop_privileges(cfg["child_uid"])
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(
            io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
        )
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="replace")
    except BaseException as e:  # setup failure: report it rather than run unconfined
        os.write(res_w, json.dumps({"error": f"SandboxSetupError: {e!r}", "setup": True}).encode())
        os._exit(70)
    error: str | None = None
    try:
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as e:
        if e.code not in (None, 0):
            error = last_traceback_line()
    except BaseException:
        error = last_traceback_line()
    try:
        sys.stdout.flush()
    except BaseException:
        status = 1
    try:
        os.write(res_w, json.dumps({"error": error}).encode())
    except BaseException:
        status = 1
    os._exit(status)


def last_traceback_line() -> str:
    # What ToRA / Qwen2.5-Math show the model: the final line of the formatted traceback.
    lines = traceback.format_exc().rstrip("\n").split("\n")
    return lines[-1] if lines else "Error"


class Zygote:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.limit: int = cfg["output_limit"]
        # Keep the protocol on private descriptors; 0/1/2 point at /dev/null so nothing a child
        # inherits can talk to the pool.
        self.proto_in = os.dup(0)
        self.proto_out = os.dup(1)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):
            os.dup2(null, fd)
        os.close(null)
        self.reader = os.fdopen(self.proto_in, "rb", buffering=1 << 16)

    def send(self, msg: dict[str, Any]) -> None:
        data = (json.dumps(msg) + "\n").encode()
        view = memoryview(data)
        while view:
            n = os.write(self.proto_out, view)
            view = view[n:]

    def serve(self) -> None:
        self.send(
            {"ready": True, "pid": os.getpid(), "child_uid": self.cfg["child_uid"], "runtime": runtime()}
        )
        while True:
            line = self.reader.readline()
            if not line:
                return
            req = json.loads(line)
            # Acknowledge first: if the slot dies before this arrives, the pool may safely run the
            # code elsewhere, because it never started.
            self.send({"started": req["id"]})
            result = self.execute(req["code"])
            result["id"] = req["id"]
            self.send(result)

    def execute(self, code: str) -> dict[str, Any]:
        workdir = self.cfg["workdir"]
        os.makedirs(workdir, exist_ok=True)
        os.chmod(workdir, 0o777)
        out_r, out_w = os.pipe()
        res_r, res_w = os.pipe()
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            child_main(code, self.cfg, out_w, res_w, [out_r, res_r, self.proto_in, self.proto_out])
        os.close(out_w)
        os.close(res_w)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child already did it, or already exited
        pidfd = os.pidfd_open(pid)
        out = bytearray()
        res = bytearray()
        timed_out = overflow = False
        deadline = start + self.cfg["timeout_ms"] / 1000
        open_fds = {out_r, res_r}
        exited = False
        while open_fds and not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([*open_fds, pidfd], [], [], remaining)
            for fd in ready:
                if fd == pidfd:
                    exited = True
                    continue
                overflow = self.read_into(fd, out_r, out, res, open_fds) or overflow
            if overflow:
                break
        if exited:  # drain what the child wrote before it exited; grandchildren may hold the pipes
            for fd in list(open_fds):
                os.set_blocking(fd, False)
                try:
                    while fd in open_fds and not overflow:
                        overflow = self.read_into(fd, out_r, out, res, open_fds) or overflow
                except BlockingIOError:
                    pass
        self.kill_group(pid)
        _, wait_status = os.waitpid(pid, 0)
        duration_ms = (time.monotonic() - start) * 1000
        os.close(pidfd)
        for fd in open_fds:
            os.close(fd)
        self.sweep()
        self.clean_tmp()
        return self.verdict(out, res, wait_status, timed_out, overflow, duration_ms)

    def read_into(self, fd: int, out_r: int, out: bytearray, res: bytearray, open_fds: set[int]) -> bool:
        data = os.read(fd, 1 << 16)
        if not data:
            open_fds.discard(fd)
            os.close(fd)
            return False
        if fd == out_r:
            room = self.limit - len(out)
            out += data[: max(room, 0)]
            return len(data) > room
        if len(res) < RESULT_LIMIT:
            res += data[: RESULT_LIMIT - len(res)]
        return False

    def kill_group(self, pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def sweep(self) -> None:
        # Inside our own PID namespace, kill(-1) reaches every process the code spawned (daemons
        # that left the process group included) and nothing outside; init (pid 1) is exempt.
        if not self.cfg["sweep"]:
            return
        # Then wait until bwrap's init has reaped them: zombies still count against the uid's
        # process limit, and the next execution must start alone.
        me = os.getpid()
        deadline = time.monotonic() + 2.0
        while True:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
            if not others or time.monotonic() > deadline:
                return
            time.sleep(0.001)

    def clean_tmp(self) -> None:
        root = self.cfg["tmp_root"]
        entries = os.listdir(root)
        workdir = self.cfg["workdir"]
        if entries == [os.path.basename(workdir)] and not os.listdir(workdir):
            return
        # The child's files belong to the child's uid: remove them as that uid.
        pid = os.fork()
        if pid == 0:
            try:
                drop_privileges(self.cfg["child_uid"])
                for name in os.listdir(root):
                    path = os.path.join(root, name)
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        os.unlink(path)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        shutil.rmtree(workdir, ignore_errors=True)

    def verdict(
        self,
        out: bytearray,
        res: bytearray,
        wait_status: int,
        timed_out: bool,
        overflow: bool,
        duration_ms: float,
    ) -> dict[str, Any]:
        stdout = out.decode("utf-8", errors="replace")
        if overflow:
            stdout += TRUNCATION_MARKER.format(limit=self.limit)
        error: str | None
        if timed_out:
            error = "Timeout Error"
        elif overflow:
            error = f"OutputLimitError: output exceeded {self.limit} bytes"
        else:
            error = self.child_error(res, wait_status)
        return {
            "stdout": stdout,
            "error": error,
            "timed_out": timed_out,
            "duration_ms": round(duration_ms, 3),
            "truncated": overflow,
        }

    def child_error(self, res: bytearray, wait_status: int) -> str | None:
        if res:
            try:
                record = json.loads(res.decode("utf-8", errors="replace"))
                error = record.get("error") if isinstance(record, dict) else 0
                if error is None or isinstance(error, str):
                    return error
            except ValueError:
                pass
            return "SandboxError: malformed result from the execution"
        if os.WIFSIGNALED(wait_status):
            sig = os.WTERMSIG(wait_status)
            if sig == signal.SIGXCPU:
                return "TimeoutError: CPU time limit exceeded"
            return f"Killed: signal {signal.Signals(sig).name}"
        code = os.WEXITSTATUS(wait_status)
        return None if code == 0 else f"SystemExit: {code}"


def main() -> None:
    cfg = json.loads(sys.argv[1])
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    warm_up()
    fix_library_state()
    # Children never collect the zygote's objects: no copy-on-write faults from the GC touching them.
    gc.collect()
    gc.freeze()
    Zygote(cfg).serve()


if __name__ == "__main__":
    main()
