"""PyTorch vs ONNX Runtime on the named grid, on files exported at ONE shape and factor."""

from __future__ import annotations

import pytest

from sr_model.testing import asserts
from sr_model.testing.cases import PARITY_GRID, ParityCase
from sr_model.testing.parity import ort_output, torch_output
from sr_model.testing.tolerance import model_tolerance

_torch_outputs: dict[str, object] = {}


@pytest.mark.parametrize("case", PARITY_GRID, ids=[case.id for case in PARITY_GRID])
def test_parity_grid(export_target, case: ParityCase, ort_session, reference_model) -> None:
    image, factor = case.image(), case.factor()
    # The eager output does not depend on the exporter or opset: compute it once per case.
    if case.id not in _torch_outputs:
        _torch_outputs[case.id] = torch_output(reference_model, image, factor)
    expected = _torch_outputs[case.id]
    actual = ort_output(ort_session, image, factor)
    asserts.assert_parity(
        actual, expected, model_tolerance(*case.shape[2:]), f"parity({export_target.id}, {case.id})"
    )
