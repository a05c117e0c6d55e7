"""The third oracle: onnx.reference.ReferenceEvaluator on the same exported files.

By design it computes Resize in float64: its output size is floor(H * s) in double, and it has no
same-shape shortcut. Those are declared deviations (sr_model.engine.deviations), each checked to be
exactly what it declares; everywhere else it must agree with the runtime. The decomposed form has
no Resize, so no deviation applies to it: there the reference must agree everywhere.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import event, example, given

from sr_model.engine.cases import ParityCase
from sr_model.engine.compare import compare
from sr_model.engine.deviations import ONNX_REFERENCE_FLOAT64_SIZE, ONNX_REFERENCE_NO_SHORTCUT, runtime_deviation
from sr_model.engine.oracle import oracle_unavailable_reason, reference_output
from sr_model.engine.tolerance import resize_tolerance
from sr_model.testing import asserts
from sr_model.testing.strategies import ImageCase, image_cases

_ORACLE_DEVIATIONS = (ONNX_REFERENCE_FLOAT64_SIZE, ONNX_REFERENCE_NO_SHORTCUT)


def _skip_without_the_oracle() -> None:
    reason = oracle_unavailable_reason()
    if reason is not None:
        pytest.skip(f"unsupported by this stack: {reason}")


def _check_against_reference(target, form, session, subgraph, image: np.ndarray, factor: np.ndarray,
                             case_id: str) -> None:
    __tracebackhide__ = True
    (actual,) = session.run({"input": image, "factor": factor}, ["output"])
    reference = reference_output(subgraph, image, factor)
    scale_h, scale_w = float(factor[2]), float(factor[3])
    in_h, in_w = image.shape[2:]
    tolerance = resize_tolerance(in_h, in_w)
    if runtime_deviation(target.runtime, form, scale_h, scale_w, in_h, in_w) is not None:
        # The runtime's own declared deviation covers this case; the resize-only tests hold it to
        # its declaration. Against the oracle it would only measure that deviation again.
        event("runtime's declared deviation: not compared with the oracle")
        return
    for deviation in _ORACLE_DEVIATIONS:
        if deviation.applies(scale_h, scale_w, in_h, in_w, form=form):
            event(f"deviation: {deviation.id}")
            problem = deviation.unexplained(compare(reference, actual, tolerance), scale_h, scale_w, in_h, in_w)
            assert problem is None, f"{problem} [parity-reference({target.id}, {case_id})]"
            return
    asserts.assert_parity(actual, reference, tolerance, f"parity-reference({target.id}, {case_id})",
                          target=target.id, case_id=f"reference {case_id}", right="reference")


@example(case=ImageCase(ParityCase(1.0, 1.0, (1, 3, 10, 10)).image(), float(np.float32(1.3)),
                        float(np.float32(1.3)), "noise"))  # float64 size 12 vs float32 13
@example(case=ImageCase(ParityCase(1.0, 1.0, (1, 3, 4, 4)).image(), 1.2, 1.2, "noise"))  # same-shape shortcut
@given(case=image_cases())
def test_parity_reference_resize_only(property_target, upsample_only, target_run, case: ImageCase) -> None:
    _skip_without_the_oracle()
    subgraph, session = upsample_only(property_target)
    form = target_run(property_target).target.form  # detected from the graph for a given file
    _check_against_reference(property_target, form, session, subgraph, case.image, case.factor, case.id)


# The full model is slow under the reference evaluator (25 s at 256x256 x3), so small named cases.
FULL_MODEL_CASES = (
    ParityCase(2.0, 2.0, (1, 3, 8, 8)),
    ParityCase(2.5, 3.0, (2, 3, 5, 7)),
    ParityCase(3.7, 1.5, (1, 3, 6, 9)),
)


@pytest.mark.parametrize("case", FULL_MODEL_CASES, ids=[c.id for c in FULL_MODEL_CASES])
def test_parity_reference_full_model(property_target, exported, target_run, case: ParityCase) -> None:
    """The runtime against onnx's reference evaluator on the same file, within the case's derived
    bound: both are float32 computations of one function, as the runtime and float32 PyTorch are."""
    _skip_without_the_oracle()
    run = target_run(property_target)
    image, factor = case.image(), case.factor()
    actual = run.infer(image, factor)
    reference = reference_output(onnx.load(exported(property_target)), image, factor)
    asserts.assert_parity(
        actual, reference, run.reference.expect(case).tolerance, f"parity-reference({property_target.id}, {case.id})",
        target=property_target.id, case_id=f"reference {case.id}", right="reference",
    )
