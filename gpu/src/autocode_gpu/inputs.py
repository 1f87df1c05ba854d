"""What every policy job takes and checks: progress and cancellation callbacks, dataset references,
checkpoint identities.

Shared by ``policy.py`` (sft, update, logprobs) and ``behavior.py`` (behavior_logprobs), so neither
imports the other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .checkpoint import check_checkpoint
from .errors import bad_dataset
from .identity import directory_stamp
from .paths import local_path
from .store import MANIFEST_FILE, files_digest, read_manifest

Progress = Callable[[dict[str, Any]], None]
Guard = Callable[[], contextlib.AbstractContextManager[Any]]


def quiet(_: dict[str, Any]) -> None:
    """The progress callback of a job run without Temporal and without a listener."""


def dataset_ref(ref: dict[str, Any], what: str) -> dict[str, Any]:
    """The input dataset's reference, checked: its manifest exists (a half-written entry fails here)."""
    path = local_path(ref["uri"])
    if read_manifest(path) is None:
        raise bad_dataset(f"{what} {path} has no {MANIFEST_FILE} (missing, or still being written)")
    return ref


def checkpoint_identity(ref: dict[str, Any]) -> tuple[Path, dict[str, str]]:
    """(directory, {kind, key, sha256}) of a checkpoint: its store identity, or for a checkpoint from
    outside the store the stamp of its files (identity.py; the TypeScript side computes the same key)."""
    path = local_path(ref["uri"])
    manifest = check_checkpoint(path)
    if manifest is not None:
        return path, {
            "kind": manifest["kind"],
            "key": manifest["key"],
            "sha256": files_digest(manifest["files"]),
        }
    digest = directory_stamp(path)
    return path, {"kind": "checkpoints", "key": digest, "sha256": digest}
