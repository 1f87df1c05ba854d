"""The checkpoint identity shared with TypeScript: the pure stamp against the shared vectors
(test/store/checkpoint-identity.test.ts checks the same file), and a real directory whose key is
pinned there too, so a checkpoint from outside the store gets one key on both sides."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autocode_gpu.identity import directory_stamp, listing, mtime_ms, stamp_json, stamp_of
from autocode_gpu.inputs import checkpoint_identity

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "test" / "vectors" / "checkpoint-identity.json").read_text("utf-8")
)


def materialize(d: dict) -> Path:
    """Creates the vectors' directory in place: each file complete, with its mtime, before it is renamed
    in, so the TypeScript suite building the same directory at the same time never sees it half-made."""
    root = Path(d["path"])
    root.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(d["files"]):
        tmp = root / f".tmp-{os.getpid()}-{i}"
        tmp.write_bytes(f["text"].encode("utf-8"))
        ns = int(f["mtime_ns"])
        os.utime(tmp, ns=(ns, ns))
        os.replace(tmp, root / f["name"])
    for link in d["symlinks"]:
        at = root / link["name"]
        if at.is_symlink() and os.readlink(at) == link["target"]:
            continue
        tmp = root / f".tmp-{os.getpid()}-link"
        tmp.unlink(missing_ok=True)
        os.symlink(link["target"], tmp)
        os.replace(tmp, at)
    for sub in d["dirs"]:
        (root / sub).mkdir(exist_ok=True)
        (root / sub / "inside.txt").write_text("not part of the stamp")
    return root


@pytest.mark.parametrize(("ns", "ms"), VECTORS["mtime_ms"]["cases"])
def test_nanoseconds_floor_to_milliseconds(ns: str, ms: int) -> None:
    assert mtime_ms(int(ns)) == ms


@pytest.mark.parametrize("case", VECTORS["stamps"], ids=lambda c: c["path"])
def test_each_listing_stamps_to_the_expected_text_and_key(case: dict) -> None:
    files = [tuple(f) for f in case["files"]]
    assert stamp_json(case["path"], files) == case["json"]
    assert stamp_of(case["path"], files) == case["key"]


def test_a_real_directory_stamps_to_the_pinned_key() -> None:
    d = VECTORS["directory"]
    root = materialize(d)
    assert sorted(listing(root)) == [tuple(f) for f in d["listing"]]
    assert directory_stamp(root) == d["key"]
    assert checkpoint_identity({"uri": str(root)})[1] == {
        "kind": "checkpoints",
        "key": d["key"],
        "sha256": d["key"],
    }
    assert checkpoint_identity({"uri": f"file://{root}"})[1]["key"] == d["key"]


def test_a_symlinked_path_has_the_real_paths_key(tmp_path: Path) -> None:
    real = tmp_path / "ckpt"
    real.mkdir()
    (real / "config.json").write_text("{}")
    (tmp_path / "alias").symlink_to(real)
    assert directory_stamp(tmp_path / "alias") == directory_stamp(real)
    assert json.loads(stamp_json(str(real), listing(real)))["path"] == str(real.resolve())


def test_a_store_checkpoint_keeps_its_store_key(ckpt_a: Path) -> None:
    assert checkpoint_identity({"uri": str(ckpt_a)})[1]["key"] == ckpt_a.name
