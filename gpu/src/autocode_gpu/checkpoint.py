"""HF-format checkpoints (safetensors + config + tokenizer): load with clear errors, save atomically."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from temporalio.exceptions import ApplicationError

from .errors import bad_checkpoint
from .paths import checkpoints_root
from .store import MANIFEST_FILE, TEMP_PREFIX, read_manifest, ref_of, ref_uri, sha256_file, write_manifest

# Hashing every file on load is cheap for small policies and skipped for large ones (sizes still checked).
VERIFY_HASH_BYTES = 512 << 20


def _quiet_transformers() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def check_checkpoint(path: Path) -> dict[str, Any] | None:
    """Raises a non-retryable error when ``path`` is not a complete checkpoint; returns its manifest if any.

    Inside the store a checkpoint without ``_manifest.json`` is half-written. Outside it (a model
    downloaded elsewhere) the manifest is optional.
    """
    if not path.is_dir():
        raise bad_checkpoint(f"checkpoint {path} does not exist or is not a directory")
    try:
        manifest = read_manifest(path)
    except ApplicationError as e:
        raise bad_checkpoint(f"checkpoint {path}: {e}") from e
    if manifest is not None:
        total = sum(int(f.get("bytes", 0)) for f in manifest["files"])
        for f in manifest["files"]:
            p = path / f["path"]
            if not p.is_file():
                raise bad_checkpoint(f"checkpoint {path} is incomplete: {f['path']} is missing")
            if p.stat().st_size != f["bytes"]:
                raise bad_checkpoint(
                    f"checkpoint {path} is half-written: {f['path']} has {p.stat().st_size} bytes, "
                    f"the manifest says {f['bytes']}"
                )
            if total <= VERIFY_HASH_BYTES and sha256_file(p) != f["sha256"]:
                raise bad_checkpoint(
                    f"checkpoint {path}: {f['path']} does not match its sha256 in the manifest"
                )
    elif checkpoints_root() in path.resolve().parents:
        raise bad_checkpoint(f"checkpoint {path} is half-written: it has no {MANIFEST_FILE}")
    if not (path / "config.json").is_file():
        raise bad_checkpoint(f"checkpoint {path} has no config.json")
    if not any(path.glob("*.safetensors")) and not any(path.glob("*.bin")):
        raise bad_checkpoint(f"checkpoint {path} has no weights (*.safetensors)")
    return manifest


def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def resolve_dtype(dtype: str, device: str):  # -> torch.dtype
    import torch

    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]


def load_tokenizer(path: Path):
    _quiet_transformers()
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(path))
    except Exception as e:
        raise bad_checkpoint(f"checkpoint {path}: tokenizer does not load: {e}") from e
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def load_policy(path: Path, device: str = "auto", dtype: str = "auto"):
    """(model, tokenizer) of the checkpoint at ``path`` in eval mode on ``device``."""
    _quiet_transformers()
    check_checkpoint(path)
    from transformers import AutoModelForCausalLM

    device = resolve_device(device)
    try:
        json.loads((path / "config.json").read_text())
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=resolve_dtype(dtype, device))
    except Exception as e:
        raise bad_checkpoint(f"checkpoint {path} does not load: {type(e).__name__}: {e}") from e
    tok = load_tokenizer(path)
    if len(tok) > model.config.vocab_size:
        raise bad_checkpoint(
            f"checkpoint {path}: tokenizer has {len(tok)} tokens, "
            f"the model's vocab_size is {model.config.vocab_size}"
        )
    model.to(device)
    model.eval()
    return model, tok


def save_checkpoint(
    model,
    tokenizer,
    dest: Path,
    *,
    producer: dict[str, str],
    params: dict[str, Any],
    inputs: dict[str, dict[str, Any]] | None = None,
    save_dtype=None,
) -> dict[str, Any]:
    """Writes model, config and tokenizer under a temp name, the manifest last (store.write_manifest),
    then renames the directory to ``dest`` (whose name is the content key): a reader sees either
    nothing or a complete checkpoint. Returns the entry's DatasetRef."""
    from .ranks import world

    here = world()
    if here.size > 1:
        # Under torch.distributed ranks rank 0 writes; the others wait for it and return its entry.
        import torch.distributed as dist

        if here.main:
            ref = _write_checkpoint(model, tokenizer, dest, producer, params, inputs, save_dtype)
            dist.barrier()
            return ref
        dist.barrier()
        manifest = read_manifest(dest)
        if manifest is None:
            raise bad_checkpoint(f"rank {here.rank}: rank 0 wrote {dest}, which this host does not see")
        return ref_of(dest, manifest)
    return _write_checkpoint(model, tokenizer, dest, producer, params, inputs, save_dtype)


def _write_checkpoint(model, tokenizer, dest: Path, producer, params, inputs, save_dtype) -> dict[str, Any]:
    import torch

    _quiet_transformers()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f"{TEMP_PREFIX}{dest.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    tmp = staging / dest.name  # the manifest's key is its directory's name
    tmp.mkdir(parents=True)
    state = None
    if save_dtype is not None:
        state = {
            k: v.detach().to(save_dtype) if v.is_floating_point() else v
            for k, v in model.state_dict().items()
        }
    with torch.no_grad():
        model.save_pretrained(str(tmp), state_dict=state)
    tokenizer.save_pretrained(str(tmp))
    ref = write_manifest(
        tmp, kind="checkpoints", schema_version=1, producer=producer, params=params, inputs=inputs or {}
    )
    if (dest / MANIFEST_FILE).exists():
        # Another attempt finished first: same key, same inputs; keep theirs.
        shutil.rmtree(staging, ignore_errors=True)
        return {**ref, "uri": ref_uri(dest)}
    if dest.exists():
        shutil.rmtree(dest)  # a half-written leftover without a manifest
    os.replace(tmp, dest)
    shutil.rmtree(staging, ignore_errors=True)
    return {**ref, "uri": ref_uri(dest)}
