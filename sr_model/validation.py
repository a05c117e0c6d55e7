"""Input validation at the package's boundaries: factors, image tensors, memory estimates.

Each check raises a typed error naming the value, what was expected and how to fix it, before
anything reaches torch or ONNX Runtime (which would crash deep inside, or, for some bad factors,
silently compute something else: the raw graph resizes the BATCH when factor[0] is 2).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from sr_model.errors import FactorError, InputImageError, MemoryLimitError
from sr_model.sizes import output_size

# The range the conformance suite proves: its property tests draw every float32 scale in it.
# Below 1 is downscaling, where bicubic without antialiasing aliases (not what SRCNN is for).
SCALE_MIN, SCALE_MAX = 1.0, 8.0
# Bytes per OUTPUT pixel of the eager model's peak: float32 x (upsampled input 3 + conv1 64 +
# its ReLU 64) channels live at once; ORT reuses buffers and stays below this.
PEAK_BYTES_PER_OUTPUT_PIXEL = 4 * (3 + 64 + 64)
_MEMORY_LIMIT_ENV = "SR_MODEL_MEMORY_LIMIT_MB"


def _as_array(value: Any) -> np.ndarray:
    try:
        import torch

        if isinstance(value, torch.Tensor):
            return value.detach().cpu().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return np.asarray(value)


def validate_scales(scale_h: float, scale_w: float) -> tuple[float, float]:
    """Check a (height, width) scale pair; returns them as float32 values."""
    for name, scale in (("scale_h", scale_h), ("scale_w", scale_w)):
        if isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating, np.integer)):
            raise FactorError(f"{name}={scale!r} is not a number; expected a float in [{SCALE_MIN:g}, {SCALE_MAX:g}]")
        if not math.isfinite(float(scale)):
            raise FactorError(f"{name}={scale!r} is not finite; expected a float in [{SCALE_MIN:g}, {SCALE_MAX:g}]")
        if not SCALE_MIN <= float(np.float32(scale)) <= SCALE_MAX:
            raise FactorError(
                f"{name}={scale!r} is outside [{SCALE_MIN:g}, {SCALE_MAX:g}]: SRCNN upscales, and the "
                f"conformance suite proves ORT/PyTorch parity for every float32 scale in that range"
            )
    return float(np.float32(scale_h)), float(np.float32(scale_w))


def validate_factor(factor: Any) -> tuple[float, float]:
    """Check a `factor` input (float32 `[1, 1, sh, sw]`); returns (sh, sw)."""
    array = _as_array(factor)
    if array.dtype != np.float32:
        raise FactorError(
            f"factor dtype={array.dtype}, but should be float32; build it with sr_model.make_factor(sh, sw)"
        )
    if array.shape != (4,):
        raise FactorError(
            f"factor shape={tuple(array.shape)}, but should be (4,) holding [1, 1, sh, sw]; "
            "build it with sr_model.make_factor(sh, sw)"
        )
    if not np.all(np.isfinite(array)):
        raise FactorError(f"factor={array.tolist()} has a NaN or inf; expected [1, 1, sh, sw] with finite scales")
    if array[0] != 1 or array[1] != 1:
        raise FactorError(
            f"factor={array.tolist()} scales the batch/channel axes; expected [1, 1, sh, sw] "
            "(the raw ONNX graph would silently resize the batch or refuse the channel scale)"
        )
    return validate_scales(float(array[2]), float(array[3]))


def validate_image(image: Any, *, dtypes: tuple[type, ...] = (np.float32,)) -> np.ndarray:
    """Check an NCHW float32 image tensor in 0..255; returns it as a numpy array (no copy if possible).

    `dtypes` widens the accepted dtypes: only the eager op passes float64 (the float64 reference run
    that `sr_model.engine.derived_tolerance` compares float32 with); ORT inputs stay float32.
    """
    array = _as_array(image)
    if array.ndim != 4:
        raise InputImageError(
            f"image shape={tuple(array.shape)} has rank {array.ndim}, but should be rank 4 (N, 3, H, W); "
            "add a batch axis with image[None] or use sr_model.imageio.read_image"
        )
    if array.shape[1] != 3:
        raise InputImageError(
            f"image shape={tuple(array.shape)} has {array.shape[1]} channels, but should have 3 (RGB); "
            "convert grey or RGBA images to RGB first"
        )
    if array.size == 0:
        raise InputImageError(f"image shape={tuple(array.shape)} is empty; expected N, H, W >= 1")
    if array.dtype not in dtypes:
        expected = " or ".join(np.dtype(dtype).name for dtype in dtypes)
        raise InputImageError(
            f"image dtype={array.dtype}, but should be {expected} (values 0..255); convert with .astype(np.float32)"
        )
    if not np.all(np.isfinite(array)):
        raise InputImageError("image has NaN or inf values; expected finite float32 values in 0..255")
    return array


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo, or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def memory_limit_bytes() -> int:
    """The upscale memory limit: $SR_MODEL_MEMORY_LIMIT_MB, else half of the available memory."""
    configured = os.environ.get(_MEMORY_LIMIT_ENV)
    if configured:
        try:
            return int(float(configured) * 2**20)
        except ValueError:
            raise MemoryLimitError(
                f"{_MEMORY_LIMIT_ENV}={configured!r} is not a number of megabytes; unset it or set e.g. 4096"
            ) from None
    available = available_memory_bytes()
    return available // 2 if available else 8 * 2**30


def estimate_peak_bytes(shape: tuple[int, ...], scale_h: float, scale_w: float) -> int:
    """Estimated peak memory of upscaling an NCHW `shape` by the scales (see the constant's note)."""
    n, _, h, w = shape
    return n * output_size(h, scale_h) * output_size(w, scale_w) * PEAK_BYTES_PER_OUTPUT_PIXEL


def check_memory(shape: tuple[int, ...], scale_h: float, scale_w: float, limit: int | None = None) -> None:
    """Refuse an upscale whose estimated peak memory exceeds the limit, before running it."""
    limit = memory_limit_bytes() if limit is None else limit
    estimate = estimate_peak_bytes(shape, scale_h, scale_w)
    if estimate > limit:
        raise MemoryLimitError(
            f"upscaling {'x'.join(map(str, shape))} by {scale_h:g}x{scale_w:g} needs ~{estimate / 2**30:.1f} GiB "
            f"(estimate), over the limit of {limit / 2**30:.1f} GiB; use a smaller image, batch or factor, "
            f"or raise the limit with {_MEMORY_LIMIT_ENV}"
        )
