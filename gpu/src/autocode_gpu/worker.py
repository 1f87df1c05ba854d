"""The Python policy worker on task queue ``gpu``: ``python -m autocode_gpu.worker``."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import signal
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from .activities import ACTIVITIES
from .liveness import LIVENESS_S

TASK_QUEUE = "gpu"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--address", default=os.environ.get("AUTOCODE_TEMPORAL_ADDRESS", "127.0.0.1:7233"))
    p.add_argument("--namespace", default=os.environ.get("AUTOCODE_NAMESPACE", "default"))
    p.add_argument("--task-queue", default=TASK_QUEUE)
    return p.parse_args()


def host_addresses() -> list[str]:
    """This host's non-loopback IPv4 addresses (Linux: its network namespace's local routes)."""
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
    except OSError:
        return []
    found = [prev.split()[-1] for prev, line in itertools.pairwise(lines) if "/32 host LOCAL" in line]
    return sorted({a for a in found if not a.startswith("127.")}, key=found.index)


def describe_host() -> str:
    """This host in words, as infra/hosts.ts: AUTOCODE_HOST (else the hostname) and its addresses."""
    name = os.environ.get("AUTOCODE_HOST") or socket.gethostname()
    addresses = host_addresses()
    return f"host {name} ({', '.join(addresses)})" if addresses else f"host {name}"


async def connect(address: str, namespace: str) -> Client:
    try:
        return await Client.connect(address, namespace=namespace)
    except Exception as e:  # the SDK raises RuntimeError for every connection failure
        raise SystemExit(
            f"the gpu worker on {describe_host()} cannot reach the Temporal server at {address} "
            f"(AUTOCODE_TEMPORAL_ADDRESS): {e}"
        ) from e


async def run(address: str, namespace: str, task_queue: str) -> None:
    client = await connect(address, namespace)
    # One activity at a time: the policy owns the device. Activities are synchronous (torch
    # blocks), so they run on a thread pool and heartbeat from there.
    with ThreadPoolExecutor(max_workers=2) as pool:
        worker = Worker(
            client,
            task_queue=task_queue,
            activities=ACTIVITIES,
            activity_executor=pool,
            max_concurrent_activities=1,
            # Heartbeats reach the server at least every LIVENESS_S (the SDK would hold them back
            # for 80% of the heartbeat timeout).
            max_heartbeat_throttle_interval=timedelta(seconds=LIVENESS_S),
            identity=f"gpu@{os.getpid()}",
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with worker:
            logging.info("gpu worker polling %s on %s", task_queue, address)
            await stop.wait()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args()
    asyncio.run(run(args.address, args.namespace, args.task_queue))


if __name__ == "__main__":
    main()
