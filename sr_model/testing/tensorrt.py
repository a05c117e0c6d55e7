"""A static check of an ONNX file against TensorRT's ONNX parser: refusals and findings, from source.

No TensorRT ran here: nothing in this module says that a file loads in TensorRT. It reports
  - problems: inputs the parser refuses unless they are constants (table below), and
  - findings: what the parser's source says it does with this model's ops, per version.
Sources, per release tag of github.com/onnx/onnx-tensorrt (read with git show <tag>:<file>):
  - builtin_op_importers.cpp (8.x) / onnxOpImporters.cpp (10.x), `DEFINE_BUILTIN_OP_IMPORTER(Resize)`,
    and onnx2trt_utils.cpp (8.x) / importerUtils.cpp (10.x) `resizeShapeTensor`;
  - docs/operators.md (the operator matrix) and docs/faq.md ("inputs.at(0) must be an initializer").
The docs matrix is STALE for Resize: up to release/10.1-GA it lists modes `nearest`, `linear` only,
while the importer maps `cubic` from release/8.5-GA on. Where docs and importer disagree, the importer
is cited. The constant-input table lists an input if ANY of TensorRT 7.2, 8.4, 8.5, 10.15's documents
requires it to be an initializer. Limits: data-type limits beyond the shape-tensor rule below, and
anything decided inside TensorRT's builder, are invisible here; only TensorRT itself can tell.
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
    ConstantInputRule(
        "Resize", (2,), "TRT <= 8.2: scales must be an initializer (onnx-tensorrt builtin_op_importers.cpp "
        "@ release/8.2-GA); 8.4+ accepts a runtime tensor, see tensorrt_findings",
    ),
    ConstantInputRule("Slice", (3,), "TRT 7.2..8.5: axes must be an initializer"),
    ConstantInputRule("Squeeze", (1,), "TRT 8.4..10.15: axes must be an initializer / constant"),
    ConstantInputRule("STFT", (1, 3), "TRT 10.15: frame_step and window must be initializers"),
    ConstantInputRule("TopK", (1,), "TRT 8.4 and FAQ: K must be an initializer"),
    ConstantInputRule("Unsqueeze", (1,), "TRT 8.4..10.15: axes must be a constant tensor"),
    ConstantInputRule("Upsample", (1,), "Upsample-9 scales: an initializer up to TRT 8.2, as Resize's"),
)

# Ops the parser refuses in the way this model would need them (none of this model's ops is here).
TENSORRT_UNSUPPORTED: dict[str, str] = {
    "EyeLike": "TRT 10.15: input must have static dimensions",
    "ReverseSequence": "TRT 8.4: dynamic input shapes are unsupported",
}

_OTRT = "onnx/onnx-tensorrt"
# What the Resize importer does with this model's Resize (cubic, pytorch_half_pixel, runtime scales).
RESIZE_FINDINGS: dict[str, str] = {
    "runtime_scales": (
        "a `scales` input computed at run time is refused up to TensorRT 8.2 (ASSERT \"Resize scales must be "
        f"an initializer!\", {_OTRT} builtin_op_importers.cpp @ release/8.2-GA) and accepted from 8.4 "
        "(@ release/8.4-GA: resizeShapeTensor() in onnx2trt_utils.cpp); TensorRT then receives only the "
        "OUTPUT SHAPE floor(float32(input shape) * scales), cast to int32, never the scales"
    ),
    "cubic": (
        "mode=cubic is refused up to TensorRT 8.4 (ASSERT \"This version of TensorRT does not support cubic "
        f"interpolation!\", {_OTRT} builtin_op_importers.cpp @ release/8.2-GA, release/8.4-GA) and mapped "
        "from 8.5 to ResizeMode::kCUBIC with setCubicCoeff(cubic_coeff_a) (@ release/8.5-GA; "
        "InterpolationMode::kCUBIC in onnxOpImporters.cpp @ release/10.1-GA); docs/operators.md still "
        "lists nearest/linear only"
    ),
    "half_pixel": (
        "pytorch_half_pixel is mapped to ResizeCoordinateTransformation::kHALF_PIXEL (selector kUPPER for "
        f"length-1 outputs; {_OTRT} @ release/8.5-GA, release/10.1-GA), which TensorRT defines as "
        "(x + 0.5) * (length_in / length_out) - 0.5 (NvInfer.h): the LENGTH RATIO, not 1/scale as ONNX "
        "and PyTorch use. Values differ wherever out/in != scale: emulated with onnx's reference "
        "(Resize with sizes + half_pixel vs scales + pytorch_half_pixel, 0..255 noise), max |difference| "
        "59 at 17x9 x2.5, 166 at 30x30 x2.1, 68 at 15x15 x4.2, 0 at 64x64 x3"
    ),
}
SHAPE_TENSOR_FINDING = (
    "the VALUES of float graph input {name!r} decide tensor dimensions (via {via}), so TensorRT "
    "treats it as a shape tensor; in TensorRT 8.x a shape tensor that is a network input must be "
    "Int32 (NVIDIA, ITensor::isShapeTensor in NvInfer.h; float shape tensors only inside the network, "
    "8.4); not checked against TensorRT 10"
)
# Inputs (by position) whose values become tensor dimensions.
_SHAPE_INPUTS: dict[str, tuple[int, ...]] = {
    "Resize": (1, 2, 3), "Upsample": (1,), "Range": (0, 1, 2), "Reshape": (1,), "Expand": (1,),
    "Tile": (1,), "ConstantOfShape": (0,), "Slice": (1, 2, 3, 4), "OneHot": (1,), "TopK": (1,),
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


def _derived_from(model: "onnx.ModelProto", name: str) -> set[str]:
    """Every tensor computed (transitively) from graph input `name`, `name` included."""
    derived = {name}
    for node in model.graph.node:  # ONNX nodes are topologically sorted
        if node.op_type in ("Shape", "Size"):  # these read the dimensions, not the values
            continue
        if any(value in derived for value in node.input):
            derived.update(node.output)
    return derived


def tensorrt_findings(model: "onnx.ModelProto") -> list[str]:
    """What onnx-tensorrt's importer source says it does with `model`'s Resize and shape inputs.

    These are not refusals by every version (see `tensorrt_problems`) and not a claim that the file
    loads: each names the versions it concerns and where a result would differ from ONNX's.
    """
    constants = _constant_names(model)
    findings: list[str] = []
    for node in model.graph.node:
        if node.op_type not in ("Resize", "Upsample"):
            continue
        label = f"{node.op_type} {node.name or node.output[0]!r}"
        attributes = {a.name: a for a in node.attribute}
        mode = attributes["mode"].s.decode() if "mode" in attributes else "nearest"
        transform = attributes.get("coordinate_transformation_mode")
        scales = node.input[2] if node.op_type == "Resize" and len(node.input) > 2 else ""
        if scales and scales not in constants:
            findings.append(f"{label}: {RESIZE_FINDINGS['runtime_scales']}")
        if mode == "cubic":
            findings.append(f"{label}: {RESIZE_FINDINGS['cubic']}")
        if transform is not None and transform.s.decode() in ("pytorch_half_pixel", "half_pixel"):
            findings.append(f"{label}: {RESIZE_FINDINGS['half_pixel']}")
    float_inputs = [value.name for value in model.graph.input
                    if value.type.tensor_type.elem_type in _FLOAT_TYPES and value.name not in constants]
    for name in float_inputs:
        derived = _derived_from(model, name)
        via = sorted({
            f"{node.op_type} input #{position}"
            for node in model.graph.node
            for position in _SHAPE_INPUTS.get(node.op_type, ())
            if position < len(node.input) and node.input[position] in derived
        })
        if via:
            findings.append(SHAPE_TENSOR_FINDING.format(name=name, via=", ".join(via)))
    return findings


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
        if node.op_type == "Resize" and any(a.name == "mode" and a.s == b"cubic" for a in node.attribute):
            problems.append(
                f"{label}: mode=cubic is refused by TRT <= 8.4 (onnx-tensorrt builtin_op_importers.cpp @ "
                "release/8.4-GA); 8.5+ maps it, see tensorrt_findings"
            )
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
