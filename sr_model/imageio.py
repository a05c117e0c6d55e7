"""Images <-> NCHW float32 arrays in 0..255, channel order RGB."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from sr_model.atomic import write_bytes_atomic
from sr_model.errors import InputImageError


def image_to_nchw(pixels: np.ndarray) -> np.ndarray:
    """An HxWx3 uint8 RGB array as a 1x3xHxW float32 array in 0..255."""
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise InputImageError(f"image shape {pixels.shape} is not HxWx3; expected an RGB image")
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[None].astype(np.float32))


def nchw_to_image(array: np.ndarray) -> np.ndarray:
    """The first image of an Nx3xHxW float array as HxWx3 uint8: clipped to 0..255, rounded."""
    if array.ndim != 4 or array.shape[1] != 3:
        raise InputImageError(f"array shape {array.shape} is not Nx3xHxW; expected model output")
    return np.clip(np.rint(array[0]), 0, 255).astype(np.uint8).transpose(1, 2, 0)


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as a 1x3xHxW float32 RGB array in 0..255 (alpha dropped, grey expanded)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputImageError(f"image {os.fspath(path)!r} does not exist; pass a PNG or JPEG path")
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InputImageError(
            f"image {os.fspath(path)!r} cannot be decoded ({error}); expected a PNG or JPEG file"
        ) from error
    return image_to_nchw(pixels)


def encode_png(array: np.ndarray) -> bytes:
    """PNG bytes of the first image of an Nx3xHxW float array (see `nchw_to_image`)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(nchw_to_image(array), mode="RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def write_image(array: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write the first image of an Nx3xHxW float array as a PNG, atomically."""
    return write_bytes_atomic(path, encode_png(array))
