"""The two exporters' files give the same ORT outputs (FACTS: bit-identical on torch 2.13)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ExportTarget
from sr_model.export import supported_opsets
from sr_model.testing.cases import PARITY_GRID
from sr_model.testing.parity import ort_output

# An opset both exporters write natively or by conversion, and each exporter's own default.
_PAIRS = [(ExportTarget("torchscript", 17), ExportTarget("dynamo", 17)),
          (ExportTarget("torchscript", 11), ExportTarget("dynamo", 20))]


@pytest.mark.parametrize("pair", _PAIRS, ids=[f"{a.id}-vs-{b.id}" for a, b in _PAIRS])
@pytest.mark.parametrize("case", PARITY_GRID[::3], ids=[c.id for c in PARITY_GRID[::3]])
def test_parity_cross_exporter_outputs_are_identical(pair, case, exported, session_for, pytestconfig) -> None:
    if pytestconfig.getoption("--onnx-model"):
        pytest.skip("compares this suite's own exports; --onnx-model given")
    for target in pair:
        if target.opset not in supported_opsets(target.exporter):
            pytest.skip(f"{target.id} is not supported with this torch/onnx")
    first, second = (ort_output(session_for(exported(t)), case.image(), case.factor()) for t in pair)
    np.testing.assert_array_equal(first, second, err_msg=f"[{pair[0].id} vs {pair[1].id}, {case.id}]")
