"""Where the store lives: ``var/store`` in the checkout unless ``AUTOCODE_STORE`` says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def store_root() -> Path:
    env = os.environ.get("AUTOCODE_STORE")
    return Path(env).resolve() if env else REPO_ROOT / "var" / "store"


def checkpoints_root() -> Path:
    return store_root() / "checkpoints"


def work_root() -> Path:
    """Step checkpoints of unfinished runs: kept out of the content-addressed folders."""
    return store_root() / "_work"


def local_path(uri: str) -> Path:
    """A store URI (``file://`` or a plain path; relative paths against the working directory)."""
    if uri.startswith("file://"):
        return Path(uri[len("file://") :])
    return Path(uri).resolve()
