"""Graph conformance of every file: names, dtypes, dynamic axes, the resampling, the opset; and the
golden snapshot of every file this suite exports (update: --update-goldens).

Named `test_parity_*` so that `pytest -k parity` (the fast gate) runs them: a file whose values
match today can still be wrong in ways only the graph shows (a frozen output dimension, a written
opset other than the requested one, an invalid model).
"""

from __future__ import annotations

import onnx
import torch

from sr_model.engine.golden import golden_diff, write_golden
from sr_model.paths import GOLDENS
from sr_model.testing import asserts


def test_parity_graph_contract(export_target, onnx_path) -> None:
    asserts.assert_graph_conforms(onnx.load(onnx_path), export_target.opset, export_target.id, export_target.form)


def test_parity_golden_graph(own_export_target, exported, pytestconfig) -> None:
    model = onnx.load(exported(own_export_target))
    golden = GOLDENS / f"{own_export_target.id}.json"
    if pytestconfig.getoption("--update-goldens"):
        import onnxruntime
        import onnxscript

        write_golden(golden, model, {"torch": torch.__version__, "onnx": onnx.__version__,
                                     "onnxruntime": onnxruntime.__version__, "onnxscript": onnxscript.__version__})
        return
    assert golden.is_file(), f"golden {golden} is missing; run pytest --update-goldens and review the diff"
    diff = golden_diff(golden, model)
    assert not diff, f"graph differs from its golden [{own_export_target.id}] (if intended: --update-goldens):\n{diff}"
