"""Meta tests of the suite's own helpers (in the manner of array-api-tests' meta_tests/): the
comparison, the strategies, the case ids, the tolerance policy and the selection, each checked
against expectations stated here, not derived from the helper under test."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings

from sr_model.engine.cases import FACE_CASES, LARGE_CASES, PARITY_GRID, ParityCase
from sr_model.engine.compare import compare
from sr_model.engine.reference import from_model
from sr_model.engine.selection import TargetSpec, select
from sr_model.engine.tolerance import Tolerance, expect, override_tolerance
from sr_model.model import random_model
from sr_model.testing.strategies import SCALE_MIN, SCALE_MAX, float32_scales, image_cases

_TOL = Tolerance(1e-3, 0.0, "meta")


def test_compare_passes_equal_arrays_with_zero_min_atol() -> None:
    a = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    result = compare(a, a.copy(), _TOL)
    assert result.passed and result.max_abs == 0.0 and result.min_atol == 0.0


def test_compare_locates_the_worst_element_and_counts_every_element() -> None:
    expected = np.zeros((1, 3, 4, 5), np.float32)
    actual = expected.copy()
    actual[0, 2, 1, 3] = 0.25
    result = compare(actual, expected, _TOL)
    assert not result.passed
    assert result.argmax == (0, 2, 1, 3) and result.max_abs == pytest.approx(0.25)
    assert result.min_atol == pytest.approx(0.25)
    assert sum(count for _, count in result.histogram) == expected.size


def test_compare_fails_on_shape_and_on_nan() -> None:
    assert not compare(np.zeros((1, 3, 2, 2)), np.zeros((1, 3, 2, 3)), _TOL).passed
    nan = np.zeros((1, 3, 2, 2))
    nan[0, 0, 0, 0] = np.nan
    assert not compare(nan, np.zeros((1, 3, 2, 2)), _TOL).passed


def test_compare_applies_rtol_to_the_expected_magnitude() -> None:
    expected = np.full((1, 1, 1, 2), 100.0)
    actual = expected + np.array([0.05, 0.0]).reshape(1, 1, 1, 2)
    assert not compare(actual, expected, Tolerance(0.0, 1e-4, "")).passed  # 0.05 > 100 * 1e-4
    assert compare(actual, expected, Tolerance(0.0, 1e-3, "")).passed  # 0.05 <= 100 * 1e-3


@settings(max_examples=200)
@given(scale=float32_scales())
def test_drawn_scales_are_float32_values_in_the_proven_range(scale: float) -> None:
    assert SCALE_MIN <= scale <= SCALE_MAX
    assert float(np.float32(scale)) == scale


@settings(max_examples=50)
@given(case=image_cases())
def test_drawn_images_are_nchw_float32_in_0_255(case) -> None:
    n, c, h, w = case.image.shape
    assert 1 <= n <= 4 and c == 3 and 1 <= h <= 64 and 1 <= w <= 64
    assert case.image.dtype == np.float32 and case.image.min() >= 0 and case.image.max() <= 255
    assert case.factor.tolist() == [1.0, 1.0, case.scale_h, case.scale_w]


def test_case_ids_read_scale_then_shape_and_are_identifier_safe() -> None:
    assert ParityCase(2.5, 2.5, (1, 3, 17, 9)).id == "x2.5-1x3x17x9"
    assert ParityCase(2.0, 3.0, (2, 3, 7, 19)).id == "x2x3-2x3x7x19"
    assert ParityCase(2.0, 2.0, (1, 3, 64, 64), "face").id == "x2-1x3x64x64-face"
    ids = [case.id for case in (*PARITY_GRID, *FACE_CASES, *LARGE_CASES)]
    assert len(ids) == len(set(ids)), "case ids must be unique: they key the reference's cache"
    assert all(re.fullmatch(r"[A-Za-z0-9_.x-]+", case_id) for case_id in ids)


def test_target_ids_read_exporter_opset_form() -> None:
    assert TargetSpec("torchscript", 17).id == "torchscript-opset17"
    assert TargetSpec("dynamo", 20, "decomposed").id == "dynamo-opset20-decomposed"


def test_named_case_images_are_deterministic() -> None:
    case = PARITY_GRID[3]
    np.testing.assert_array_equal(case.image(), case.image())
    assert case.image().dtype == np.float32


def test_policy_derives_an_absolute_bound_and_overrides_only_what_is_given() -> None:
    reference = from_model(random_model(0))
    case = ParityCase(2.5, 2.5, (1, 3, 17, 9))
    derived = expect(reference, case.image(), case.factor()).tolerance
    assert derived.atol > 0 and derived.rtol == 0.0 and "yardstick" in derived.reason
    reference.tolerance_override = override_tolerance(0.5, None)
    overridden = expect(reference, case.image(), case.factor()).tolerance
    assert overridden.atol == 0.5 and overridden.rtol == 0.0 and "--atol=0.5" in overridden.reason


def test_selection_subsets_are_stated_independently() -> None:
    chosen = select(["torchscript"], None, ["decomposed"])
    opsets = [t.opset for t in chosen.targets]
    assert opsets[0] == 11 and 17 in opsets
    # The decomposed grid: first, default and last opset only; the properties: the default opset.
    assert {t.opset for t in chosen.grid} == {opsets[0], 17, opsets[-1]}
    assert [t.opset for t in chosen.properties] == [17]


def test_the_oracle_probe_agrees_with_a_real_file(tmp_path) -> None:
    """The probe says the reference evaluator cannot run our Resize <=> it fails on a real export."""
    import onnx

    from sr_model.engine.oracle import oracle_unavailable_reason, reference_output
    from sr_model.export import export_onnx

    path = export_onnx(tmp_path / "m.onnx", random_model(0), opset=17)
    case = ParityCase(2.0, 2.0, (1, 3, 5, 4))
    try:
        reference_output(onnx.load(path), case.image(), case.factor())
        failed = False
    except Exception:  # noqa: BLE001 - whatever the old evaluator raises
        failed = True
    assert failed == (oracle_unavailable_reason() is not None), oracle_unavailable_reason()
