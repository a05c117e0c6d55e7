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

if TYPE_CHECKING:
    import onnx
    from torch import nn

PREFIX = "sr_model."
WEIGHTS_SHA256 = PREFIX + "weights_sha256"
WEIGHTS_LABEL = PREFIX + "weights"


def weights_digest(model: "nn.Module") -> str:
    """sha256 over the state dict: names, dtypes, shapes and raw bytes, in key order."""
    import torch

    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        digest.update(name.encode() + b"\0")
        if isinstance(value, torch.Tensor):
            tensor = value.detach().to("cpu").contiguous()
            digest.update(f"{tensor.dtype}{tuple(tensor.shape)}".encode())
            # A uint8 view takes every dtype (bfloat16 included, which numpy cannot).
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
        else:  # extra state: whatever its repr says
            digest.update(repr(value).encode())
    return digest.hexdigest()


def weights_fingerprint(model: "nn.Module") -> str:
    """The weights' digest in the short form files record (16 hex digits)."""
    return weights_digest(model)[:16]


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
