"""Golden graph snapshots: a normalised, reviewable JSON description of an exported graph.

Not raw protobuf bytes: value and node names (which exporters and torch versions change freely) are
replaced by structural references, so a snapshot changes only when the graph really does.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sr_model.atomic import write_text_atomic

if TYPE_CHECKING:
    import onnx

SCHEMA = "sr_model.golden/1"


def _attribute(value: Any) -> Any:
    import onnx
    import numpy as np

    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, onnx.TensorProto):
        array = onnx.numpy_helper.to_array(value)
        return {"tensor": str(array.dtype), "shape": list(array.shape),
                "values": np.round(array.astype(np.float64), 6).ravel().tolist() if array.size <= 16 else "..."}
    if isinstance(value, (list, tuple)):
        return [_attribute(item) for item in value]
    return value


def _value_info(value: "onnx.ValueInfoProto") -> dict[str, Any]:
    tensor = value.type.tensor_type
    dims = [d.dim_param if d.HasField("dim_param") else d.dim_value if d.HasField("dim_value") else None
            for d in tensor.shape.dim]
    return {"name": value.name, "elem_type": tensor.elem_type, "dims": dims}


def snapshot(model: "onnx.ModelProto") -> dict[str, Any]:
    """The normalised description of `model` that goldens store."""
    import onnx

    initializers = {init.name: init for init in model.graph.initializer}
    graph_inputs = [value for value in model.graph.input if value.name not in initializers]
    refs: dict[str, str] = {value.name: f"input:{value.name}" for value in graph_inputs}
    for name, init in initializers.items():
        refs[name] = f"initializer:{onnx.helper.tensor_dtype_to_np_dtype(init.data_type)}{list(init.dims)}"
    refs[""] = "absent"
    nodes = []
    for index, node in enumerate(model.graph.node):
        nodes.append({
            "op_type": node.op_type,
            "domain": node.domain or "ai.onnx",
            "inputs": [refs.get(name, f"unknown:{name}") for name in node.input],
            "attributes": {a.name: _attribute(onnx.helper.get_attribute_value(a)) for a in sorted(node.attribute, key=lambda a: a.name)},
        })
        for k, name in enumerate(node.output):
            refs[name] = f"node{index}:{node.op_type}:{k}"
    outputs = [{**_value_info(value), "from": refs.get(value.name, "unknown")} for value in model.graph.output]
    return {
        "schema": SCHEMA,
        "opset_import": {entry.domain or "ai.onnx": entry.version for entry in model.opset_import},
        "inputs": [_value_info(value) for value in graph_inputs],
        "outputs": outputs,
        "nodes": nodes,
    }


def _dumps(data: dict[str, Any]) -> str:
    """JSON with one line per list item (a node, an input), so diffs read node by node."""
    entries = []
    for key, value in sorted(data.items()):
        if isinstance(value, list):
            items = ",\n".join(f"  {json.dumps(item, sort_keys=True)}" for item in value)
            body = f"[\n{items}\n ]"
        else:
            body = json.dumps(value, sort_keys=True)
        entries.append(f" {json.dumps(key)}: {body}")
    return "{\n" + ",\n".join(entries) + "\n}\n"


def write_golden(path: str | os.PathLike[str], model: "onnx.ModelProto", generated_with: dict[str, str]) -> Path:
    """Write `model`'s snapshot to `path` atomically, recording the library versions that made it."""
    return write_text_atomic(path, _dumps({**snapshot(model), "generated_with": generated_with}))


def golden_diff(path: str | os.PathLike[str], model: "onnx.ModelProto") -> str:
    """A unified diff between the golden at `path` and `model`'s snapshot ('' when they agree)."""
    stored = json.loads(Path(path).read_text())
    stored.pop("generated_with", None)
    lines = difflib.unified_diff(
        _dumps(stored).splitlines(), _dumps(snapshot(model)).splitlines(),
        fromfile=f"golden {Path(path).name}", tofile="this export", lineterm="", n=2,
    )
    return "\n".join(lines)
