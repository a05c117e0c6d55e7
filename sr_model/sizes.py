"""The output-size rule of the dynamic bicubic resize, shared by the op, validation and the checks."""

from __future__ import annotations

import math

import numpy as np


def output_size(in_size: int, scale: float) -> int:
    """Output length of one axis, computed in float32 exactly as ONNX Runtime does."""
    return math.floor(float(np.float32(in_size) * np.float32(scale)))
