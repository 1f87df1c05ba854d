"""Wire types from ``schemas/json`` (exported by the TypeScript side): validate before use.

The SDK's converter would silently drop unknown keys into dataclasses, so activities take plain
dicts and validate them here against the one schema both languages share.
"""

from __future__ import annotations

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


def validate(name: str, payload: Any) -> dict[str, Any]:
    """Returns ``payload`` when it matches wire type ``name``; else a non-retryable error naming the field."""
    errors = sorted(_validator(name).iter_errors(payload), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        raise ApplicationError(
            f"invalid {name} at {where}: {first.message}", type="InvalidInput", non_retryable=True
        )
    return payload
