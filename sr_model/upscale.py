"""Upscale an image with the trained model, in PyTorch or in ONNX Runtime (one exported file).

The `factor` is validated here, at the boundary, because neither the model nor the exported graph
checks it: a zero or negative scale would reach aten or ORT and fail there with an unreadable error.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from sr_model.errors import FactorError, InputImageError
from sr_model.model import make_factor
from sr_model.ops import output_size

if TYPE_CHECKING:
    import onnxruntime

# The range the parity suite covers (x1..x8); SRCNN restores upscales, it does not downscale.
MIN_SCALE = 1.0
MAX_SCALE = 8.0
_FACTOR_PATTERN = re.compile(r"^\s*([^xX]+?)\s*(?:[xX]\s*([^xX]+?)\s*)?$")


def parse_factor(text: str) -> tuple[float, float]:
    """(scale_h, scale_w) from "3", "2.5" or "2x3" (height x width), each in MIN_SCALE..MAX_SCALE."""
    match = _FACTOR_PATTERN.match(str(text))
    try:
        if match is None:
            raise ValueError
        scale_h = float(match.group(1))
        scale_w = float(match.group(2)) if match.group(2) is not None else scale_h
    except ValueError:
        raise FactorError(
            f"factor={text!r} is not a number or HxW pair; expected e.g. 3, 2.5 or 2x3"
        ) from None
    return check_scales(scale_h, scale_w)


def check_scales(scale_h: float, scale_w: float) -> tuple[float, float]:
    """The scales unchanged if both are finite and in MIN_SCALE..MAX_SCALE, else FactorError."""
    for axis, scale in (("height", scale_h), ("width", scale_w)):
        if not (math.isfinite(scale) and MIN_SCALE <= scale <= MAX_SCALE):
            raise FactorError(
                f"{axis} scale {scale!r} is outside {MIN_SCALE:g}..{MAX_SCALE:g}; pass an upscale factor "
                f"in that range (the range the conformance suite covers)"
            )
    return float(scale_h), float(scale_w)


def output_shape(image: np.ndarray, scales: tuple[float, float]) -> tuple[int, ...]:
    """The NCHW shape the model (either backend) produces for `image` at `scales`."""
    n, c, h, w = image.shape
    return (n, c, output_size(h, scales[0]), output_size(w, scales[1]))


def _check_image(image: np.ndarray) -> np.ndarray:
    if image.ndim != 4 or image.shape[1] != 3 or image.shape[0] < 1 or min(image.shape[2:]) < 1:
        raise InputImageError(f"image shape {image.shape} is not Nx3xHxW; expected an RGB batch")
    return np.ascontiguousarray(image, dtype=np.float32)


def upscale_torch(model: nn.Module, image: np.ndarray, scales: tuple[float, float]) -> np.ndarray:
    """The eager model's Nx3xHxW float32 output (0..255, unclipped) for `image` at `scales`."""
    image = _check_image(image)
    factor = make_factor(*check_scales(*scales))
    with torch.inference_mode():
        return model(torch.from_numpy(image), factor).numpy()


def upscale_onnxruntime(
    session: "onnxruntime.InferenceSession", image: np.ndarray, scales: tuple[float, float]
) -> np.ndarray:
    """The exported model's output under ONNX Runtime for the same inputs as `upscale_torch`."""
    from sr_model.runtime import run_session

    image = _check_image(image)
    factor = make_factor(*check_scales(*scales)).numpy()
    return run_session(session, image, factor)


def bicubic(image: np.ndarray, scales: tuple[float, float]) -> np.ndarray:
    """The bicubic upscale the model starts from (its own op), for comparison."""
    from sr_model.ops import bicubic_resize

    image = _check_image(image)
    with torch.inference_mode():
        return bicubic_resize(torch.from_numpy(image), make_factor(*check_scales(*scales))).numpy()


def onnx_session_for(onnx_model: str | os.PathLike[str]) -> "onnxruntime.InferenceSession":
    """An ORT session on an existing exported file, with a clear error if it cannot be loaded."""
    from sr_model.errors import OnnxModelError
    from sr_model.runtime import create_session

    path = Path(onnx_model)
    if not path.is_file():
        raise OnnxModelError(f"ONNX model {os.fspath(path)!r} does not exist; pass a file written by `sr-model export`")
    try:
        session = create_session(path)
    except Exception as error:  # ORT raises its own exception types (Fail, InvalidGraph, ...)
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise OnnxModelError(f"ONNX model {os.fspath(path)!r} cannot be loaded by ONNX Runtime: {first}") from error
    names = [value.name for value in session.get_inputs()]
    if names != ["input", "factor"]:
        raise OnnxModelError(
            f"ONNX model {os.fspath(path)!r} has inputs {names}; expected ['input', 'factor'] "
            "(a dynamic-scale model written by `sr-model export`)"
        )
    return session
