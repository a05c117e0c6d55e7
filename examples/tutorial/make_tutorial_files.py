"""The PyTorch tutorial's three attempts at a dynamic scale, built with the shipped SRCNN weights.

Run `python make_tutorial_files.py OUT_DIR`, then `sr-model verify OUT_DIR/<file>.onnx` on each
(docs/coming-from-the-tutorial.md shows what verify says and what to change):

  (a) a Python number as the second export argument  -> TypeError at export, no file;
  (b) the scale read with `.item()`                  -> item.onnx, scale frozen at export;
  (c) the `NewInterpolate` autograd.Function (forward `F.interpolate`, symbolic a runtime-scales Resize)
      -> new_interpolate_static.onnx without `dynamic_axes`, new_interpolate_dynamic.onnx with them.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

from sr_model.checkpoint import load_checkpoint
from sr_model.model import _SRCNNLayers  # SRCNN's three convolutions, `refine(upsampled)`
from sr_model.paths import DEFAULT_CHECKPOINT

NAMES = {"input_names": ["input", "factor"], "output_names": ["output"]}
DYNAMIC_AXES = {"input": {0: "N", 2: "H", 3: "W"}, "output": {0: "N", 2: "OH", 3: "OW"}}


class IntFactorSRCNN(_SRCNNLayers):
    """(a) The scale as a plain second argument, handed straight to `F.interpolate`."""

    def forward(self, input: torch.Tensor, upscale_factor: float) -> torch.Tensor:
        return self.refine(F.interpolate(input, scale_factor=upscale_factor, mode="bicubic", align_corners=False))


class ItemFactorSRCNN(_SRCNNLayers):
    """(b) A tensor scale read back into Python with `.item()`."""

    def forward(self, input: torch.Tensor, upscale_factor: torch.Tensor) -> torch.Tensor:
        scale = upscale_factor.item()
        return self.refine(F.interpolate(input, scale_factor=scale, mode="bicubic", align_corners=False))


class NewInterpolate(torch.autograd.Function):
    """(c) The tutorial's custom function: eager `F.interpolate`, exported as Resize with runtime scales."""

    @staticmethod
    def symbolic(g, input, scales):  # noqa: ANN001, ANN205 - the TorchScript exporter's signature
        return g.op("Resize", input, g.op("Constant", value_t=torch.tensor([], dtype=torch.float32)), scales,
                    coordinate_transformation_mode_s="pytorch_half_pixel", cubic_coeff_a_f=-0.75,
                    mode_s="cubic", nearest_mode_s="floor")

    @staticmethod
    def forward(ctx, input: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        scales = scales.tolist()[-2:]
        return F.interpolate(input, scale_factor=scales, mode="bicubic", align_corners=False)


class NewInterpolateSRCNN(_SRCNNLayers):
    """(c) SRCNN whose upsample is `NewInterpolate`; `factor` is [1, 1, sh, sw] as in sr_model."""

    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        return self.refine(NewInterpolate.apply(input, factor))


def new_interpolate_srcnn() -> torch.nn.Module:
    """(c) as the tutorial runs it in PyTorch, with the shipped weights: `--model make_tutorial_files:new_interpolate_srcnn`."""
    return load_checkpoint(DEFAULT_CHECKPOINT, NewInterpolateSRCNN())


def _export(model: torch.nn.Module, args: tuple, path: Path | None, **kwargs) -> None:
    load_checkpoint(DEFAULT_CHECKPOINT, model)  # the shipped weights: `sr-model verify`'s default reference
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer warnings
        torch.onnx.export(model, args, path, dynamo=False, opset_version=11, **NAMES, **kwargs)


def main(out: Path) -> dict[str, str]:
    """Write the tutorial's files into `out`; return what each attempt produced (a path or the error)."""
    out.mkdir(parents=True, exist_ok=True)
    image = torch.rand(1, 3, 64, 64) * 255
    produced: dict[str, str] = {}
    try:
        _export(IntFactorSRCNN(), (image, 3), out / "int.onnx")
        produced["int"] = str(out / "int.onnx")
    except TypeError as error:
        produced["int"] = f"TypeError: {str(error).splitlines()[0]}"
    factor = torch.tensor([1.0, 1.0, 3.0, 3.0])
    exports = {
        "item.onnx": (ItemFactorSRCNN(), (image, torch.tensor(3.0)), {"dynamic_axes": DYNAMIC_AXES}),
        "new_interpolate_static.onnx": (NewInterpolateSRCNN(), (image, factor), {}),
        "new_interpolate_dynamic.onnx": (NewInterpolateSRCNN(), (image, factor), {"dynamic_axes": DYNAMIC_AXES}),
    }
    for name, (model, args, kwargs) in exports.items():
        _export(model, args, out / name, **kwargs)
        produced[name.removesuffix(".onnx")] = str(out / name)
    return produced


if __name__ == "__main__":
    for attempt, result in main(Path(sys.argv[1] if len(sys.argv) > 1 else "tutorial-files")).items():
        print(f"{attempt}: {result}")
