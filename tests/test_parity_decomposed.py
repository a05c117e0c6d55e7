"""The decomposed bicubic op alone: ONNX Runtime vs the eager op, value by value."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

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


@settings(deadline=None)
@given(
    height=st.integers(1, 48),
    width=st.integers(1, 48),
    scale_h=st.floats(1.0, 8.0, width=32),
    scale_w=st.floats(1.0, 8.0, width=32),
    seed=st.integers(0, 2**32 - 1),
)
@example(height=10, width=10, scale_h=1.3, scale_w=1.3, seed=0)  # float32 size 13, float64 size 12
@example(height=48, width=48, scale_h=3.3, scale_w=4.1, seed=0)  # decimal scales, largest size drawn
def test_parity_decomposed_resize_only_properties(
    decomposed_only, height: int, width: int, scale_h: float, scale_w: float, seed: int
) -> None:
    exporter, session = decomposed_only
    image = (np.random.default_rng(seed).random((1, 3, height, width), dtype=np.float32) * 255.0)
    factor = np.array([1.0, 1.0, scale_h, scale_w], dtype=np.float32)
    with torch.inference_mode():
        expected = ops.bicubic_resize(torch.from_numpy(image), torch.from_numpy(factor)).numpy()
    actual = run_session(session, image, factor)
    asserts.assert_parity(
        actual, expected, resize_tolerance(height, width),
        f"parity(resize-only {exporter}-decomposed, {height}x{width} at {factor[2]!r}x{factor[3]!r}, seed={seed})",
    )
