"""The identity of a checkpoint directory from outside the store: one formula, shared with TypeScript.

engines/store/checkpoint-identity.ts computes the same key (test/vectors/checkpoint-identity.json pins
both), so a folder gets one key whichever side names it. Hashing the weights would cost minutes on a
large model; the path and each file's name, size and modification time are enough to see a directory
overwritten in place (a trainer's ``latest/``) as a new checkpoint.

key = sha256 hex of the UTF-8 bytes of ``{"path":<realpath>,"files":[[name,size,mtime_ms],...]}``
(compact JSON, non-ASCII kept), files = the regular files directly in the directory (symlinks
followed) whose names do not start with ".", sorted by name (code points, as UTF-8 bytes sort),
mtime_ms = floor(st_mtime_ns / 1e6).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path

File = tuple[str, int, int]  # (name, size in bytes, mtime in whole milliseconds)


def mtime_ms(mtime_ns: int) -> int:
    """Whole milliseconds, floored (before 1970 too): integer arithmetic, no float rounding."""
    return mtime_ns // 1_000_000


def stamp_json(path: str, files: Iterable[File]) -> str:
    """The exact text hashed: dot-names dropped, sorted by name, compact JSON as JSON.stringify writes it."""
    kept = sorted(((n, int(s), int(m)) for n, s, m in files if not n.startswith(".")), key=lambda f: f[0])
    listing = [list(f) for f in kept]
    return json.dumps({"path": path, "files": listing}, separators=(",", ":"), ensure_ascii=False)


def stamp_of(path: str, files: Iterable[File]) -> str:
    """The key of a listing (pure: the shared test vectors check this against TypeScript's stampOf)."""
    return hashlib.sha256(stamp_json(path, files).encode("utf-8")).hexdigest()


def listing(directory: str | os.PathLike[str]) -> list[File]:
    """(name, size, mtime_ms) of each regular file in ``directory`` but dot-names; links followed."""
    out: list[File] = []
    for entry in os.scandir(directory):
        if entry.name.startswith("."):
            continue
        try:
            st = entry.stat()  # follows symlinks: a snapshot of links into a blob cache counts
        except FileNotFoundError:
            continue  # a broken link, or removed since the listing
        if stat.S_ISREG(st.st_mode):
            out.append((entry.name, st.st_size, mtime_ms(st.st_mtime_ns)))
    return out


def directory_stamp(directory: str | os.PathLike[str]) -> str:
    """The key of a checkpoint directory without a store manifest (its real path, symlinks resolved)."""
    real = os.path.realpath(Path(directory))
    return stamp_of(real, listing(real))
