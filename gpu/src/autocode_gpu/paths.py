"""Where the policy worker keeps checkpoints and unfinished runs, inside the store (store.store_root)."""

from __future__ import annotations

from pathlib import Path

from .store import store_root

CHECKPOINT_KIND = "checkpoints"


def checkpoints_root() -> Path:
    return store_root() / CHECKPOINT_KIND


def work_root() -> Path:
    """Step checkpoints of unfinished runs: kept out of the content-addressed folders."""
    return store_root() / "_work"


def local_path(uri: str) -> Path:
    """A URI (``file://`` or a plain path; relative paths against the working directory) as a path."""
    if uri.startswith("file://"):
        return Path(uri[len("file://") :])
    return Path(uri).resolve()
