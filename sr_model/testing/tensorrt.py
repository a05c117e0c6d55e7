"""A static check for TensorRT's ONNX parser: which inputs must be constants, and which ops it lacks.

We have no TensorRT here, so this is a table-driven check of the ONNX file, not a parse by TensorRT.
Source of the table: onnx/onnx-tensorrt `docs/operators.md` (the parser's operator support matrix)
in its TensorRT 7.2, 8.4, 8.5 and 10.15 versions, plus its `docs/faq.md` ("inputs.at(0) must be an
initializer": TopK and Pad). An entry is listed if ANY of those versions requires the input to be an
initializer / build-time constant, so a graph that passes loads on old and new parsers alike.
Limits: it cannot see restrictions that are not written in those documents, data-type limits
(e.g. int64 narrowed to int32), or the parser's shape-tensor rules; only TensorRT itself can.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import onnx


class ConstantInputRule(NamedTuple):
    """Inputs of `op_type` (by position) that TensorRT's parser requires to be constants."""

    op_type: str
    inputs: tuple[int, ...]
    source: str
    float_only: bool = False  # the rule applies only when the inputs are floating point


# Input positions follow the ONNX operator signatures (the latest opset that has the input).
TENSORRT_CONSTANT_INPUTS: tuple[ConstantInputRule, ...] = (
    ConstantInputRule("Clip", (1, 2), "TRT 7.2: min and max clip values must be an initializer"),
    ConstantInputRule("Conv", (1,), "TRT 8.4: weights W must be an initializer"),
    ConstantInputRule("ConvTranspose", (1,), "TRT 7.2/8.4: weights W must be an initializer"),
    ConstantInputRule("CumSum", (1,), "TRT 8.4..10.15: axis must be an initializer / build-time constant"),
    ConstantInputRule("DequantizeLinear", (1, 2), "TRT 7.2: scales and zero-point must be initializers"),
    ConstantInputRule("QuantizeLinear", (1, 2), "TRT 7.2: scales and zero-point must be initializers"),
    ConstantInputRule("Dropout", (2,), "TRT 10.15: is_training must be an initializer"),
    ConstantInputRule("InstanceNormalization", (1, 2), "TRT 7.2/8.4: scale and B must be initializers"),
    ConstantInputRule("NonMaxSuppression", (2, 3, 4), "TRT 8.4: max_output_boxes_per_class, thresholds"),
    ConstantInputRule("OneHot", (1,), "TRT 10.15: depth must be a build-time constant"),
    ConstantInputRule("Pad", (1, 2), "onnx-tensorrt FAQ: Pad's pads must be an initializer"),
    ConstantInputRule(
        "Range", (0, 1, 2), "TRT 7.2/8.4: float inputs only if start, limit, delta are initializers",
        float_only=True,
    ),
    *(
        ConstantInputRule(name, (1,), "TRT 10.15: axes must be an initializer")
        for name in ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
                     "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare")
    ),
    ConstantInputRule("Slice", (3,), "TRT 7.2..8.5: axes must be an initializer"),
    ConstantInputRule("Squeeze", (1,), "TRT 8.4..10.15: axes must be an initializer / constant"),
    ConstantInputRule("STFT", (1, 3), "TRT 10.15: frame_step and window must be initializers"),
    ConstantInputRule("TopK", (1,), "TRT 8.4 and FAQ: K must be an initializer"),
    ConstantInputRule("Unsqueeze", (1,), "TRT 8.4..10.15: axes must be a constant tensor"),
    ConstantInputRule("Upsample", (1,), "Upsample-9 scales: as Resize"),
)

# Ops the parser does not take in the way this model would need them. The decomposed form exists
# because of the first: no listed version has cubic Resize, and users report that older parsers
# also need Resize's scales as a constant initializer (shared/FACTS.md section 6).
TENSORRT_UNSUPPORTED: dict[str, str] = {
    "Resize": "TRT 7.2..10.15 Resize modes are nearest and linear only (no cubic); scales must be "
              "constant on older parsers",
    "Upsample": "deprecated Resize predecessor: same limits as Resize",
    "EyeLike": "TRT 10.15: input must have static dimensions",
    "ReverseSequence": "TRT 8.4: dynamic input shapes are unsupported",
}

_FLOAT_TYPES = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16


def _constant_names(model: "onnx.ModelProto") -> set[str]:
    names = {init.name for init in model.graph.initializer}
    names.update(out for node in model.graph.node if node.op_type == "Constant" for out in node.output)
    return names


def _elem_types(model: "onnx.ModelProto") -> dict[str, int]:
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    types = {init.name: init.data_type for init in model.graph.initializer}
    for value in [*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output]:
        types[value.name] = value.type.tensor_type.elem_type
    return types


def tensorrt_problems(model: "onnx.ModelProto") -> list[str]:
    """Every node of `model` that TensorRT's parser refuses by the documented rules (empty: none)."""
    constants = _constant_names(model)
    types = _elem_types(model)
    rules = {rule.op_type: rule for rule in TENSORRT_CONSTANT_INPUTS}
    problems: list[str] = []
    for node in model.graph.node:
        label = f"{node.op_type} {node.name or node.output[0]!r}"
        if node.op_type in TENSORRT_UNSUPPORTED:
            problems.append(f"{label}: {TENSORRT_UNSUPPORTED[node.op_type]}")
            continue
        rule = rules.get(node.op_type)
        if rule is None:
            continue
        if rule.float_only and types.get(node.output[0]) not in _FLOAT_TYPES:
            continue
        for position in rule.inputs:
            if position < len(node.input) and node.input[position] and node.input[position] not in constants:
                problems.append(
                    f"{label} input #{position} {node.input[position]!r} is computed at run time, "
                    f"but should be a constant ({rule.source})"
                )
    return problems
