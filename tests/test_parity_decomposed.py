"""The decomposed bicubic op alone: ONNX Runtime vs the eager op, value by value."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sr_model import ops
from sr_model.export import default_opset, export_onnx, supported_opsets
from sr_model.runtime import create_session, run_session
from sr_model.testing import asserts
from sr_model.testing.cases import PARITY_GRID, ParityCase
from sr_model.testing.tolerance import resize_tolerance


class _ResizeOnly(torch.nn.Module):
    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        return ops.bicubic_resize(input, factor)


@pytest.fixture(scope="module", params=[e for e in ("torchscript", "dynamo") if supported_opsets(e)])
def decomposed_only(request, tmp_path_factory: pytest.TempPathFactory):
    """(exporter, ORT session) on the decomposed op alone, at the exporter's default opset."""
    path = export_onnx(
        tmp_path_factory.mktemp("decomposed_only") / f"{request.param}.onnx", _ResizeOnly().eval(),
        exporter=request.param, opset=default_opset(request.param), resize="decomposed",
    )
    return request.param, create_session(path)


@pytest.mark.parametrize("case", PARITY_GRID, ids=[case.id for case in PARITY_GRID])
def test_parity_decomposed_resize_only(decomposed_only, case: ParityCase) -> None:
    # The Resize form of the op is held to `resize_tolerance` (ORT's coordinate rounding); the
    # decomposed form follows aten's coordinate formula, so the same bound must hold a fortiori.
    exporter, session = decomposed_only
    image, factor = case.image(), case.factor()
    with torch.inference_mode():
        expected = ops.bicubic_resize(torch.from_numpy(image), torch.from_numpy(factor)).numpy()
    actual = run_session(session, image, factor)
    asserts.assert_parity(
        actual, expected, resize_tolerance(*case.shape[2:]), f"parity(resize-only {exporter}-decomposed, {case.id})"
    )
