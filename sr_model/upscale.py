"""Upscale an image with the trained model, in PyTorch or in ONNX Runtime (one exported file).

The `factor` is validated here, at the boundary, because neither the model nor the exported graph
checks it: a zero or negative scale would reach aten or ORT and fail there with an unreadable error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from sr_model.errors import FactorError
from sr_model.model import make_factor
from sr_model.ops import output_size
from sr_model.validation import SCALE_MAX, SCALE_MIN, check_memory, validate_image, validate_scales

if TYPE_CHECKING:
    import onnxruntime

MIN_SCALE, MAX_SCALE = SCALE_MIN, SCALE_MAX
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
    """The scales as float32 values if both are finite and in MIN_SCALE..MAX_SCALE, else FactorError."""
    return validate_scales(scale_h, scale_w)


def output_shape(image: np.ndarray, scales: tuple[float, float]) -> tuple[int, ...]:
    """The NCHW shape the model (either backend) produces for `image` at `scales`."""
    n, c, h, w = image.shape
    return (n, c, output_size(h, scales[0]), output_size(w, scales[1]))


def _check_image(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(validate_image(image))


def upscale_torch(model: nn.Module, image: np.ndarray, scales: tuple[float, float]) -> np.ndarray:
    """The eager model's Nx3xHxW float32 output (0..255, unclipped) for `image` at `scales`."""
    image = _check_image(image)
    scales = check_scales(*scales)
    check_memory(image.shape, *scales)
    with torch.inference_mode():
        return model(torch.from_numpy(image), make_factor(*scales)).numpy()


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
    from sr_model.runtime import check_session_io, create_session

    session = create_session(Path(onnx_model))
    check_session_io(session)
    return session
