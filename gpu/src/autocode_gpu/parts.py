"""Datasets on disk: Parquet parts listed by ``_manifest.json`` (DESIGN.md's format).

A stand-in for the store module: the policy worker reads the parts a manifest lists and writes
its own outputs (parts, then the manifest last) in the same format.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import bad_dataset

MANIFEST = "_manifest.json"
PRODUCER = "autocode-gpu"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_key(activity: str, version: int, params: Any, inputs: Iterable[str]) -> str:
    """The content address of an activity's output: same activity, parameters and inputs, same key."""
    body = {"activity": activity, "version": version, "params": params, "inputs": list(inputs)}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise bad_dataset(f"dataset {directory} has no {MANIFEST} (missing, or still being written)")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise bad_dataset(f"dataset manifest {path} is unreadable: {e}") from e
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise bad_dataset(f"dataset manifest {path} lacks a files list")
    return manifest


def manifest_sha256(directory: Path) -> str:
    return sha256_file(directory / MANIFEST)


def read_table(directory: Path, columns: list[str] | None = None) -> pa.Table:
    """All parts of a dataset, in manifest order; checks each part's size against the manifest."""
    manifest = read_manifest(directory)
    tables = []
    for entry in manifest["files"]:
        part = directory / entry["path"]
        if not part.is_file():
            raise bad_dataset(f"dataset {directory}: part {entry['path']} listed in the manifest is missing")
        if "bytes" in entry and part.stat().st_size != entry["bytes"]:
            raise bad_dataset(
                f"dataset {directory}: part {entry['path']} has {part.stat().st_size} bytes, "
                f"the manifest says {entry['bytes']}"
            )
        try:
            tables.append(pq.read_table(part, columns=columns))
        except (pa.ArrowInvalid, KeyError) as e:
            raise bad_dataset(f"dataset {directory}: part {entry['path']}: {e}") from e
    if not tables:
        return pa.table({})
    return pa.concat_tables(tables)


def dataset_columns(directory: Path) -> list[str]:
    manifest = read_manifest(directory)
    if not manifest["files"]:
        return []
    return pq.read_schema(directory / manifest["files"][0]["path"]).names


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_manifest(
    directory: Path,
    *,
    kind: str,
    key: str,
    inputs: list[str],
    params: Any,
    rows: int,
    files: list[dict[str, Any]],
    schema_version: int = 1,
) -> dict[str, Any]:
    """Writes ``_manifest.json`` last and atomically: its presence marks the directory complete."""
    manifest = {
        "kind": kind,
        "schema_version": schema_version,
        "key": key,
        "inputs": inputs,
        "params": params,
        "rows": rows,
        "files": files,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "producer": PRODUCER,
    }
    atomic_write_bytes(directory / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest


def write_parts(directory: Path, table: pa.Table, rows_per_part: int = 50_000) -> list[dict[str, Any]]:
    """Parquet parts written atomically (temp name + rename); returns their manifest entries."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    n_parts = max(1, -(-table.num_rows // rows_per_part))
    for i in range(n_parts):
        chunk = table.slice(i * rows_per_part, rows_per_part)
        name = f"part-{i:05d}.parquet"
        tmp = directory / f".{name}.tmp"
        pq.write_table(chunk, tmp)
        os.replace(tmp, directory / name)
        path = directory / name
        files.append(
            {"path": name, "rows": chunk.num_rows, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
        )
    return files
