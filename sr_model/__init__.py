"""sr_model: an SRCNN whose upscale factor stays a live input after ONNX export, and the
conformance suite that proves ONNX Runtime computes what PyTorch computed."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public names are loaded on first access: `import sr_model` (and so `sr-model --help`) must not
# pay for importing torch. Each name maps to the module that defines it.
_LAZY = {
    "load_checkpoint": "sr_model.checkpoint",
    **dict.fromkeys(
        (
            "CheckpointError", "ExportError", "FactorError", "InputImageError", "OnnxModelError",
            "SrModelError", "UnknownExporterError", "UnknownResizeFormError", "UnsupportedOpsetError",
            "UsageError",
        ),
        "sr_model.errors",
    ),
    **dict.fromkeys(("CONTRACT", "EXPORTERS", "IOContract", "export_onnx", "supported_opsets"), "sr_model.export"),
    **dict.fromkeys(("SRCNN", "DynamicSRCNN", "make_factor", "random_model"), "sr_model.model"),
}

if TYPE_CHECKING:
    from sr_model.checkpoint import load_checkpoint
    from sr_model.errors import (
        CheckpointError,
        ExportError,
        FactorError,
        InputImageError,
        OnnxModelError,
        SrModelError,
        UnknownExporterError,
        UnknownResizeFormError,
        UnsupportedOpsetError,
        UsageError,
    )
    from sr_model.export import CONTRACT, EXPORTERS, IOContract, export_onnx, supported_opsets
    from sr_model.model import SRCNN, DynamicSRCNN, make_factor, random_model

__all__ = [
    "CONTRACT",
    "EXPORTERS",
    "SRCNN",
    "CheckpointError",
    "DynamicSRCNN",
    "ExportError",
    "FactorError",
    "IOContract",
    "InputImageError",
    "OnnxModelError",
    "SrModelError",
    "UnknownExporterError",
    "UnknownResizeFormError",
    "UnsupportedOpsetError",
    "UsageError",
    "export_onnx",
    "load_checkpoint",
    "make_factor",
    "random_model",
    "supported_opsets",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access and cache the name here."""
    module = _LAZY.get(name)
    if module is None:
        # AttributeError (not ImportError) so that `from sr_model import submodule` still works.
        raise AttributeError(f"module 'sr_model' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
