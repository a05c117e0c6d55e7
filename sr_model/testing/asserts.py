"""Assert helpers whose failures read `<what>=<got>, but should be <expected> [<case>]`.

Import them into your own tests: `from sr_model.testing import asserts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sr_model.contract import CONTRACT, IOContract
from sr_model.engine.compare import Comparison, compare, parity_message
from sr_model.engine.graph import check_graph
from sr_model.engine.results import CaseResult
from sr_model.engine.tolerance import Tolerance
from sr_model.testing import recording

if TYPE_CHECKING:
    import onnx

    from sr_model.engine.run import CaseOutcome


def assert_conforms(outcome: "CaseOutcome") -> CaseResult:
    """Assert that one engine case result conforms (a declared deviation only as declared)."""
    __tracebackhide__ = True
    recording.observe(outcome.result, outcome.expected, outcome.actual)
    if not outcome.result.passed:
        raise AssertionError(outcome.result.message)
    return outcome.result


def assert_parity(
    actual: np.ndarray,
    expected: np.ndarray,
    tolerance: Tolerance,
    context: str,
    *,
    target: str,
    case_id: str | None = None,
    left: str = "ort",
    right: str = "torch",
) -> Comparison:
    """Assert equal shapes and values within `tolerance`; returns the statistics.

    `target` names the file the result belongs to (the conformance matrix's row).
    """
    __tracebackhide__ = True
    comparison = compare(actual, expected, tolerance)
    shape = tuple(np.shape(expected))
    result = CaseResult(target, case_id or context, None, None, shape, tolerance, comparison)
    recording.observe(result, expected, actual)
    if not comparison.passed:
        raise AssertionError(parity_message(comparison, tolerance, context, left, right))
    return comparison


def assert_graph_conforms(
    model: "onnx.ModelProto", expected_opset: int | None, context: str, form: str | None = None,
    contract: IOContract = CONTRACT,
) -> None:
    """Assert that `model` implements the dynamic-scale I/O contract (form detected when None)."""
    __tracebackhide__ = True
    report = check_graph(model, expected_opset, form, contract)
    if not report.ok:
        raise AssertionError(f"graph does not conform [{context}]:\n  - " + "\n  - ".join(report.problems))
