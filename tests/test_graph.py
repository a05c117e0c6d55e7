"""Graph conformance of every exported file: names, dtypes, dynamic axes, the Resize, the opset."""

from __future__ import annotations

import onnx

from sr_model.testing import asserts


def test_graph_conforms(export_target, onnx_path) -> None:
    model = onnx.load(onnx_path)
    asserts.assert_graph_conforms(model, export_target.opset, export_target.id, export_target.form)
