"""Store references any host can read (docs/store.md): ``store:<kind>/<key>`` resolved against this
host's root, ``file://`` outside the store, plain paths from older histories; an unavailable root is a
retryable StoreUnavailable naming the host, and the same call succeeds once the root is back."""

import shutil
import socket
from pathlib import Path

import pyarrow as pa
import pytest
from temporalio.exceptions import ApplicationError

from autocode_gpu import store
from autocode_gpu.paths import local_path

PRODUCER = {"activity": "test_store_refs", "version": "1"}


def write_entry(root: Path | None = None, n: int = 5) -> dict:
    key = store.content_key(PRODUCER["activity"], PRODUCER["version"], {"n": n})
    directory = store.entry_dir("rollouts", key, root)
    store.write_part(directory, 0, pa.table({"query_id": [f"q{i}" for i in range(n)]}))
    return store.write_manifest(
        directory, kind="rollouts", schema_version=1, producer=PRODUCER, params={"n": n}
    )


@pytest.fixture
def own_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "store"
    monkeypatch.setenv("AUTOCODE_STORE", str(root))
    return root


def test_refs_in_the_store_are_relative_to_its_root(own_root: Path, tmp_path: Path, monkeypatch) -> None:
    ref = write_entry()
    assert ref["uri"] == f"store:rollouts/{ref['key']}"
    assert (own_root / store.STORE_MARKER).is_file()
    # Another host mounts the same directory elsewhere: the same ref opens there.
    elsewhere = tmp_path / "mnt" / "other-root"
    elsewhere.parent.mkdir()
    elsewhere.symlink_to(own_root)
    monkeypatch.setenv("AUTOCODE_STORE", str(elsewhere))
    assert local_path(ref["uri"]) == elsewhere.resolve() / "rollouts" / ref["key"]
    assert store.read_dataset(ref).column("query_id").to_pylist() == [f"q{i}" for i in range(5)]


def test_content_keys_do_not_depend_on_where_the_store_is(
    own_root: Path, tmp_path: Path, monkeypatch
) -> None:
    here = write_entry()
    monkeypatch.setenv("AUTOCODE_STORE", str(tmp_path / "second"))
    there = write_entry()
    assert here == there  # same key, same files hash, same uri: nothing of the host in it


def test_outside_the_store_is_a_file_url_and_old_paths_still_read(own_root: Path, tmp_path: Path) -> None:
    other = tmp_path / "other store"
    ref = write_entry(other)
    assert ref["uri"] == (other / "rollouts" / ref["key"]).as_uri()
    assert "%20" in ref["uri"]  # percent-encoded, decoded on reading
    assert store.read_dataset(ref).num_rows == 5
    old = {**ref, "uri": str(other / "rollouts" / ref["key"])}  # as histories before store: refs hold
    assert store.read_dataset(old).num_rows == 5
    assert store.lookup("rollouts", ref["key"], other) == ref


@pytest.mark.parametrize(
    "uri", ["store:", "store:rollouts/../../etc", "store:/abs", "store:rollouts//k", "s3://bucket/key"]
)
def test_malformed_refs_are_non_retryable(own_root: Path, uri: str) -> None:
    with pytest.raises(ApplicationError) as err:
        store.resolve_uri(uri)
    assert err.value.type == "InvalidInput" and err.value.non_retryable and uri in str(err.value)


def test_a_missing_root_is_retryable_and_names_the_host_then_recovers(own_root: Path, tmp_path: Path) -> None:
    ref = write_entry()
    away = tmp_path / "unmounted"
    own_root.rename(away)  # the mount went away
    with pytest.raises(store.StoreUnavailable) as err:
        store.read_dataset(ref)
    e = err.value
    assert e.type == "StoreUnavailable" and not e.non_retryable
    for part in (f"host {socket.gethostname()}", str(own_root), ref["uri"], "ENOENT"):
        assert part in str(e)
    # An empty mount point (the directory is there, the export is not): also retryable.
    own_root.mkdir()
    with pytest.raises(store.StoreUnavailable, match="empty mount point"):
        store.read_dataset(ref)
    own_root.rmdir()
    away.rename(own_root)  # mounted again: the same call succeeds, the entry as it was
    assert store.read_dataset(ref).num_rows == 5
    assert store.verify(ref)["key"] == ref["key"]


def test_checkpoint_refs_name_the_final_directory_not_the_staging_one(own_root: Path) -> None:
    key = store.content_key("ckpt", "1", {})
    dest = store.entry_dir("checkpoints", key)
    staging = dest.parent / f"{store.TEMP_PREFIX}{key}-1" / key
    staging.mkdir(parents=True)
    (staging / "config.json").write_text("{}")
    staged = store.write_manifest(staging, kind="checkpoints", schema_version=1, producer=PRODUCER, params={})
    assert staged["uri"].startswith("store:checkpoints/.tmp-")
    shutil.move(staging, dest)
    assert store.ref_uri(dest) == f"store:checkpoints/{key}"
    assert store.lookup("checkpoints", key)["uri"] == f"store:checkpoints/{key}"
