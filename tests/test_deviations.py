"""Declared deviations of the tutorial-faithful STATIC model (plain F.interpolate) from the contract.

The dynamic op follows ONNX Runtime (sr_model/ops.py); a static SRCNN built on F.interpolate cannot.
Each test checks that the mismatch is EXACTLY the declared one (sr_model.engine.deviations): another
shape, a figure outside the declared band, or no mismatch at all fails. Eager only: the contract
side is the dynamic eager model, which the parity tests prove equal to every exported file, so these
run once, not per target.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sr_model.engine.cases import ParityCase
from sr_model.engine.compare import compare
from sr_model.engine.deviations import STATIC_INTERPOLATE_SAME_SHAPE, STATIC_INTERPOLATE_SIZE, Deviation
from sr_model.engine.tolerance import model_tolerance
from sr_model.model import SRCNN, make_factor, random_model


def _outputs(scale: float, shape: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    dynamic = random_model(seed=0)
    static = SRCNN(scale).eval()
    static.load_state_dict(dynamic.state_dict())
    image = torch.from_numpy(ParityCase(scale, scale, shape).image())
    with torch.inference_mode():
        return static(image).numpy(), dynamic(image, make_factor(scale)).numpy()


@pytest.mark.parametrize(("deviation", "scale", "size"), [
    (STATIC_INTERPOLATE_SIZE, 4.1, 30),
    (STATIC_INTERPOLATE_SAME_SHAPE, 1.2, 4),
], ids=lambda value: value.id if isinstance(value, Deviation) else None)
def test_static_model_deviates_exactly_as_declared(deviation: Deviation, scale: float, size: int) -> None:
    assert deviation.applies(scale, scale, size, size)
    static, contract = _outputs(scale, (1, 3, size, size))
    problem = deviation.unexplained(compare(static, contract, model_tolerance(size, size)), scale, scale, size, size)
    assert problem is None, problem


def test_a_deviation_fails_on_any_other_mismatch() -> None:
    """The declaration is exact: the same comparison checked against the other row is refused."""
    static, contract = _outputs(1.2, (1, 3, 4, 4))
    comparison = compare(static, contract, model_tolerance(4, 4))
    assert STATIC_INTERPOLATE_SIZE.unexplained(comparison, 1.2, 1.2, 4, 4) is not None
    identical = compare(contract, contract, model_tolerance(4, 4))
    assert "max|diff|=0" in STATIC_INTERPOLATE_SAME_SHAPE.unexplained(identical, 1.2, 1.2, 4, 4)
