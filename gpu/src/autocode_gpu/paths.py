"""Where the policy worker keeps checkpoints and unfinished runs, inside the store (store.store_root)."""

from __future__ import annotations

from pathlib import Path

from .store import resolve_uri, store_root

CHECKPOINT_KIND = "checkpoints"


def checkpoints_root() -> Path:
    return store_root() / CHECKPOINT_KIND


def work_root() -> Path:
    """Step checkpoints of unfinished runs: kept out of the content-addressed folders."""
    return store_root() / "_work"


def local_path(uri: str) -> Path:
    """A reference's uri as this host's path: ``store:<kind>/<key>`` against this host's store root
    (a retryable StoreUnavailable naming the host when it is not mounted), ``file://``, or a plain path
    (older histories; relative ones against the working directory). See store.resolve_uri."""
    return resolve_uri(uri)
