"""The dynamic bicubic resize: one eager implementation and its ONNX forms.

The contract (why the eager body is not a plain `F.interpolate`): the exported graph is executed by
ONNX Runtime, so the eager op reproduces what ORT's `Resize` does with a runtime `scales` input:

* the output size is `floor(float32(in) * float32(scale))`, computed in float32 as ORT does.
  `F.interpolate` computes it in double, which is one pixel smaller for ~10% of decimal scales
  (10x10 at 1.3 -> torch 12, ORT 13);
* when the output shape equals the input shape, ORT returns the input unchanged even if the scale
  is not 1 (4x4 at 1.2), so the eager op does the same;
* otherwise the pixels come from aten's bicubic (A=-0.75, pytorch_half_pixel mapping, border
  clamping) with the explicit output size AND the float32 scales, matching ORT's coordinate mapping.

Everything that emits ONNX for this op lives here: the TorchScript symbolic (`g.op`) and the
onnxscript translation used by the torch.export-based exporter, each in two forms chosen at export:
`"resize"` (one ONNX `Resize`, the default) and `"decomposed"` (plain arithmetic and two MatMuls,
built in `sr_model.decomposed`: multi-threaded in ORT and free of constant-only inputs for TensorRT).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np
import torch

from sr_model.sizes import output_size  # noqa: F401 - re-exported: the op's size rule
from sr_model.validation import validate_factor, validate_image

OP_NAMESPACE = "sr_model"
OP_NAME = "bicubic_resize"
QUALIFIED_OP_NAME = f"{OP_NAMESPACE}::{OP_NAME}"

ResizeForm = Literal["resize", "decomposed"]
RESIZE_FORMS: tuple[ResizeForm, ...] = ("resize", "decomposed")

# The Resize attributes of the exported node. Torch's bicubic is Keys' kernel with A=-0.75 and the
# pytorch_half_pixel mapping (a 1-pixel output maps to source 0, not to the half-pixel centre).
RESIZE_ATTRIBUTES: dict[str, Any] = {
    "mode": "cubic",
    "coordinate_transformation_mode": "pytorch_half_pixel",
    "cubic_coeff_a": -0.75,
    "nearest_mode": "floor",
}


def factor_scales(factor: torch.Tensor) -> tuple[float, float]:
    """The (height, width) scales of a `[1, 1, sh, sw]` factor tensor, as exact float32 values."""
    values = factor.detach().to(torch.float32).reshape(-1).tolist()
    return float(values[2]), float(values[3])


@torch.library.custom_op(QUALIFIED_OP_NAME, mutates_args=())
def bicubic_resize(input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Bicubic upsampling of an NCHW tensor by the runtime scales in `factor` (ORT semantics)."""
    # Validated here because this body is what every eager call runs: a bad factor gets a typed
    # error instead of a crash inside aten (or a silently different result).
    scale_h, scale_w = validate_factor(factor)
    # float64 is accepted for the float64 reference run of a `.double()` model copy (derived
    # tolerance); the factor stays float32, so the output size below is the float32 one either way.
    validate_image(input, dtypes=(np.float32, np.float64))
    in_h, in_w = input.shape[-2:]
    out_h, out_w = output_size(in_h, scale_h), output_size(in_w, scale_w)
    if (out_h, out_w) == (in_h, in_w):
        # ORT's Resize short-circuits to a copy when the shape does not change.
        return input.clone()
    return torch._C._nn.upsample_bicubic2d(input, [out_h, out_w], False, scale_h, scale_w)


@bicubic_resize.register_fake
def _bicubic_resize_fake(input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    # The output height and width depend on the VALUES of `factor`, so they are unbacked sizes.
    ctx = torch.library.get_ctx()
    out_h = ctx.new_dynamic_size(min=1)
    out_w = ctx.new_dynamic_size(min=1)
    return input.new_empty((input.shape[0], input.shape[1], out_h, out_w))


# --- ONNX form for the TorchScript exporter (dynamo=False) --------------------------------------


def torchscript_symbolic(g: Any, input: Any, factor: Any) -> Any:
    """The op as one `Resize` in the TorchScript exporter's graph (`g.op`)."""
    empty_roi = g.op("Constant", value_t=torch.tensor([], dtype=torch.float32))
    return g.op(
        "Resize",
        input,
        empty_roi,
        factor,
        mode_s=RESIZE_ATTRIBUTES["mode"],
        coordinate_transformation_mode_s=RESIZE_ATTRIBUTES["coordinate_transformation_mode"],
        cubic_coeff_a_f=RESIZE_ATTRIBUTES["cubic_coeff_a"],
        nearest_mode_s=RESIZE_ATTRIBUTES["nearest_mode"],
    )


# `register_custom_op_symbolic` is process-global, so ONE symbolic is registered and it reads the
# form chosen for the export in progress (set by `torchscript_form`, restored afterwards). The form
# functions are looked up at export time (not bound at registration), so the conformance suite's
# deliberately broken exporters can swap them in and out.
_TORCHSCRIPT_FORM: ResizeForm = "resize"


def _torchscript_dispatch(g: Any, input: Any, factor: Any) -> Any:
    if _TORCHSCRIPT_FORM == "decomposed":
        from sr_model import decomposed

        return decomposed.torchscript_symbolic(g, input, factor)
    return torchscript_symbolic(g, input, factor)


@contextlib.contextmanager
def torchscript_form(form: ResizeForm) -> Iterator[None]:
    """Make the registered TorchScript symbolic emit `form` inside the block."""
    global _TORCHSCRIPT_FORM
    if form not in RESIZE_FORMS:
        raise ValueError(f"form={form!r}; expected one of {RESIZE_FORMS}")
    previous, _TORCHSCRIPT_FORM = _TORCHSCRIPT_FORM, form
    try:
        yield
    finally:
        _TORCHSCRIPT_FORM = previous


_TORCHSCRIPT_REGISTERED = False


def register_torchscript_symbolic() -> None:
    """Teach the TorchScript exporter to emit the op (idempotent); the form is `torchscript_form`'s.

    Registered at opset 11, the first opset whose Resize has cubic mode and a `scales` input (and
    whose Range the decomposed form needs); the registration covers every later opset.
    """
    global _TORCHSCRIPT_REGISTERED
    if not _TORCHSCRIPT_REGISTERED:
        torch.onnx.register_custom_op_symbolic(QUALIFIED_OP_NAME, _torchscript_dispatch, 11)
        _TORCHSCRIPT_REGISTERED = True


# --- ONNX form for the torch.export-based exporter (dynamo=True) --------------------------------


def dynamo_resize(input: Any, factor: Any) -> Any:
    """The op as one onnxscript `Resize`, for the torch.export-based exporter."""
    # Imported here so that eager use of the model never imports onnx/onnxscript.
    from onnxscript import opset18 as op

    return op.Resize(
        input,
        None,  # empty roi
        factor,
        mode=RESIZE_ATTRIBUTES["mode"],
        coordinate_transformation_mode=RESIZE_ATTRIBUTES["coordinate_transformation_mode"],
        cubic_coeff_a=RESIZE_ATTRIBUTES["cubic_coeff_a"],
        nearest_mode=RESIZE_ATTRIBUTES["nearest_mode"],
    )


def dynamo_translation_table(form: ResizeForm = "resize") -> dict[Any, Callable[..., Any]]:
    """The `custom_translation_table` mapping the op to its onnxscript form (`Resize` by default)."""
    if form not in RESIZE_FORMS:
        raise ValueError(f"form={form!r}; expected one of {RESIZE_FORMS}")
    if form == "decomposed":
        from sr_model import decomposed

        return {torch.ops.sr_model.bicubic_resize.default: decomposed.onnxscript_function()}
    return {torch.ops.sr_model.bicubic_resize.default: dynamo_resize}
