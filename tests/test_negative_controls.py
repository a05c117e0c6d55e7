"""The tutorial's two failed attempts, reproduced, and the graph checks shown to reject them.

The tutorial (SRCNN with `F.interpolate(scale_factor=upscale_factor)`) first passes a Python int as
the second export argument, then reads the scale with `.item()`. Neither yields a dynamic scale.
"""

from __future__ import annotations

import io
import warnings

import onnx
import pytest
import torch
import torch.nn.functional as F

from sr_model.model import _SRCNNLayers
from sr_model.engine.graph import check_graph


class _IntFactorSRCNN(_SRCNNLayers):
    """Attempt 1: the scale as a plain second argument handed straight to interpolate."""

    def forward(self, input, upscale_factor):
        x = F.interpolate(input, scale_factor=upscale_factor, mode="bicubic", align_corners=False)
        return self.refine(x)


class _ItemFactorSRCNN(_SRCNNLayers):
    """Attempt 2: a tensor factor read back into Python with `.item()`."""

    def forward(self, input, upscale_factor):
        x = F.interpolate(input, scale_factor=upscale_factor.item(), mode="bicubic", align_corners=False)
        return self.refine(x)


def _legacy_export(model, args) -> onnx.ModelProto:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), args, buffer, dynamo=False, opset_version=11,
                          input_names=["input", "factor"], output_names=["output"],
                          dynamic_axes={"input": {0: "N", 2: "H", 3: "W"}})
    return onnx.load_from_string(buffer.getvalue())


def test_int_factor_cannot_be_exported() -> None:
    # The traced int is a tensor inside the tracer, which aten's bicubic refuses.
    with pytest.raises(TypeError, match="upsample_bicubic2d"):
        _legacy_export(_IntFactorSRCNN(), (torch.rand(1, 3, 8, 8), 3))


def test_item_factor_exports_a_frozen_scale_that_the_graph_checks_reject() -> None:
    model = _legacy_export(_ItemFactorSRCNN(), (torch.rand(1, 3, 8, 8), torch.tensor(3.0)))
    problems = "\n".join(check_graph(model, expected_opset=11).problems)
    # The scale is baked in: `factor` is gone from the inputs and the Resize reads a constant.
    assert "graph inputs=['input'], but should be ['input', 'factor']" in problems
    assert "Resize scales=" in problems and "the scale was frozen at export" in problems
    # ...and the coordinate mode silently became half_pixel (FACTS section 2).
    assert "coordinate_transformation_mode='half_pixel'" in problems
