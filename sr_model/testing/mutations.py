"""Graph mutations that break a good exported file in one known way (negative controls).

Each returns a modified copy and leaves its argument untouched, so one good export can seed many
broken files. The broken file must still pass the ONNX checker where the real-world bug would:
verification has to catch it by the contract and by parity, not by a malformed graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import onnx


def _copy(model: "onnx.ModelProto") -> "onnx.ModelProto":
    import onnx

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    return copy


def _the_resize(model: "onnx.ModelProto") -> "onnx.NodeProto":
    resizes = [node for node in model.graph.node if node.op_type == "Resize"]
    if len(resizes) != 1:
        raise ValueError(f"Resize nodes={len(resizes)}, but the mutation needs exactly 1")
    return resizes[0]


def freeze_scales(
    model: "onnx.ModelProto",
    scales: Sequence[float] = (1.0, 1.0, 3.0, 3.0),
    *,
    drop_factor_input: bool = False,
) -> "onnx.ModelProto":
    """The Resize reads a Constant `scales` instead of the `factor` input (the `.item()` bug).

    With `drop_factor_input`, `factor` also disappears from the graph inputs, as in the tutorial's
    `.item()` export; without it, `factor` stays as an input that nothing reads.
    """
    import numpy as np
    import onnx

    broken = _copy(model)
    constant = onnx.helper.make_node(
        "Constant", [], ["frozen_scales"], name="frozen_scales",
        value=onnx.numpy_helper.from_array(np.asarray(scales, dtype=np.float32), "frozen_scales_value"),
    )
    resize = _the_resize(broken)
    resize.input[2] = "frozen_scales"
    broken.graph.node.insert(0, constant)
    if drop_factor_input:
        kept = [value for value in broken.graph.input if value.name != "factor"]
        del broken.graph.input[:]
        broken.graph.input.extend(kept)
    return broken


def set_resize_attribute(model: "onnx.ModelProto", name: str, value: Any) -> "onnx.ModelProto":
    """The Resize with attribute `name` set to `value` (e.g. cubic_coeff_a=-0.5, TF/OpenCV's A)."""
    import onnx

    broken = _copy(model)
    resize = _the_resize(broken)
    kept = [attr for attr in resize.attribute if attr.name != name]
    del resize.attribute[:]
    resize.attribute.extend([*kept, onnx.helper.make_attribute(name, value)])
    return broken
