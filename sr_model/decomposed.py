"""The dynamic bicubic resize written out in plain ONNX arithmetic: no `Resize` node.

Why: ONNX Runtime's cubic `Resize` runs on one thread (~40% of the model's time at 256^2 x3), and
engines differ on this Resize: TensorRT's ONNX parser refuses cubic up to 8.4 and a runtime `scales`
up to 8.2 (onnx/onnx-tensorrt builtin_op_importers.cpp @ release/8.2-GA, release/8.4-GA); from 8.5 it
maps cubic with cubic_coeff_a, but with runtime scales it receives only the output shape and maps
half-pixel coordinates by the length ratio, not 1/scale (@ release/8.5-GA; NvInfer.h), so values differ
from ONNX's wherever out/in != scale; OpenVINO adds 1e-6 to the scale before flooring the output size.
This form computes everything from the live `factor` input and the input's shape, with standard
operators that accept runtime tensors (Shape, Gather, Cast, arithmetic, Floor, Range, Equal, Where,
Reshape, MatMul, Transpose), all present with the same signature from opset 11 to 28.

The algorithm, written once (`emit_bicubic`) and emitted through a two-method `Emitter`, so that the
TorchScript exporter (`g.op`) and the torch.export exporter (onnxscript) build the same graph.
Per axis, with `n` the input length and `s` the float32 scale:

    out   = floor(float32(n) * s)                  output length, float32 Mul then Floor (as ORT)
    same  = (OH == H) and (OW == W)                ORT returns the input when the shape is unchanged
    inv   = 1 if same else float32(1 / s)          aten's scale for align_corners=False with scales
    src_o = inv * (o + 0.5) - 0.5,  o = 0..out-1   aten's area_pixel_compute_source_index (cubic:
                                                   no clamp at 0); 0 when out == 1 (ONNX's
                                                   pytorch_half_pixel rule, as the Resize form)
    i0    = min(floor(src), n - 1)                 aten's guard_index_and_lambda
    t     = clamp(src - i0, 0, 1)
    w     = [c2(t + 1), c1(t), c1(1 - t), c2((1 - t) + 1)]     Keys' kernel, A = -0.75:
            c1(x) = ((A + 2) x - (A + 3)) x^2 + 1              for |x| <= 1
            c2(x) = ((A x - 5A) x + 8A) x - 4A                 for 1 < |x| < 2
    tap_k = clamp(i0 - 1 + k, 0, n - 1), k = 0..3   border clamping as aten: clamped taps repeat
    M[o, j] = sum_k w_k[o] * (tap_k[o] == j)        dense [out, n]; repeated taps accumulate

    output = M_h @ X @ M_w^T                        two MatMuls, broadcast over N and C

With `same`, inv = 1 makes src = o exactly, so t = 0 and w = [0, 1, 0, 0] exactly: M is the identity
and the MatMuls return the input bit for bit (for finite inputs), like ORT's shortcut.

TensorRT notes (its ONNX parser's operator list, onnx/onnx-tensorrt docs/operators.md): `Range` is
emitted on int64 and cast afterwards, because TensorRT <= 8.4 takes float `Range` only with constant
inputs; clamping uses Min/Max, not `Clip` (whose min/max had to be initializers in TensorRT 7;
the dynamo exporter's optimiser folds Min(Max(x, 0), 1) into a Clip with constant bounds: fine).
What this form does NOT remove: the output length comes from the VALUES of the float32 `factor`
(Floor -> Cast -> Range), so TensorRT treats `factor` as a shape tensor, and TensorRT 8.x requires a
shape tensor that is a network input to be Int32 (NVIDIA, ITensor::isShapeTensor). No TensorRT ran
here: sr_model.testing.tensorrt reports this as a finding, not as "loads".
aten's CPU kernel (this machine's build) fuses `inv * (o + 0.5) - 0.5` into one FMA; this form
rounds twice, so a source coordinate can differ by one float32 ulp (weights ~1e-6 apart).

Cost: the matrices are dense, so applying them costs N*C*OH*W*(H + OW) multiply-adds, about 5% of
the SRCNN convolutions at 256^2 x3 but growing with the input size (~19% at 1024^2 x4); a banded
(Gather-based) variant would stay linear at the price of many more, slower elementwise nodes.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

KEYS_A = -0.75
# Tap k reads source index i0 - 1 + k; taps 1 and 2 lie within distance 1 (kernel branch c1).
TAP_OFFSETS = (-1.0, 0.0, 1.0, 2.0)
NEAR_TAPS = (False, True, True, False)
_FLOAT = 1  # onnx.TensorProto.FLOAT
_INT64 = 7  # onnx.TensorProto.INT64


class Emitter(Protocol):
    """What the algorithm needs from an ONNX graph builder."""

    def op(self, op_type: str, *inputs: Any, **attributes: Any) -> Any:
        """Append one default-domain node and return its (single) output."""

    def const(self, value: np.ndarray) -> Any:
        """A constant tensor holding exactly `value` (dtype and shape kept)."""


def _f32(value: float) -> np.ndarray:
    return np.array(value, dtype=np.float32)


def _i64(e: Emitter, value: int) -> Any:
    return e.const(np.array(value, dtype=np.int64))


def _axis_matrix(e: Emitter, n_int: Any, out: Any, inv: Any) -> Any:
    """The dense interpolation matrix [out, n] of one axis (see the module docstring)."""
    n = e.op("Cast", n_int, to=_FLOAT)
    # Output indices o = 0..out-1: Range on int64 (TensorRT), then float32.
    out_int = e.op("Cast", out, to=_INT64)
    o = e.op("Cast", e.op("Range", _i64(e, 0), out_int, _i64(e, 1)), to=_FLOAT)
    # src = inv * (o + 0.5) - 0.5, or 0 for a 1-pixel output (pytorch_half_pixel).
    src = e.op("Sub", e.op("Mul", inv, e.op("Add", o, e.const(_f32(0.5)))), e.const(_f32(0.5)))
    src = e.op("Where", e.op("Greater", out, e.const(_f32(1.0))), src, e.const(_f32(0.0)))
    last = e.op("Sub", n, e.const(_f32(1.0)))
    i0 = e.op("Min", e.op("Floor", src), last)
    t = e.op("Min", e.op("Max", e.op("Sub", src, i0), e.const(_f32(0.0))), e.const(_f32(1.0)))
    # Per-row values become columns [out, 1], so that comparing with the source index row j [n]
    # broadcasts to [out, n]: ORT runs that pattern fast (a trailing tap axis of 4 is 30x slower).
    column = e.const(np.array([-1, 1], dtype=np.int64))
    t = e.op("Reshape", t, column)
    i0 = e.op("Reshape", i0, column)
    one = e.const(_f32(1.0))
    zero = e.const(_f32(0.0))
    u = e.op("Sub", one, t)
    # Distances to the 4 taps, in aten's operation order: t+1, t, 1-t, (1-t)+1.
    distances = (e.op("Add", t, one), t, u, e.op("Add", u, one))
    j = e.op("Cast", e.op("Range", _i64(e, 0), n_int, _i64(e, 1)), to=_FLOAT)  # [n]
    matrix = None
    for k, (offset, distance) in enumerate(zip(TAP_OFFSETS, distances)):
        weight = _keys_near(e, distance) if NEAR_TAPS[k] else _keys_far(e, distance)  # [out, 1]
        tap = e.op("Add", i0, e.const(_f32(float(offset))))
        tap = e.op("Min", e.op("Max", tap, zero), last)  # border clamping, as aten
        # Scatter the weight onto its source column; clamped duplicates accumulate in the sum.
        spread = e.op("Where", e.op("Equal", tap, j), weight, zero)  # [out, n]
        matrix = spread if matrix is None else e.op("Add", matrix, spread)
    return matrix


def _keys_near(e: Emitter, x: Any) -> Any:
    """c1(x) = ((A + 2) x - (A + 3)) x x + 1, Keys' kernel for |x| <= 1."""
    a = KEYS_A
    y = e.op("Sub", e.op("Mul", e.const(_f32(a + 2)), x), e.const(_f32(a + 3)))
    return e.op("Add", e.op("Mul", e.op("Mul", y, x), x), e.const(_f32(1.0)))


def _keys_far(e: Emitter, x: Any) -> Any:
    """c2(x) = ((A x - 5A) x + 8A) x - 4A, Keys' kernel for 1 < |x| < 2."""
    a = KEYS_A
    y = e.op("Sub", e.op("Mul", e.const(_f32(a)), x), e.const(_f32(5 * a)))
    y = e.op("Add", e.op("Mul", y, x), e.const(_f32(8 * a)))
    return e.op("Sub", e.op("Mul", y, x), e.const(_f32(4 * a)))


def emit_bicubic(e: Emitter, input: Any, factor: Any) -> Any:
    """Emit the decomposed bicubic resize of NCHW `input` by `factor` [1, 1, sh, sw]; return the output."""
    shape = e.op("Shape", input)
    n_h = e.op("Gather", shape, _i64(e, 2), axis=0)
    n_w = e.op("Gather", shape, _i64(e, 3), axis=0)
    s_h = e.op("Gather", factor, _i64(e, 2), axis=0)
    s_w = e.op("Gather", factor, _i64(e, 3), axis=0)
    h = e.op("Cast", n_h, to=_FLOAT)
    w = e.op("Cast", n_w, to=_FLOAT)
    # Output sizes exactly as the eager op and ORT: floor(float32(n) * float32(s)).
    out_h = e.op("Floor", e.op("Mul", h, s_h))
    out_w = e.op("Floor", e.op("Mul", w, s_w))
    same = e.op("And", e.op("Equal", out_h, h), e.op("Equal", out_w, w))
    one = e.const(_f32(1.0))
    inv_h = e.op("Where", same, one, e.op("Div", one, s_h))
    inv_w = e.op("Where", same, one, e.op("Div", one, s_w))
    m_h = _axis_matrix(e, n_h, out_h, inv_h)  # [OH, H]
    m_w = _axis_matrix(e, n_w, out_w, inv_w)  # [OW, W]
    rows = e.op("MatMul", m_h, input)  # [N, C, OH, W]
    return e.op("MatMul", rows, e.op("Transpose", m_w, perm=[1, 0]))  # [N, C, OH, OW]


# --- The two emitters -----------------------------------------------------------------------------


class TorchScriptEmitter:
    """Emit through the TorchScript exporter's graph context (`g.op`)."""

    def __init__(self, g: Any) -> None:
        self.g = g

    def op(self, op_type: str, *inputs: Any, **attributes: Any) -> Any:
        return self.g.op(op_type, *inputs, **{_suffixed(name, value): value for name, value in attributes.items()})

    def const(self, value: np.ndarray) -> Any:
        import torch

        return self.g.op("Constant", value_t=torch.from_numpy(np.array(value)))


def _suffixed(name: str, value: Any) -> str:
    """g.op's typed attribute names: `axis_i`, `perm_i`, `to_i`, `alpha_f`, `mode_s`."""
    sample = value[0] if isinstance(value, (list, tuple)) and value else value
    if isinstance(sample, bool) or isinstance(sample, int):
        return f"{name}_i"
    if isinstance(sample, float):
        return f"{name}_f"
    if isinstance(sample, str):
        return f"{name}_s"
    raise TypeError(f"attribute {name}={value!r} has no g.op suffix; expected int, float or str")


class OnnxScriptEmitter:
    """Emit through onnxscript ops (the torch.export exporter's translation functions)."""

    def __init__(self, opset: Any) -> None:
        self.opset = opset

    def op(self, op_type: str, *inputs: Any, **attributes: Any) -> Any:
        return getattr(self.opset, op_type)(*inputs, **attributes)

    def const(self, value: np.ndarray) -> Any:
        import onnx

        return self.opset.Constant(value=onnx.numpy_helper.from_array(np.array(value)))


def torchscript_symbolic(g: Any, input: Any, factor: Any) -> Any:
    """The TorchScript symbolic of `sr_model::bicubic_resize` in decomposed form."""
    return emit_bicubic(TorchScriptEmitter(g), input, factor)


def onnxscript_function() -> Any:
    """The onnxscript translation of `sr_model::bicubic_resize` in decomposed form."""
    from onnxscript import opset18 as op

    def decomposed_bicubic(input: Any, factor: Any) -> Any:
        return emit_bicubic(OnnxScriptEmitter(op), input, factor)

    return decomposed_bicubic
