"""Expected outputs and their bounds kept across runs: the float64 reference is the costly part of a
named case, and it changes only when the model, its weights, the case or the policy's code does.

Keyed like the export cache (`export_cache`): the model's classes and weights, the case id, the
package sources the expectation is computed from (the op, the model, the tolerance policy), and the
library versions. Entries are `.npz` files written atomically; an unreadable one is computed again.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
from torch import nn

from sr_model.atomic import write_bytes_atomic
from sr_model.engine.export_cache import _model_sources, library_versions
from sr_model.provenance import weights_digest

_ENGINE = Path(__file__).resolve().parent
_PACKAGE = _ENGINE.parent
# The code an expectation is computed by: the op and its size rule, validation, the shipped model,
# the policy and the case images.
_SOURCES = ("ops.py", "sizes.py", "validation.py", "model.py", "degrade.py", "imageio.py",
            "engine/derived_tolerance.py", "engine/tolerance.py", "engine/cases.py")
_SCHEMA = "sr_model.expectation/1"


def expectation_key(model: nn.Module, case_id: str, device: str, allow_tf32: bool) -> str:
    """sha256 of everything the expected output and its bound depend on."""
    digest = hashlib.sha256()
    parts = [_SCHEMA, case_id, device, str(allow_tf32), weights_digest(model)]
    parts += [f"{name}:{source.decode(errors='replace')}" for name, source in _model_sources(model)]
    parts += [f"{name}:{(_PACKAGE / name).read_text()}" for name in _SOURCES]
    parts += [f"{name}={version}" for name, version in sorted(library_versions().items())]
    for part in parts:
        data = part.encode()
        digest.update(f"{len(data)}:".encode() + data)
    return digest.hexdigest()


def load(cache_dir: Path, key: str) -> tuple[np.ndarray, float, float, str] | None:
    """(expected, atol, rtol, reason) of a stored entry, or None when absent or unreadable."""
    path = cache_dir / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as entry:
            meta = json.loads(str(entry["meta"]))
            return np.array(entry["expected"]), float(meta["atol"]), float(meta["rtol"]), str(meta["reason"])
    except (OSError, ValueError, KeyError):
        return None


def store(cache_dir: Path, key: str, expected: np.ndarray, atol: float, rtol: float, reason: str) -> None:
    """Write one entry atomically (concurrent writers of one key write the same bytes)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    meta = json.dumps({"atol": atol, "rtol": rtol, "reason": reason})
    np.savez(buffer, expected=expected, meta=np.array(meta))
    write_bytes_atomic(cache_dir / f"{key}.npz", buffer.getvalue())
