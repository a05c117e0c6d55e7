"""Find the first node where an exported graph and its eager model part ways.

What is compared: every graph tensor that has a counterpart in the eager model, i.e. the upsampled
image (the tensor feeding the first convolution: the `Resize` output, or the last node of the
subgraph that replaces it in the decomposed form) and each `Conv` node's output. The graph is edited
to output those tensors, run by a caller-supplied runtime, and compared in graph order with values
captured from the eager model: a forward hook on each `nn.Conv2d` (its input and output, in call
order) and a `TorchFunctionMode` that sees the resize op's call (`sr_model::bicubic_resize`, a
custom op: a module hook cannot see it) to name the eager producer of the upsampled image.

Correspondence: graph `Conv` nodes in topological order against eager `Conv2d` calls in call order,
paired while their weight shapes agree. Weight VALUES do not decide the pairing (a file exported from
other weights must still be localised at its first convolution); where the graph's initializer is
found, a value difference is reported as the likely cause. Where nothing can be paired (a user's own
model of another shape), the result has `first=None` and a note saying what was not matched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

if TYPE_CHECKING:
    import onnx

Runner = Callable[[bytes, Mapping[str, np.ndarray], Sequence[str]], list[np.ndarray]]

# Eager calls whose output is an upsampled image; named in the report as the eager counterpart.
_RESIZE_CALL_NAMES = ("sr_model.bicubic_resize", "interpolate", "upsample_bicubic2d")


@dataclass(frozen=True)
class Divergence:
    """A graph tensor whose value leaves its tolerance against its eager counterpart."""

    node: str  # the ONNX node producing the tensor
    eager: str  # the eager counterpart: a module name (`conv1`) or an op (`sr_model::bicubic_resize`)
    max_abs: float  # inf when the shapes differ
    atol: float
    argmax: tuple[int, ...]
    tensor: str = ""  # the ONNX tensor name
    op_type: str = ""  # the producing node's op type (`Resize`, `MatMul`, `Conv`)
    role: str = ""  # "upsample" or "conv"
    mean_abs: float = float("nan")
    shape_graph: tuple[int, ...] = ()
    shape_eager: tuple[int, ...] = ()
    # Max |graph weight - eager weight| of a Conv whose initializer was found (None: not found).
    weight_max_abs: float | None = None

    def describe(self) -> str:
        """One line: where, how far, against what."""
        if self.shape_graph != self.shape_eager:
            text = (f"{self.role} {self.node!r} ({self.op_type}) vs eager {self.eager}: "
                    f"shape {list(self.shape_graph)}, but eager gives {list(self.shape_eager)}")
        else:
            text = (f"{self.role} {self.node!r} ({self.op_type}) vs eager {self.eager}: "
                    f"max|graph-eager|={self.max_abs:.3g} > atol={self.atol:.3g} at {self.argmax}, "
                    f"mean {self.mean_abs:.3g}")
        if self.weight_max_abs:
            text += f"; its weights differ from the eager module's by up to {self.weight_max_abs:.3g}"
        return text


@dataclass(frozen=True)
class Localisation:
    """What was compared, the first divergence in graph order (None: none found), and what was not."""

    checked: tuple[str, ...]  # the graph tensors compared, in graph order
    first: Divergence | None
    note: str  # what could not be matched or compared; empty when everything was

    def describe(self) -> str:
        """One line for a terminal or a report."""
        head = f"first to part: {self.first.describe()}" if self.first else "no node parts from eager"
        head += f" ({len(self.checked)} tensors compared)"
        return f"{head}; {self.note}" if self.note else head


@dataclass(frozen=True)
class _Counterpart:
    tensor: str
    node: str
    op_type: str
    role: str
    eager_name: str
    eager_value: np.ndarray
    weight_max_abs: float | None = None


@dataclass(frozen=True)
class _EagerConv:
    name: str
    weight: np.ndarray
    input: torch.Tensor
    output: np.ndarray


class _ResizeRecorder(TorchFunctionMode):
    """Records the outputs of the resize calls (custom ops are invisible to module hooks)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, torch.Tensor]] = []

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        result = func(*args, **(kwargs or {}))
        name = str(getattr(func, "__name__", "")) if not isinstance(func, torch._ops.OpOverload) else str(func)
        if isinstance(result, torch.Tensor) and any(key in name for key in _RESIZE_CALL_NAMES):
            self.calls.append((name.replace("sr_model.", "sr_model::").removesuffix(".default"), result))
        return result


def _run_eager(eager: torch.nn.Module, image: np.ndarray, factor: np.ndarray) -> tuple[list[_EagerConv], _ResizeRecorder]:
    names = {module: name for name, module in eager.named_modules()}
    convs: list[_EagerConv] = []

    def hook(module: torch.nn.Module, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
        convs.append(_EagerConv(names.get(module, type(module).__name__),
                                module.weight.detach().cpu().numpy(), inputs[0],
                                output.detach().cpu().numpy().copy()))

    handles = [m.register_forward_hook(hook) for m in eager.modules() if isinstance(m, torch.nn.Conv2d)]
    recorder = _ResizeRecorder()
    try:
        with torch.no_grad(), recorder:
            eager(torch.from_numpy(np.ascontiguousarray(image)), torch.from_numpy(np.ascontiguousarray(factor)))
    finally:
        for handle in handles:
            handle.remove()
    return convs, recorder


def _constant_arrays(model: "onnx.ModelProto") -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    arrays = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.output:
            for attribute in node.attribute:
                if attribute.name == "value":
                    arrays[node.output[0]] = numpy_helper.to_array(attribute.t)
    return arrays


def _weight_shape(model: "onnx.ModelProto", name: str, constants: Mapping[str, np.ndarray]) -> tuple[int, ...] | None:
    if name in constants:
        return tuple(constants[name].shape)
    for info in [*model.graph.value_info, *model.graph.input]:
        if info.name == name and info.type.tensor_type.HasField("shape"):
            dims = info.type.tensor_type.shape.dim
            if all(d.HasField("dim_value") for d in dims):
                return tuple(int(d.dim_value) for d in dims)
    return None


def _pair(model: "onnx.ModelProto", convs: list[_EagerConv], recorder: _ResizeRecorder) -> tuple[list[_Counterpart], list[str]]:
    """Graph tensors with their eager values, in graph order, and what could not be paired."""
    constants = _constant_arrays(model)
    producers = {out: node for node in model.graph.node for out in node.output}
    conv_nodes = [node for node in model.graph.node if node.op_type == "Conv"]
    pairs: list[_Counterpart] = []
    unmatched: list[str] = []
    for index, node in enumerate(conv_nodes):
        label = node.name or node.output[0]
        if index >= len(convs):
            unmatched.append(f"Conv {label!r} has no eager Conv2d call left ({len(convs)} in the eager model)")
            break
        conv = convs[index]
        shape = _weight_shape(model, node.input[1], constants)
        if shape != tuple(conv.weight.shape):
            unmatched.append(f"Conv {label!r} weight shape {list(shape) if shape else 'unknown'} does not "
                             f"match eager {conv.name} {list(conv.weight.shape)}")
            break
        if index == 0:
            pairs.extend(_upsample(node, conv, producers, recorder, unmatched))
        weight = constants.get(node.input[1])
        weight_diff = None if weight is None else float(np.abs(weight.astype(np.float64) - conv.weight).max())
        pairs.append(_Counterpart(node.output[0], label, "Conv", "conv", conv.name, conv.output, weight_diff))
    paired = len(pairs) - (1 if pairs and pairs[0].role == "upsample" else 0)
    if not conv_nodes:
        unmatched.append("the graph has no Conv node")
    elif paired < len(conv_nodes) and not unmatched:
        unmatched.append(f"{len(conv_nodes) - paired} Conv nodes not compared")
    if paired < len(convs):
        unmatched.append(f"eager Conv2d calls not compared: {', '.join(c.name for c in convs[paired:])}")
    return pairs, unmatched


def _upsample(node: "onnx.NodeProto", conv: _EagerConv, producers: Mapping[str, "onnx.NodeProto"],
              recorder: _ResizeRecorder, unmatched: list[str]) -> list[_Counterpart]:
    """The tensor feeding the first Conv, paired with the first eager Conv2d's input."""
    tensor = node.input[0]
    producer = producers.get(tensor)
    if producer is None:
        unmatched.append(f"the first Conv reads graph input {tensor!r}: no upsampling node to compare")
        return []
    eager_name = next((name for name, out in recorder.calls if out is conv.input), f"input of {conv.name}")
    value = conv.input.detach().cpu().numpy().copy()
    return [_Counterpart(tensor, producer.name or tensor, producer.op_type, "upsample", eager_name, value)]


def _with_outputs(model: "onnx.ModelProto", names: Sequence[str]) -> bytes:
    """The model serialised with `names` added to its graph outputs."""
    import onnx

    edited = onnx.ModelProto()
    edited.CopyFrom(model)
    existing = {output.name for output in edited.graph.output}
    types = {info.name: info.type.tensor_type.elem_type for info in edited.graph.value_info}
    for name in names:
        if name not in existing:
            # Shapes are left unknown: they are dynamic, and the runtime reports what it computed.
            edited.graph.output.append(
                onnx.helper.make_tensor_value_info(name, types.get(name, onnx.TensorProto.FLOAT), None))
    return edited.SerializeToString()


def _first_divergence(pairs: Sequence[_Counterpart], values: Sequence[np.ndarray],
                      atol_for: Callable[[np.ndarray], float]) -> Divergence | None:
    for pair, value in zip(pairs, values):
        graph = np.asarray(value, dtype=np.float64)
        eager = pair.eager_value.astype(np.float64)
        atol = float(atol_for(pair.eager_value))
        common = dict(node=pair.node, eager=pair.eager_name, atol=atol, tensor=pair.tensor,
                      op_type=pair.op_type, role=pair.role, shape_graph=tuple(graph.shape),
                      shape_eager=tuple(eager.shape), weight_max_abs=pair.weight_max_abs)
        if graph.shape != eager.shape:
            return Divergence(max_abs=float("inf"), argmax=(), **common)
        if graph.size == 0:
            continue
        error = np.abs(graph - eager)
        error = np.where(np.isnan(error), np.inf, error)  # NaN on either side is a divergence
        worst = int(np.argmax(error))
        if error.flat[worst] > atol:
            argmax = tuple(int(i) for i in np.unravel_index(worst, error.shape))
            return Divergence(max_abs=float(error.flat[worst]), argmax=argmax,
                              mean_abs=float(error.mean()), **common)
    return None


def scaled_atol(atol: float, scale: float = 255.0, floor: float = 2.0**-6) -> Callable[[np.ndarray], float]:
    """An `atol_for` that scales `atol` (meant for values of magnitude `scale`) by each tensor's peak.

    Why: float32 differences between two correct computations grow with the values' magnitude, and
    the intermediate tensors of SRCNN peak at ~300 while its output peaks at ~30. `floor` keeps a
    near-zero tensor from getting a tolerance of zero.
    """

    def atol_for(value: np.ndarray) -> float:
        peak = float(np.nanmax(np.abs(value))) if value.size else 0.0
        return atol * max(peak / scale, floor)

    return atol_for


def localise(model_path: Path, eager: torch.nn.Module, image: np.ndarray, factor: np.ndarray, *,
             run: Runner, atol_for: Callable[[np.ndarray], float]) -> Localisation:
    """Compare the graph's intermediate tensors with the eager model's and name the first to part.

    `run(model_bytes, feeds, output_names)` executes the edited model in the runtime under test;
    `atol_for(eager_value)` gives the absolute tolerance for one compared tensor. The feeds are the
    graph's inputs in order: `image`, then `factor`.
    """
    import onnx

    model = onnx.load(str(model_path))
    convs, recorder = _run_eager(eager, image, factor)
    pairs, unmatched = _pair(model, convs, recorder)
    note = "; ".join(unmatched)
    if not pairs:
        return Localisation((), None, note or "nothing to compare")
    initializers = {init.name for init in model.graph.initializer}
    inputs = [info.name for info in model.graph.input if info.name not in initializers]
    if len(inputs) not in (1, 2):
        return Localisation((), None, f"the graph has inputs {inputs}, but localisation feeds (image, factor)")
    if len(inputs) == 1:
        # A file whose scale was frozen at export: run it anyway, the upsample's shape tells.
        unmatched.append(f"the graph has one input {inputs[0]!r} (no factor): fed the image only")
        note = "; ".join(unmatched)
    feeds = dict(zip(inputs, (np.ascontiguousarray(image), np.ascontiguousarray(factor))))
    names = [pair.tensor for pair in pairs]
    values = run(_with_outputs(model, names), feeds, names)
    return Localisation(tuple(names), _first_divergence(pairs, values, atol_for), note)
