"""A third oracle: `onnx.reference.ReferenceEvaluator`, on the exported file or its Resize alone.

The reference evaluator computes Resize in float64, so its OUTPUT SIZE is floor(H * s) in double
(torch's F.interpolate rule), not ORT's float32 rule: a declared deviation (see tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx


def resize_subgraph(model: "onnx.ModelProto") -> "onnx.ModelProto":
    """The exported file's single Resize node (and the Constant feeding its roi) as its own model.

    Its inputs are the file's `input` and `factor`, its output is named `output`.
    """
    import onnx
    from onnx import helper

    (resize,) = [node for node in model.graph.node if node.op_type == "Resize"]
    producers = {out: node for node in model.graph.node for out in node.output}
    nodes = [producers[name] for name in resize.input[1:] if name in producers]
    initializers = [init for init in model.graph.initializer if init.name in resize.input]
    renamed = helper.make_node(
        "Resize", list(resize.input), ["output"], name=resize.name or "resize"
    )
    renamed.attribute.extend(resize.attribute)
    inputs = [value for value in model.graph.input if value.name in ("input", "factor")]
    output = helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["N", 3, "OH", "OW"])
    graph = helper.make_graph([*nodes, renamed], "resize_only", inputs, [output], initializer=initializers)
    return helper.make_model(graph, opset_imports=list(model.opset_import), ir_version=model.ir_version)


def reference_output(model: "onnx.ModelProto", image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """The reference evaluator's output (float32) for an image and a `[1, 1, sh, sw]` factor."""
    from onnx.reference import ReferenceEvaluator

    (output,) = ReferenceEvaluator(model).run(["output"], {"input": image, "factor": factor})
    return np.asarray(output, dtype=np.float32)
