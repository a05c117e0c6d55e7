"""The two exporters' files give the same runtime outputs (FACTS: bit-identical on torch 2.13)."""

from __future__ import annotations

import numpy as np
import pytest

from sr_model.engine.cases import PARITY_GRID
from sr_model.engine.selection import TargetSpec
from sr_model.pytest_plugin import ParityTarget

# An opset both exporters write natively or by conversion, and each exporter's own default.
_PAIRS = [(TargetSpec("torchscript", 17), TargetSpec("dynamo", 17)),
          (TargetSpec("torchscript", 11), TargetSpec("dynamo", 20))]


@pytest.mark.parametrize("pair", _PAIRS, ids=[f"{a.id}-vs-{b.id}" for a, b in _PAIRS])
@pytest.mark.parametrize("case", PARITY_GRID[::3], ids=[c.id for c in PARITY_GRID[::3]])
def test_parity_cross_exporter_outputs_are_identical(pair, case, target_run, sr_selection) -> None:
    if sr_selection is None:
        pytest.skip("compares this suite's own exports; --onnx-model given")
    for spec in pair:
        if spec not in sr_selection.targets:
            pytest.skip(f"{spec.id} is not selected or not supported with this torch/onnx")
    first, second = (target_run(ParityTarget(spec)).infer(case.image(), case.factor()) for spec in pair)
    np.testing.assert_array_equal(first, second, err_msg=f"[{pair[0].id} vs {pair[1].id}, {case.id}]")
