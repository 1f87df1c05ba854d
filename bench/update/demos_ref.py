"""The DatasetRef of a demonstrations store entry (var/store/demonstrations/<key>), for the SFT benches."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "gpu" / "src"))


def demonstrations_ref(directory: Path) -> dict[str, Any]:
    from autocode_gpu.store import files_digest

    directory = directory.resolve()
    manifest = json.loads((directory / "_manifest.json").read_text())
    return {
        "kind": "demonstrations",
        "key": manifest["key"],
        "uri": str(directory),
        "sha256": files_digest(manifest["files"]),
        "rows": manifest["rows"],
        "schema_version": manifest["schema_version"],
    }
