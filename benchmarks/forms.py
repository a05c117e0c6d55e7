"""The model forms the benchmarks compare: each is an exported graph plus its eager resample.

To benchmark another form, add a `Form` to `FORMS`: every latency,
GFLOP/s and profile row is produced per form, and `--forms` selects them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn


@dataclass(frozen=True)
class Form:
    """One way to express the dynamic-scale model in ONNX."""

    name: str
    description: str
    # Write the ONNX file for `model` to `path` (exporter and opset are the form's choice).
    export: Callable[[nn.Module, Path], Path]
    # The eager resample alone (image, factor) -> upsampled, to time torch's share of the work.
    eager_resample: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _export_resize(model: nn.Module, path: Path) -> Path:
    from sr_model.export import default_opset, export_onnx

    return export_onnx(path, model, exporter="torchscript", opset=default_opset("torchscript"))


def _export_decomposed(model: nn.Module, path: Path) -> Path:
    from sr_model.export import default_opset, export_onnx

    return export_onnx(path, model, exporter="torchscript", opset=default_opset("torchscript"), resize="decomposed")


def _eager_resize(image: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    from sr_model import ops

    return ops.bicubic_resize(image, factor)


FORMS: dict[str, Form] = {
    "resize": Form(
        "resize",
        "one ONNX Resize (cubic, pytorch_half_pixel) fed by the `factor` input; TorchScript exporter, default opset",
        _export_resize,
        _eager_resize,
    ),
    "decomposed": Form(
        "decomposed",
        "the bicubic resample as arithmetic and two MatMuls (multi-threaded in ORT); TorchScript exporter, default opset",
        _export_decomposed,
        _eager_resize,  # eager torch runs the same op whichever ONNX form is written
    ),
}
