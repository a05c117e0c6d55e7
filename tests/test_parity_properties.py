"""Property-based parity: any float32 scale pair in [1, 8], sizes 1..64, batch 1..4, three
kinds of content, on the file exported once per exporter."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import event, example, given

from sr_model import ops
from sr_model.testing import asserts
from sr_model.testing.cases import PARITY_GRID, ParityCase
from sr_model.testing.parity import ort_output, torch_output
from sr_model.testing.strategies import ImageCase, image_cases
from sr_model.testing.tolerance import model_tolerance, resize_tolerance


def _noise(shape: tuple[int, int, int, int]) -> np.ndarray:
    return ParityCase(1.0, 1.0, shape).image()


def _record_size_rounding(case: ImageCase) -> None:
    h, w = case.image.shape[2:]
    if (math.floor(h * case.scale_h), math.floor(w * case.scale_w)) != case.output_hw():
        event("float32 output size != float64 output size")
    if case.output_hw() == (h, w):
        event("output shape == input shape (ORT identity shortcut)")


def _assert_shape(actual: np.ndarray, case: ImageCase, context: str) -> None:
    __tracebackhide__ = True
    expected = (case.image.shape[0], 3, *case.output_hw())
    assert actual.shape == expected, f"shape={actual.shape}, but should be {expected} [{context}]"


# Pinned: the two ways ORT's Resize departs from F.interpolate (FACTS section 4).
@example(case=ImageCase(_noise((1, 3, 10, 10)), float(np.float32(1.3)), float(np.float32(1.3)), "noise"))
@example(case=ImageCase(_noise((1, 3, 4, 4)), float(np.float32(1.2)), float(np.float32(1.2)), "noise"))
@given(case=image_cases())
def test_parity_property_model(property_target, exported, session_for, reference_model, case: ImageCase) -> None:
    _record_size_rounding(case)
    context = f"parity({property_target.id}, {case.id})"
    actual = ort_output(session_for(exported(property_target)), case.image, case.factor)
    expected = torch_output(reference_model, case.image, case.factor)
    _assert_shape(actual, case, context)
    asserts.assert_parity(actual, expected, model_tolerance(*case.image.shape[2:]), context)


# Pinned from the former decomposed-only property: decimal scales at the largest drawn sizes.
@example(case=ImageCase(_noise((1, 3, 48, 48)), float(np.float32(3.3)), float(np.float32(4.1)), "noise"))
@example(case=ImageCase(_noise((1, 3, 10, 10)), float(np.float32(1.3)), float(np.float32(1.3)), "noise"))
@example(case=ImageCase(_noise((1, 3, 30, 30)), float(np.float32(4.1)), 1.0, "noise"))
@given(case=image_cases())
def test_parity_property_resize_only(property_target, upsample_only, case: ImageCase) -> None:
    """The file's upsampling alone vs the eager op: isolates the resize from the convolutions."""
    _record_size_rounding(case)
    _, session = upsample_only(property_target)
    context = f"parity-resize({property_target.id}, {case.id})"
    actual = ort_output(session, case.image, case.factor)
    expected = _eager_resize(case.image, case.factor)
    _assert_shape(actual, case, context)
    asserts.assert_parity(actual, expected, resize_tolerance(*case.image.shape[2:]), context)


def _eager_resize(image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return ops.bicubic_resize(torch.from_numpy(image), torch.from_numpy(factor)).numpy()


@pytest.mark.parametrize("case", PARITY_GRID, ids=[case.id for case in PARITY_GRID])
def test_parity_resize_only_grid(property_target, upsample_only, case: ParityCase) -> None:
    """The named grid on the upsampling alone, for both forms."""
    image, factor = case.image(), case.factor()
    _, session = upsample_only(property_target)
    asserts.assert_parity(
        ort_output(session, image, factor), _eager_resize(image, factor),
        resize_tolerance(*case.shape[2:]), f"parity-resize({property_target.id}, {case.id})",
    )


# A few large cases the property test does not reach (its sides stop at 64).
LARGE_CASES = (
    ParityCase(float(np.float32(3.3)), float(np.float32(3.3)), (1, 3, 256, 256)),
    ParityCase(float(np.float32(1.9)), float(np.float32(2.3)), (1, 3, 200, 300)),
    ParityCase(float(np.float32(4.1)), float(np.float32(1.3)), (2, 3, 130, 96)),
)


@pytest.mark.parametrize("case", LARGE_CASES, ids=[c.id for c in LARGE_CASES])
def test_parity_large(property_target, exported, session_for, reference_model, case: ParityCase) -> None:
    image, factor = case.image(), case.factor()
    context = f"parity({property_target.id}, {case.id})"
    actual = ort_output(session_for(exported(property_target)), image, factor)
    expected = torch_output(reference_model, image, factor)
    asserts.assert_parity(actual, expected, model_tolerance(*case.shape[2:]), context)
