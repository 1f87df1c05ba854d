"""Wire types from ``schemas/json`` (exported by the TypeScript side): validate before use.

The SDK's converter would silently drop unknown keys into dataclasses, so activities take plain
dicts and validate them here against the one schema both languages share.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from temporalio.exceptions import ApplicationError

SCHEMA_DIR = Path(
    os.environ.get("AUTOCODE_SCHEMA_DIR", Path(__file__).resolve().parents[3] / "schemas" / "json")
)


@cache
def _validator(name: str) -> Draft202012Validator:
    path = SCHEMA_DIR / f"{name}.schema.json"
    if not path.exists():
        raise FileNotFoundError(f"wire schema {name} not found at {path}")
    return Draft202012Validator(json.loads(path.read_text()))


def first_error(name: str, payload: Any) -> str | None:
    """The first mismatch of ``payload`` with wire type ``name`` ("at <field>: <why>"); None if it fits."""
    errors = sorted(_validator(name).iter_errors(payload), key=lambda e: [str(p) for p in e.path])
    if not errors:
        return None
    first = errors[0]
    where = "/".join(str(p) for p in first.path) or "(root)"
    return f"at {where}: {first.message}"


def validate(name: str, payload: Any) -> dict[str, Any]:
    """Returns ``payload`` when it matches wire type ``name``; else a non-retryable error naming the field."""
    problem = first_error(name, payload)
    if problem:
        raise ApplicationError(f"invalid {name} {problem}", type="InvalidInput", non_retryable=True)
    return payload


def _fill(schema: dict[str, Any], value: Any) -> Any:
    if not isinstance(value, dict) or "properties" not in schema:
        return value
    out = dict(value)
    for key, sub in schema["properties"].items():
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if key in out:
            out[key] = _fill(sub, out[key])
    return out


def with_defaults(name: str, payload: Any) -> dict[str, Any]:
    """Validates ``payload`` and returns a copy with every schema default filled in (zod's defaults, once)."""
    validate(name, payload)
    return _fill(_validator(name).schema, payload)
