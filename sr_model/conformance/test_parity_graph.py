"""Graph conformance of every file: names, dtypes, dynamic axes, the resampling, the opset.

Named `test_parity_*` so that `pytest -k parity` (the fast gate) runs them: a file whose values
match today can still be wrong in ways only the graph shows (a frozen output dimension, a written
opset other than the requested one, an invalid model).
"""

from __future__ import annotations

import onnx

from sr_model.testing import asserts


def test_parity_graph_contract(export_target, onnx_path) -> None:
    asserts.assert_graph_conforms(onnx.load(onnx_path), export_target.opset, export_target.id, export_target.form)
