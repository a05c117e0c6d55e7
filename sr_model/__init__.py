"""sr_model: an SRCNN whose upscale factor stays a live input after ONNX export, and the
conformance suite that proves ONNX Runtime computes what PyTorch computed."""

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

__version__ = "0.1.0"

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
