"""The dataset store from Python: read entries by their manifest (verified), write manifests.

Same format as the TypeScript store (engines/store, docs/store.md):
``<root>/<kind>/<key>/part-NNNNN.parquet`` (or any files, for checkpoints) plus ``_manifest.json``
written last. A reference's ``uri`` is ``store:<kind>/<key>`` (relative to the store root, resolved on
each host against its own root: :func:`resolve_uri`), ``file:///abs`` outside the store, or a plain
path (older histories and manifests). ``DatasetRef.sha256`` is the sha256 of the canonical JSON of the
manifest's ``files`` list; content keys are sha256 of canonical JSON of
``{activity, version, params, inputs: {name: sha256}}``. Canonical JSON = keys sorted, no spaces,
non-ASCII kept, numbers written as JavaScript writes them (2.0 as 2, 1e-7 as 1e-7), so both
languages compute the same key.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import socket
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.parquet as pq
from temporalio.exceptions import ApplicationError

from autocode_gpu.wire import validate

MANIFEST_FILE = "_manifest.json"
PART_RE = re.compile(r"^part-(\d{5})\.parquet$")
KEY_RE = re.compile(r"^[0-9a-f]{64}$")
TEMP_PREFIX = ".tmp-"
STORE_SCHEME = "store:"
STORE_MARKER = ".autocode-store"


def _error(kind: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


def store_root(root: str | os.PathLike[str] | None = None) -> Path:
    """``root``, else $AUTOCODE_STORE, else <checkout>/var/store (as infra/paths.ts)."""
    if root is not None:
        return Path(root).resolve()
    env = os.environ.get("AUTOCODE_STORE")
    if env:
        return Path(env).resolve()
    var = os.environ.get("AUTOCODE_VAR")
    base = Path(var) if var else Path(__file__).resolve().parents[3] / "var"
    return (base / "store").resolve()


def _below(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` ('/'-separated), or None when it is not strictly below it."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return None
    return rel.as_posix() if rel.parts else None


def ref_uri(directory: str | os.PathLike[str]) -> str:
    """The reference to write for a local directory: ``store:<path below the root>`` under this host's
    store root, else ``file:///abs`` (an entry under an explicit other root is outside the store)."""
    path = Path(directory).resolve()
    rel = _below(path, store_root())
    return STORE_SCHEME + rel if rel is not None else path.as_uri()


class StoreUnavailable(ApplicationError):
    """This host's store root is missing, unreadable or an empty mount point. Retryable: once the root
    is back the retry succeeds (nothing finished is touched)."""

    def __init__(self, root: Path, uri: str, reason: str) -> None:
        host = socket.gethostname()
        super().__init__(
            f"host {host}: store root {root} is unavailable ({reason}) while opening {uri}; "
            f"mount the shared store there or set AUTOCODE_STORE on {host}; the activity retries",
            type="StoreUnavailable",
            non_retryable=False,
        )
        self.host, self.root, self.uri = host, root, uri


def _check_root(root: Path, uri: str) -> None:
    try:
        if not root.is_dir():
            reason = "ENOENT" if not root.exists() else "not a directory"
        elif not os.access(root, os.R_OK | os.X_OK):
            reason = "EACCES"
        elif not (root / STORE_MARKER).exists():
            reason = f"no {STORE_MARKER} in it (an empty mount point?)"
        else:
            return
    except OSError as err:
        reason = err.strerror or str(err)
    raise StoreUnavailable(root, uri, reason)


def resolve_uri(uri: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The local path of a reference on this host (as resolveUri in engines/store/locate.ts)."""
    if uri.startswith(STORE_SCHEME):
        rel = uri[len(STORE_SCHEME) :]
        parts = rel.split("/")
        if not rel or any(p in ("", ".", "..") for p in parts):
            raise _error(
                "InvalidInput", f"ref uri {uri!r}: want store:<kind>/<key>, a relative path inside the root"
            )
        base = store_root(root)
        _check_root(base, uri)
        return base.joinpath(*parts)
    if uri.startswith("file:"):
        url = urlparse(uri)
        if url.netloc not in ("", "localhost"):
            raise _error("InvalidInput", f"ref uri {uri!r}: a file URL of another host ({url.netloc})")
        return Path(unquote(url.path))
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", uri):
        raise _error("InvalidInput", f"ref uri {uri!r}: scheme not supported (store:, file:// or a path)")
    # Older histories and manifests carry absolute paths; a relative one is read from the working directory.
    return Path(uri).resolve()


def mark_store_root(directory: str | os.PathLike[str]) -> None:
    """Marks the root an entry directory belongs to (this host's root when the entry lies under it, else
    two levels up, the ``<root>/<kind>/<key>`` layout) so a reader can tell it from an empty mount point."""
    path = Path(directory).resolve()
    own = store_root()
    root = own if _below(path, own) is not None else path.parent.parent
    marker = root / STORE_MARKER
    if not marker.exists():
        marker.write_text('{"format":"autocode-store","layout":"<kind>/<key>/"}\n')


def _entry_path(ref: Mapping[str, Any] | str | os.PathLike[str]) -> Path:
    """The local directory of a ref, a ref's uri, or a path."""
    if isinstance(ref, Mapping):
        return resolve_uri(ref["uri"])
    return resolve_uri(ref) if isinstance(ref, str) else Path(ref)


def entry_dir(kind: str, key: str, root: str | os.PathLike[str] | None = None) -> Path:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", kind):
        raise _error("InvalidInput", f"bad store kind {kind!r}")
    if not KEY_RE.fullmatch(key):
        raise _error("InvalidInput", f"bad store key {key!r} (64 hex digits)")
    return store_root(root) / kind / key


def _js_number(value: float, where: str) -> str:
    """A float as JavaScript's Number#toString writes it (shortest round-trip digits, ES layout)."""
    if not math.isfinite(value):
        raise _error("InvalidInput", f"{where} is {value}: parameters must be finite numbers")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest round-trip digits, as JavaScript picks them; only the layout differs.
    parts = Decimal(repr(abs(value))).as_tuple()
    all_digits = "".join(map(str, parts.digits))
    n = len(all_digits) + int(parts.exponent)  # value = 0.<digits> x 10^n
    digits = all_digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    rest = "." + digits[1:] if k > 1 else ""
    return f"{sign}{digits[0]}{rest}e{'+' if e > 0 else '-'}{abs(e)}"


def _canon(value: Any, where: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_number(value, where)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = sorted((str(k), v) for k, v in value.items())
        return (
            "{"
            + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_canon(v, f'{where}.{k}')}" for k, v in items)
            + "}"
        )
    if isinstance(value, Sequence):
        return "[" + ",".join(_canon(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
    raise _error("InvalidInput", f"{where} has type {type(value).__name__}, not JSON")


def canonical_json(value: Any) -> str:
    """JSON as the TypeScript canonicalJson writes it: sorted keys, no spaces, JavaScript numbers."""
    return _canon(value, "$")


def sha256_hex(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def content_key(
    activity: str,
    version: str,
    params: Mapping[str, Any],
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The content address of an entry (same as contentKey in TypeScript): named by its inputs' keys
    (an input from outside the store by its content hash), so a redone input that wrote other bytes
    keeps everything built on it findable."""
    names = {name: ref.get("key") or ref["sha256"] for name, ref in (inputs or {}).items()}
    return sha256_hex(
        canonical_json({"activity": activity, "version": version, "params": params, "inputs": names})
    )


def files_digest(files: Sequence[Mapping[str, Any]]) -> str:
    return sha256_hex(canonical_json(list(files)))


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The validated manifest of an entry (a directory or a ref's uri), or None when it is not finished."""
    directory = _entry_path(directory)
    path = directory / MANIFEST_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as err:
        raise _error("ManifestInvalid", f"{path}: not JSON ({err})") from err
    try:
        validate("Manifest", manifest)
    except ApplicationError as err:
        raise _error("ManifestInvalid", f"{path}: {err}") from err
    if manifest["key"] != directory.name:
        raise _error("ManifestInvalid", f"{path}: key {manifest['key']} does not match its directory")
    return manifest


def ref_of(directory: str | os.PathLike[str], manifest: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": manifest["kind"],
        "key": manifest["key"],
        "uri": ref_uri(directory),
        "sha256": files_digest(manifest["files"]),
        "rows": manifest["rows"],
        "schema_version": manifest["schema_version"],
    }


def lookup(kind: str, key: str, root: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    """The DatasetRef of a finished entry, or None."""
    directory = entry_dir(kind, key, root)
    manifest = read_manifest(directory)
    return None if manifest is None else ref_of(directory, manifest)


def verify(ref: Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, Any]:
    """Re-hashes every file of an entry against its manifest (and the ref); returns the manifest."""
    directory = _entry_path(ref)
    manifest = read_manifest(directory)
    if manifest is None:
        raise _error("MissingPart", f"{directory}: no {MANIFEST_FILE} (entry missing or unfinished)")
    if isinstance(ref, Mapping):
        validate("DatasetRef", dict(ref))
        if manifest["key"] != ref["key"] or files_digest(manifest["files"]) != ref["sha256"]:
            raise _error("ChecksumMismatch", f"{directory}: manifest does not match the reference")
    for f in manifest["files"]:
        path = directory / f["path"]
        if not path.is_file():
            raise _error("ChecksumMismatch", f"{path}: listed in the manifest but missing")
        size = path.stat().st_size
        if size != f["bytes"]:
            raise _error("ChecksumMismatch", f"{path}: {size} bytes, the manifest says {f['bytes']}")
        digest = sha256_file(path)
        if digest != f["sha256"]:
            raise _error("ChecksumMismatch", f"{path}: sha256 {digest}, the manifest says {f['sha256']}")
    return manifest


def part_paths(ref: Mapping[str, Any] | str | os.PathLike[str], *, check: bool = True) -> list[Path]:
    """The Parquet parts of an entry in order (verified first unless check=False)."""
    directory = _entry_path(ref)
    manifest = verify(ref) if check else read_manifest(directory)
    if manifest is None:
        raise _error("MissingPart", f"{directory}: no {MANIFEST_FILE}")
    return [directory / f["path"] for f in manifest["files"] if PART_RE.match(Path(f["path"]).name)]


def _read_part(path: Path, columns: Sequence[str] | None) -> pa.Table:
    try:
        schema = pq.read_schema(path)
    except Exception as err:  # pyarrow raises several types for a damaged footer
        raise _error("UnreadableParquet", f"{path}: not a readable Parquet file ({err})") from err
    for name in columns or []:
        if schema.get_field_index(name) < 0:
            raise _error("SchemaMismatch", f"{path}: column {name!r} is missing")
    return pq.read_table(path, columns=list(columns) if columns else None)


def read_dataset(
    ref: Mapping[str, Any] | str | os.PathLike[str],
    columns: Sequence[str] | None = None,
    *,
    check: bool = True,
) -> pa.Table:
    """A whole entry (or the named columns) as one table, verified against its manifest first."""
    tables = [_read_part(p, columns) for p in part_paths(ref, check=check)]
    if not tables:
        raise _error("MissingPart", f"{ref}: entry has no parts")
    return pa.concat_tables(tables)


def iter_batches(
    ref: Mapping[str, Any] | str | os.PathLike[str],
    columns: Sequence[str] | None = None,
    batch_size: int = 4096,
    *,
    check: bool = True,
) -> Iterator[pa.RecordBatch]:
    """Record batches of every part in order (bounded memory)."""
    for path in part_paths(ref, check=check):
        yield from pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=columns)


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_part(
    directory: str | os.PathLike[str], index: int, table: pa.Table, row_group_size: int = 4096
) -> Path:
    """Writes part-<index>.parquet atomically (temp name + rename), zstd."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"part-{index:05d}.parquet"
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{final.name}.{socket.gethostname()}.", dir=directory)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd", row_group_size=row_group_size)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return final


def write_manifest(
    directory: str | os.PathLike[str],
    *,
    kind: str,
    schema_version: int,
    producer: Mapping[str, str],
    params: Mapping[str, Any],
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Lists every file under ``directory`` (all but the manifest and temp files), hashes it and
    writes ``_manifest.json`` last; returns the DatasetRef. Parquet parts report their row counts."""
    directory = Path(directory)
    key = directory.name
    if not KEY_RE.fullmatch(key):
        raise _error("InvalidInput", f"{directory}: the directory name must be the 64-hex content key")
    files = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if rel == MANIFEST_FILE or path.name.startswith(TEMP_PREFIX):
            continue
        rows = pq.ParquetFile(path).metadata.num_rows if PART_RE.match(path.name) else 0
        files.append({"path": rel, "rows": rows, "bytes": path.stat().st_size, "sha256": sha256_file(path)})
    manifest = {
        "kind": kind,
        "schema_version": schema_version,
        "key": key,
        "inputs": {
            n: {"kind": r["kind"], "key": r["key"], "sha256": r["sha256"]} for n, r in (inputs or {}).items()
        },
        "params": dict(params),
        "rows": sum(f["rows"] for f in files),
        "files": files,
        "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "producer": {"activity": producer["activity"], "version": producer["version"]},
    }
    validate("Manifest", manifest)
    _atomic_write_text(directory / MANIFEST_FILE, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    mark_store_root(directory)
    return ref_of(directory, manifest)
