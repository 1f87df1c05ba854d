import json
from pathlib import Path

import pyarrow as pa
import pytest
from temporalio.exceptions import ApplicationError

from autocode_gpu import store
from autocode_gpu.paths import local_path

PRODUCER = {"activity": "test_store", "version": "1"}


def rollouts_table(n: int) -> pa.Table:
    return pa.table(
        {
            "query_id": [f"q{i % 7}" for i in range(n)],
            "reward": pa.array([float(i % 2) for i in range(n)], pa.float32()),
            "behavior_logprobs": pa.array([[-0.5] * (i % 5) for i in range(n)], pa.list_(pa.float32())),
        }
    )


def make_entry(root: Path, parts: int = 2, rows: int = 10) -> dict:
    key = store.content_key(PRODUCER["activity"], PRODUCER["version"], {"parts": parts, "rows": rows})
    directory = store.entry_dir("rollouts", key, root)
    for i in range(parts):
        store.write_part(directory, i, rollouts_table(rows))
    return store.write_manifest(
        directory, kind="rollouts", schema_version=1, producer=PRODUCER, params={"x": 1}
    )


def test_write_then_read_by_manifest(tmp_path: Path) -> None:
    ref = make_entry(tmp_path)
    assert ref["rows"] == 20 and ref["kind"] == "rollouts"
    assert store.lookup("rollouts", ref["key"], tmp_path) == ref
    table = store.read_dataset(ref, columns=["query_id", "reward"])
    assert table.num_rows == 20 and table.column_names == ["query_id", "reward"]
    assert table.column("reward").to_pylist() == [float(i % 2) for i in range(10)] * 2
    assert sum(b.num_rows for b in store.iter_batches(ref, batch_size=3)) == 20
    manifest = json.loads((local_path(ref["uri"]) / "_manifest.json").read_text())
    assert [f["path"] for f in manifest["files"]] == ["part-00000.parquet", "part-00001.parquet"]
    assert ref["sha256"] == store.files_digest(manifest["files"])


def test_unfinished_entry_is_not_found(tmp_path: Path) -> None:
    key = "a" * 64
    store.write_part(store.entry_dir("rollouts", key, tmp_path), 0, rollouts_table(3))
    assert store.lookup("rollouts", key, tmp_path) is None


def test_changed_byte_fails_verification_naming_the_file(tmp_path: Path) -> None:
    ref = make_entry(tmp_path)
    part = local_path(ref["uri"]) / "part-00001.parquet"
    data = bytearray(part.read_bytes())
    data[100] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(ApplicationError) as err:
        store.read_dataset(ref)
    assert err.value.non_retryable and err.value.type == "ChecksumMismatch"
    assert "part-00001.parquet" in str(err.value)


def test_missing_column_is_named(tmp_path: Path) -> None:
    ref = make_entry(tmp_path, parts=1)
    with pytest.raises(ApplicationError, match="column 'advantage' is missing"):
        store.read_dataset(ref, columns=["advantage"])


def test_checkpoint_manifest_covers_nested_files(tmp_path: Path) -> None:
    directory = store.entry_dir("checkpoints", "b" * 64, tmp_path)
    (directory / "tokenizer").mkdir(parents=True)
    (directory / "model.safetensors").write_bytes(b"\0" * 1000)
    (directory / "tokenizer" / "tokenizer.json").write_text("{}")
    (directory / ".tmp-model.safetensors.x").write_bytes(b"partial")
    ref = store.write_manifest(directory, kind="checkpoints", schema_version=0, producer=PRODUCER, params={})
    manifest = store.verify(ref)
    assert [f["path"] for f in manifest["files"]] == ["model.safetensors", "tokenizer/tokenizer.json"]
    assert ref["rows"] == 0


# Expected strings are what JavaScript's JSON.stringify writes for the same values.
@pytest.mark.parametrize(
    ("value", "js"),
    [
        ({"b": 1, "a": [1.0, 0.5, None, True]}, '{"a":[1,0.5,null,true],"b":1}'),
        (
            {"x": 1e-7, "y": 1e21, "z": 123e18, "w": 0.000001},
            '{"w":0.000001,"x":1e-7,"y":1e+21,"z":123000000000000000000}',
        ),
        ({"t": 'é\n"数"'}, '{"t":"é\\n\\"数\\""}'),
        ({"n": -0.1, "m": 2.5e-10}, '{"m":2.5e-10,"n":-0.1}'),
    ],
)
def test_canonical_json_matches_javascript(value: object, js: str) -> None:
    assert store.canonical_json(value) == js


# sha256 of the hand-written canonical JSON {"activity":"x","inputs":{"q":"c"*64,"s":"d"*64},
# "params":{"alpha":0.1,"k":8},"version":"1"}; test/store/catalog.test.ts pins the same value.
SHARED_KEY = "cb7168462d683396af972c64c727604b462b3d6411f27d395dc21b3391b51146"


def test_content_key_ignores_key_order_and_names_inputs_by_their_keys() -> None:
    q = {"kind": "queries", "key": "c" * 64, "sha256": "e" * 64}
    source = {"sha256": "d" * 64}  # from outside the store: its content hash
    a = store.content_key("x", "1", {"alpha": 0.1, "k": 8}, {"q": q, "s": source})
    assert a == SHARED_KEY
    # Other bytes under the same key (a redone input) change nothing; another key does.
    b = store.content_key("x", "1", {"k": 8, "alpha": 0.1}, {"q": {**q, "sha256": "f" * 64}, "s": source})
    c = store.content_key("x", "1", {"alpha": 0.1, "k": 8}, {"q": {**q, "key": "a" * 64}, "s": source})
    d = store.content_key("x", "1", {"alpha": 0.2, "k": 8}, {"q": q, "s": source})
    assert a == b
    assert len({a, c, d}) == 3


def test_bad_manifest_is_rejected(tmp_path: Path) -> None:
    ref = make_entry(tmp_path, parts=1)
    path = local_path(ref["uri"]) / "_manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["producer"]
    path.write_text(json.dumps(manifest))
    with pytest.raises(ApplicationError, match="producer") as err:
        store.verify(ref["uri"])
    assert err.value.non_retryable and err.value.type == "ManifestInvalid"
