"""Run the suite's checks on one exported file and collect every failure as a readable line.

Used by the gate's own tests (a broken exporter must produce at least one failure here) and usable
directly on any file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import onnx
from torch import nn

from sr_model.testing.asserts import parity_message
from sr_model.testing.cases import ParityCase
from sr_model.testing.compare import compare
from sr_model.testing.contract import check_graph
from sr_model.testing.parity import ort_output, torch_output
from sr_model.testing.tolerance import model_tolerance

# Few but discriminating: a non-export scale, an anisotropic pair, a non-export size and batch.
QUICK_CASES: tuple[ParityCase, ...] = (
    ParityCase(2.0, 2.0, (1, 3, 9, 7)),
    ParityCase(2.5, 1.5, (2, 3, 12, 17)),
    ParityCase(3.0, 3.0, (1, 3, 24, 32)),
)


def conformance_failures(
    path: str | os.PathLike[str],
    reference_model: nn.Module,
    expected_opset: int | None,
    cases: Sequence[ParityCase] = QUICK_CASES,
    *,
    form: str = "resize",
) -> list[str]:
    """Graph problems plus parity failures (including ORT errors) of the file at `path`."""
    from sr_model.runtime import create_session

    failures = [f"graph: {problem}" for problem in check_graph(onnx.load(path), expected_opset, form=form).problems]
    try:
        session = create_session(path)
    except Exception as error:  # noqa: BLE001 - any ORT load failure is a conformance failure
        return [*failures, f"ORT cannot load the file: {type(error).__name__}: {error}"]
    for case in cases:
        image, factor = case.image(), case.factor()
        context = f"parity({os.fspath(path)}, {case.id})"
        try:
            actual = ort_output(session, image, factor)
        except Exception as error:  # noqa: BLE001 - ORT refusing an input is a conformance failure
            failures.append(f"ORT run failed [{context}]: {type(error).__name__}: {str(error)[:200]}")
            continue
        tolerance = model_tolerance(*case.shape[2:])
        comparison = compare(actual, torch_output(reference_model, image, factor), tolerance)
        if not comparison.passed:
            failures.append(parity_message(comparison, tolerance, context, "ort", "torch"))
    return failures
