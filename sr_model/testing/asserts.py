"""Assert helpers whose failures read `<what>=<got>, but should be <expected> [<case>]`."""

from __future__ import annotations

import numpy as np

from sr_model.testing import recording
from sr_model.testing.compare import Comparison, compare, format_histogram
from sr_model.testing.contract import check_graph
from sr_model.testing.tolerance import Tolerance


def parity_message(comparison: Comparison, tolerance: Tolerance, context: str, left: str, right: str) -> str:
    """The failure message for a parity comparison (also used by reports)."""
    if not comparison.shape_ok:
        return (
            f"shape {left}={comparison.shape_actual}, but should be {right}={comparison.shape_expected} "
            f"[{context}]"
        )
    return (
        f"max|{left}-{right}|={comparison.max_abs:.3g} > {tolerance} at {comparison.argmax} "
        f"[{context}]; mean={comparison.mean_abs:.3g}, p99={comparison.p99_abs:.3g}, "
        f"min atol that would pass={comparison.min_atol:.3g}; errors {format_histogram(comparison)}"
    )


def assert_parity(
    actual: np.ndarray,
    expected: np.ndarray,
    tolerance: Tolerance,
    context: str,
    *,
    left: str = "ort",
    right: str = "torch",
) -> Comparison:
    """Assert equal shapes and values within `tolerance`; returns the statistics."""
    __tracebackhide__ = True
    comparison = compare(actual, expected, tolerance)
    recording.observe(comparison, tolerance, context, actual, expected)  # for conformance reports
    if not comparison.passed:
        raise AssertionError(parity_message(comparison, tolerance, context, left, right))
    return comparison


def assert_graph_conforms(
    model: "onnx.ModelProto", expected_opset: int | None, context: str, form: str = "resize"  # noqa: F821
) -> None:
    """Assert that `model` implements the dynamic-scale I/O contract in the given resize form."""
    __tracebackhide__ = True
    report = check_graph(model, expected_opset, form)
    if not report.ok:
        raise AssertionError(f"graph does not conform [{context}]:\n  - " + "\n  - ".join(report.problems))
