"""Graph conformance: does an ONNX file implement the dynamic-scale I/O contract?

The resampling's expected values (cubic, pytorch_half_pixel, A=-0.75, ...) are spelled out here on
purpose instead of being imported from the exporter: the checks are an independent statement of the
contract, so a wrong constant in the exporter fails them instead of silently agreeing with itself.
Names and channel counts come from the `IOContract` (a user's own model may name them otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sr_model.contract import CONTRACT, IOContract

if TYPE_CHECKING:
    import onnx

Form = Literal["resize", "decomposed"]
FORMS: tuple[Form, ...] = ("resize", "decomposed")
# Torch's bicubic (align_corners=False) in ONNX terms.
EXPECTED_RESIZE_ATTRIBUTES: dict[str, Any] = {
    "mode": "cubic",
    "coordinate_transformation_mode": "pytorch_half_pixel",
    "cubic_coeff_a": -0.75,
    "nearest_mode": "floor",
}
_FLOAT = 1  # onnx.TensorProto.FLOAT, without importing onnx at module import


@dataclass(frozen=True)
class GraphReport:
    """The outcome of the graph checks: an empty `problems` list means the file conforms."""

    problems: tuple[str, ...]
    opset: int | None
    form: str | None = None  # the form checked: given, or detected from the graph

    @property
    def ok(self) -> bool:
        return not self.problems


def _dims(value: "onnx.ValueInfoProto") -> list[str | int | None]:
    tensor_type = value.type.tensor_type
    if not tensor_type.HasField("shape"):
        return []
    return [
        dim.dim_param if dim.HasField("dim_param") else dim.dim_value if dim.HasField("dim_value") else None
        for dim in tensor_type.shape.dim
    ]


def _default_opset(model: "onnx.ModelProto") -> int | None:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return None


def _attribute_values(node: "onnx.NodeProto") -> dict[str, Any]:
    import onnx

    return {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}


def _is_empty_roi(name: str, model: "onnx.ModelProto") -> bool:
    """An absent roi, or a roi tensor (initializer or Constant) with zero elements."""
    import onnx

    if name == "":
        return True
    for init in model.graph.initializer:
        if init.name == name:
            return onnx.numpy_helper.to_array(init).size == 0
    for node in model.graph.node:
        if node.op_type == "Constant" and name in node.output:
            value = _attribute_values(node).get("value")
            return value is not None and onnx.numpy_helper.to_array(value).size == 0
    return False


def _check_io(model: "onnx.ModelProto", contract: IOContract) -> list[str]:
    problems: list[str] = []
    expected_inputs, expected_outputs = contract.input_names, contract.output_names
    initializers = {init.name for init in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in initializers]
    names = tuple(value.name for value in inputs)
    if names != expected_inputs:
        problems.append(f"graph inputs={list(names)}, but should be {list(expected_inputs)} in this order")
    outputs = tuple(value.name for value in model.graph.output)
    if outputs != expected_outputs:
        problems.append(f"graph outputs={list(outputs)}, but should be {list(expected_outputs)}")
    by_name = {value.name: value for value in [*inputs, *model.graph.output]}
    for name in (*expected_inputs, *expected_outputs):
        value = by_name.get(name)
        if value is None:
            continue
        elem_type = value.type.tensor_type.elem_type
        if elem_type != _FLOAT:
            problems.append(f"{name} elem_type={elem_type}, but should be 1 (float32)")
    image, factor, output = (by_name.get(name) for name in (contract.image_input, contract.factor_input, contract.output))
    if image is not None:
        dims = _dims(image)
        channels = contract.channels(contract.image_input)
        if len(dims) != 4 or dims[1] != channels or not all(isinstance(dims[a], str) for a in (0, 2, 3)):
            problems.append(f"{image.name} dims={dims}, but should be [N, {channels}, H, W] with N, H, W symbolic")
        elif len({dims[0], dims[2], dims[3]}) != 3:
            problems.append(f"{image.name} dims={dims}: N, H and W must be three distinct symbols")
    if factor is not None and _dims(factor) != [4]:
        problems.append(f"{factor.name} dims={_dims(factor)}, but should be [4]")
    if output is not None:
        dims = _dims(output)
        channels = contract.channels(contract.output)
        if len(dims) != 4 or dims[1] != channels or not all(isinstance(dims[a], str) for a in (0, 2, 3)):
            problems.append(f"{output.name} dims={dims}, but should be [N, {channels}, OH, OW] with N, OH, OW symbolic")
        elif image is not None and len(_dims(image)) == 4:
            in_dims = _dims(image)
            if dims[0] != in_dims[0]:
                problems.append(f"output batch dim={dims[0]!r}, but should be the input's {in_dims[0]!r}")
            if {dims[2], dims[3]} & {in_dims[0], in_dims[2], in_dims[3]} or dims[2] == dims[3]:
                problems.append(
                    f"output dims={dims} share a symbol with input dims={in_dims} or with each other; "
                    "the output size depends on factor and must have its own symbols"
                )
    return problems


def _check_resize(model: "onnx.ModelProto", contract: IOContract) -> list[str]:
    resizes = [node for node in model.graph.node if node.op_type == "Resize"]
    if len(resizes) != 1:
        return [f"Resize nodes={len(resizes)}, but should be exactly 1"]
    (node,) = resizes
    problems: list[str] = []
    image, factor = contract.image_input, contract.factor_input
    producers = _producers(model)
    inputs = list(node.input) + [""] * (3 - len(node.input))
    # The image may be preprocessed before the resize (`input / 255`, a colour transform): what
    # must hold is that X is computed from the image and the output size from the live factor.
    if image not in _ancestor_inputs(inputs[0], producers):
        problems.append(f"Resize X={inputs[0]!r} is not computed from the graph input {image!r}, but should be")
    if not _is_empty_roi(inputs[1], model):
        problems.append(f"Resize roi={inputs[1]!r} is not empty, but should be")
    if inputs[2] != factor:
        where = "an initializer" if inputs[2] in {i.name for i in model.graph.initializer} else (
            "a node output (e.g. a Constant)" if inputs[2] else "absent"
        )
        problems.append(
            f"Resize scales={inputs[2]!r} is {where}, but should be the graph input {factor!r} "
            "(the scale was frozen at export)"
        )
    if len(node.input) > 3 and node.input[3]:
        problems.append(f"Resize sizes={node.input[3]!r}, but should be absent (scales drive the size)")
    attributes = _attribute_values(node)
    for name, expected in EXPECTED_RESIZE_ATTRIBUTES.items():
        got = attributes.get(name)
        if isinstance(got, bytes):
            got = got.decode()
        if got is None and name == "nearest_mode":
            continue  # optional: unused by cubic mode, and 'round_prefer_floor' is only the default
        same = abs(got - expected) < 1e-6 if isinstance(expected, float) and isinstance(got, float) else got == expected
        if not same:
            problems.append(f"Resize {name}={got!r}, but should be {expected!r}")
    if attributes.get("antialias", 0) not in (0,):
        problems.append(f"Resize antialias={attributes['antialias']!r}, but should be 0 (torch bicubic has none)")
    if attributes.get("exclude_outside", 0) not in (0,):
        problems.append(f"Resize exclude_outside={attributes['exclude_outside']!r}, but should be 0")
    return problems


def _producers(model: "onnx.ModelProto") -> dict[str, "onnx.NodeProto"]:
    return {output: node for node in model.graph.node for output in node.output if output}


def _ancestor_inputs(name: str, producers: dict[str, "onnx.NodeProto"]) -> set[str]:
    """The graph inputs, initializers and Constant outputs that `name` is computed from."""
    seen: set[str] = set()
    leaves: set[str] = set()
    stack = [name]
    while stack:
        value = stack.pop()
        if value in seen or not value:
            continue
        seen.add(value)
        node = producers.get(value)
        if node is None or node.op_type == "Constant":
            leaves.add(value)
        else:
            stack.extend(node.input)
    return leaves


def _check_decomposed(model: "onnx.ModelProto", contract: IOContract) -> list[str]:
    """The decomposed form: no Resize, and sizes and coordinates computed from the live `factor`."""
    problems: list[str] = []
    factor, output = contract.factor_input, contract.output
    resampling = [node.op_type for node in model.graph.node if node.op_type in ("Resize", "Upsample")]
    if resampling:
        problems.append(f"nodes {resampling} found, but the decomposed form should have no Resize/Upsample")
    if not any(factor in node.input for node in model.graph.node):
        problems.append(f"no node consumes the graph input {factor!r}, but the scale should be read at run time")
    producers = _producers(model)
    if factor not in _ancestor_inputs(output, producers):
        problems.append(f"{output!r} is not computed from {factor!r} (the scale was frozen at export)")
    # Output sizes and source coordinates are floors of products with the scale: each Floor must be
    # fed by `factor`, not by a constant standing in for it.
    floors = [node for node in model.graph.node if node.op_type == "Floor"]
    if not floors:
        problems.append("no Floor node, but the output size floor(float32(H) * scale) should be computed in-graph")
    for node in floors:
        if factor not in _ancestor_inputs(node.input[0], producers):
            problems.append(
                f"Floor {node.name or node.output[0]!r} does not depend on {factor!r} "
                "(a constant stands in for the scale)"
            )
    # Every Range (output and source indices) must have a run-time length, not a frozen one.
    for node in (n for n in model.graph.node if n.op_type == "Range"):
        if not _ancestor_inputs(node.input[1], producers) & set(contract.input_names):
            problems.append(
                f"Range {node.name or node.output[0]!r} has a constant limit, but its length should "
                f"come from the input shape or {factor!r}"
            )
    return problems


def detect_form(model: "onnx.ModelProto") -> Form | None:
    """Which ONNX form of the bicubic `model` holds: a Resize node, or the decomposed arithmetic.

    None when it holds neither (no Resize/Upsample, and no Floor of a product with the scale):
    then it is not a dynamic-scale resize model at all, and the checks say so.
    """
    ops = {node.op_type for node in model.graph.node}
    if ops & {"Resize", "Upsample"}:
        return "resize"
    if {"Floor", "MatMul"} <= ops:
        return "decomposed"
    return None


def check_graph(
    model: "onnx.ModelProto",
    expected_opset: int | None = None,
    form: str | None = None,
    contract: IOContract = CONTRACT,
) -> GraphReport:
    """Every way `model` breaks the dynamic-scale contract (an empty report means it conforms).

    `form` is the bicubic's ONNX form: "resize" (one Resize reading `factor`) or "decomposed"
    (no Resize; output size and coordinates computed in-graph from `factor`); None detects it.
    """
    import onnx

    problems: list[str] = []
    opset = _default_opset(model)
    if opset is None:
        problems.append("opset_import has no default-domain entry")
    elif expected_opset is not None and opset != expected_opset:
        problems.append(f"opset_import={opset}, but should be the requested {expected_opset}")
    elif opset < 11:
        problems.append(f"opset_import={opset}, but dynamic bicubic Resize needs >= 11")
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as error:
        problems.append(f"onnx.checker (full_check) failed: {str(error).strip().splitlines()[0]}")
    problems += _check_io(model, contract)
    if form is None:
        form = detect_form(model)
    if form == "decomposed":
        problems += _check_decomposed(model, contract)
    elif form == "resize":
        problems += _check_resize(model, contract)
    elif form is None:
        problems.append(
            "no upsampling found: no Resize node and no in-graph bicubic (Floor of a size times the "
            "scale); this is not a model whose upscale factor is a live input"
        )
    else:
        problems.append(f"form={form!r} is unknown; expected one of {', '.join(FORMS)}")
    return GraphReport(problems=tuple(problems), opset=opset, form=form)
