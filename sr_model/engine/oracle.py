"""A third oracle: `onnx.reference.ReferenceEvaluator`, on the exported file or its Resize alone.

The reference evaluator computes Resize in float64, so its OUTPUT SIZE is floor(H * s) in double
(torch's F.interpolate rule), not ORT's float32 rule: a declared deviation (see tests).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx


def resize_subgraph(model: "onnx.ModelProto") -> "onnx.ModelProto":
    """The exported file's upsampling alone, as its own model: every node the first Conv's input
    depends on (one Resize and its roi Constant, or the decomposed form's arithmetic and MatMuls).

    Its inputs are the file's `input` and `factor`, its output is named `output`.
    """
    import onnx
    from onnx import helper

    first_conv = next(node for node in model.graph.node if node.op_type == "Conv")
    producers = {out: node for node in model.graph.node for out in node.output}
    initializers = {init.name: init for init in model.graph.initializer}
    needed: list[onnx.NodeProto] = []
    used_initializers: dict[str, onnx.TensorProto] = {}
    pending, seen = [first_conv.input[0]], set()
    while pending:
        name = pending.pop()
        if name in seen or not name:
            continue
        seen.add(name)
        if name in initializers:
            used_initializers[name] = initializers[name]
        elif name in producers:
            node = producers[name]
            if node not in needed:
                needed.append(node)
            pending.extend(node.input)
            # Subgraph attributes (If/Loop bodies) may read outer names too.
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    pending.extend(i for n in attr.g.node for i in n.input)
    order = {id(node): index for index, node in enumerate(model.graph.node)}
    needed.sort(key=lambda node: order[id(node)])
    identity = helper.make_node("Identity", [first_conv.input[0]], ["output"], name="upsampled")
    inputs = [value for value in model.graph.input if value.name in ("input", "factor")]
    output = helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["N", 3, "OH", "OW"])
    graph = helper.make_graph(
        [*needed, identity], "upsample_only", inputs, [output], initializer=list(used_initializers.values())
    )
    return helper.make_model(
        graph, opset_imports=list(model.opset_import), ir_version=model.ir_version, functions=list(model.functions)
    )


def reference_output(model: "onnx.ModelProto", image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """The reference evaluator's output (float32) for an image and a `[1, 1, sh, sw]` factor."""
    from onnx.reference import ReferenceEvaluator

    (output,) = ReferenceEvaluator(model).run(["output"], {"input": image, "factor": factor})
    return np.asarray(output, dtype=np.float32)


@functools.cache
def oracle_unavailable_reason() -> str | None:
    """Why the installed onnx's reference evaluator cannot run this contract's Resize, or None.

    Probed on a one-Resize model with an empty roi given as a Constant (what the TorchScript exporter
    writes): onnx 1.17's evaluator indexes that empty roi and fails (measured), 1.23's runs it.
    """
    import onnx
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    nodes = [
        helper.make_node("Constant", [], ["roi"], value=helper.make_tensor("r", TensorProto.FLOAT, [0], [])),
        helper.make_node("Resize", ["input", "roi", "factor"], ["output"], mode="cubic",
                         coordinate_transformation_mode="pytorch_half_pixel", cubic_coeff_a=-0.75),
    ]
    graph = helper.make_graph(
        nodes, "probe",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 2, 2]),
         helper.make_tensor_value_info("factor", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    try:
        ReferenceEvaluator(model).run(None, {"input": np.ones((1, 1, 2, 2), np.float32),
                                            "factor": np.array([1, 1, 2, 2], np.float32)})
    except Exception as error:  # any failure: the oracle cannot run the contract's Resize here
        return (f"onnx {onnx.__version__}'s reference evaluator cannot run a cubic Resize with an empty roi "
                f"({type(error).__name__}: {str(error).splitlines()[0][:120]})")
    return None
