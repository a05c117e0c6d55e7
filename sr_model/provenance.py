"""What an exported file records about where it came from, in its `metadata_props`.

The exporter writes the weights' fingerprint, the exporter, opset and form, and the library
versions; the engine reads them back, so a file checked against other weights is reported as
exactly that, in one line, before any case runs (instead of as a wall of value failures).
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx
    from torch import nn

PREFIX = "sr_model."
WEIGHTS_SHA256 = PREFIX + "weights_sha256"
WEIGHTS_LABEL = PREFIX + "weights"


def weights_fingerprint(model: "nn.Module") -> str:
    """sha256 over the state dict's names, dtypes, shapes and bytes (short form: 16 hex digits)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        array = np.ascontiguousarray(tensor.detach().cpu().numpy())
        digest.update(f"{name}|{array.dtype}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def library_versions() -> dict[str, str]:
    """The versions that decide what an export writes."""
    import onnx
    import torch

    versions = {"python": platform.python_version(), "torch": torch.__version__, "onnx": onnx.__version__}
    try:
        import onnxscript

        versions["onnxscript"] = onnxscript.__version__
    except ImportError:  # only the dynamo exporter needs it
        pass
    return versions


def write_provenance(model: "onnx.ModelProto", entries: Mapping[str, str]) -> None:
    """Set `sr_model.<key>` metadata entries on `model` (replacing earlier ones of the same key)."""
    wanted = {PREFIX + key: str(value) for key, value in entries.items()}
    kept = [prop for prop in model.metadata_props if prop.key not in wanted]
    del model.metadata_props[:]
    for prop in kept:
        model.metadata_props.add(key=prop.key, value=prop.value)
    for key, value in wanted.items():
        model.metadata_props.add(key=key, value=value)


def read_provenance(model: "onnx.ModelProto") -> dict[str, str]:
    """The `sr_model.*` metadata of `model`, keys without the prefix (empty for other producers)."""
    return {prop.key[len(PREFIX):]: prop.value for prop in model.metadata_props if prop.key.startswith(PREFIX)}
