"""Declared deviations of the tutorial-faithful STATIC model (plain F.interpolate) from ORT.

The dynamic op follows ORT (see sr_model/ops.py); a static SRCNN built on F.interpolate cannot, and
these strict xfails record by how much. If torch or ORT ever change, they fail loudly.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sr_model.model import SRCNN
from sr_model.testing import asserts
from sr_model.testing.cases import ParityCase
from sr_model.testing.parity import ort_output
from sr_model.testing.tolerance import model_tolerance


def _static_output(reference_model, scale: float, image: np.ndarray) -> np.ndarray:
    static = SRCNN(scale).eval()
    static.load_state_dict(reference_model.state_dict())
    with torch.inference_mode():
        return static(torch.from_numpy(image)).numpy()


@pytest.mark.xfail(
    strict=True,
    reason="declared deviation: F.interpolate sizes 30 x 4.1 in float64 (122.99999 -> 122); "
    "ORT multiplies float32(30) * float32(4.1) = 123.0 -> 123 (measured: 122 vs 123 rows)",
)
def test_parity_static_model_size_rounding(property_target, session_for, exported, reference_model) -> None:
    case = ParityCase(float(np.float32(4.1)), float(np.float32(4.1)), (1, 3, 30, 30))
    actual = ort_output(session_for(exported(property_target)), case.image(), case.factor())
    expected = _static_output(reference_model, 4.1, case.image())
    asserts.assert_parity(actual, expected, model_tolerance(30, 30), f"parity({property_target.id}, static {case.id})")


@pytest.mark.xfail(
    strict=True,
    reason="declared deviation: at 4x4 x1.2 the output shape equals the input shape; ORT returns "
    "the input unchanged, F.interpolate resamples (measured, seed-0 weights on the case's noise: "
    "max|ort-static| = 3.8 after the convolutions; 36.5 on the resize alone)",
)
def test_parity_static_model_same_shape(property_target, session_for, exported, reference_model) -> None:
    case = ParityCase(1.2, 1.2, (1, 3, 4, 4))
    actual = ort_output(session_for(exported(property_target)), case.image(), case.factor())
    expected = _static_output(reference_model, 1.2, case.image())
    asserts.assert_parity(actual, expected, model_tolerance(4, 4), f"parity({property_target.id}, static {case.id})")
