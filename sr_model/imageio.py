"""Images <-> NCHW float32 arrays in 0..255, channel order RGB.

Reading says what it converted (grey expanded, alpha dropped, 16 bits scaled) instead of doing it
silently; writing picks the format from the file's extension and refuses one it cannot honour.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sr_model.atomic import write_bytes_atomic
from sr_model.errors import InputImageError, UsageError


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


class LoadedImage(NamedTuple):
    """An image file as the model takes it, and what was changed to get there."""

    pixels: np.ndarray  # 1x3xHxW float32, 0..255, RGB
    mode: str  # the file's Pillow mode, e.g. "RGBA", "I;16"
    notes: tuple[str, ...]  # one sentence per conversion, for the user


# Pillow modes whose alpha `convert("RGB")` drops.
_ALPHA_MODES = frozenset({"RGBA", "LA", "La", "RGBa", "PA"})
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I;16", "I;16B", "I;16L", "I;16N", "I"})


def _sixteen_bit_rawmode(image: "PIL.Image.Image") -> bool:  # noqa: F821
    """Whether Pillow decodes this file from 16-bit samples (it reduces 16-bit RGB(A) to 8 bits)."""
    for tile in getattr(image, "tile", None) or ():
        args = tile[3] if len(tile) > 3 else None
        rawmode = args[0] if isinstance(args, tuple) and args else args
        if isinstance(rawmode, str) and ";16" in rawmode:
            return True
    return False


def _to_rgb(image: "PIL.Image.Image", name: str, sixteen_bit: bool) -> tuple[np.ndarray, list[str]]:  # noqa: F821
    """HxWx3 float32 RGB in 0..255 and the conversions made, or InputImageError."""
    mode, notes = image.mode, []
    if mode in ("F",) or (mode == "I" and image.format != "PNG"):
        # 32-bit integer or float samples have no defined 0..255 range to map from.
        raise InputImageError(
            f"image {name!r} has {mode!r} (32-bit) samples; expected 8- or 16-bit RGB or greyscale "
            f"(convert it, e.g. to 16-bit PNG, first)"
        )
    if mode.startswith("I"):
        # 16-bit greyscale (Pillow's "I;16", or "I" from PNG on older Pillow). convert("RGB") clips
        # every sample above 255 to white; scale 0..65535 onto 0..255 instead.
        grey = np.asarray(image, dtype=np.float64) * (255.0 / 65535.0)
        notes.append("16-bit greyscale scaled to 0..255 (x255/65535) and copied to R, G and B")
        return np.repeat(grey.astype(np.float32)[..., None], 3, axis=2), notes
    if sixteen_bit:
        notes.append("16-bit samples reduced to 8 bits by the decoder")
    if mode in _GREY_MODES:
        notes.append("greyscale copied to R, G and B: the output is an RGB image")
    if mode in _ALPHA_MODES or (mode == "P" and "transparency" in image.info):
        notes.append("alpha channel dropped (the model upscales RGB only): the output has no alpha")
    elif mode not in ("RGB", "P", *_GREY_MODES):
        notes.append(f"{mode} converted to RGB")
    return np.asarray(image.convert("RGB")).astype(np.float32), notes


def load_image(path: str | os.PathLike[str]) -> LoadedImage:
    """Read an image file as a 1x3xHxW float32 RGB array in 0..255, noting every conversion."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    name = os.fspath(path)
    if not path.is_file():
        raise InputImageError(f"image {name!r} does not exist; pass a PNG or JPEG path")
    try:
        with Image.open(path) as image:
            sixteen_bit = _sixteen_bit_rawmode(image)  # read before load(), which clears the tiles
            image.load()
            pixels, notes = _to_rgb(image, name, sixteen_bit)
            mode = image.mode
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, InputImageError):
            raise
        raise InputImageError(
            f"image {name!r} cannot be decoded ({error}); expected a PNG or JPEG file"
        ) from error
    return LoadedImage(np.ascontiguousarray(pixels.transpose(2, 0, 1)[None]), mode, tuple(notes))


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as a 1x3xHxW float32 RGB array in 0..255 (see `load_image`)."""
    return load_image(path).pixels


# Formats that store 8-bit RGB as it is (JPEG lossily). Palette formats (GIF) would quantise to
# 256 colours, so they are not offered. Only those the installed Pillow can save are accepted.
_RGB_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WEBP")


def output_formats() -> dict[str, str]:
    """Extension (".png") -> Pillow format name, for every RGB format the installed Pillow writes."""
    from PIL import Image

    Image.init()
    return {
        extension: name for extension, name in sorted(Image.registered_extensions().items())
        if name in _RGB_FORMATS and name in Image.SAVE
    }


def check_output_path(path: str | os.PathLike[str]) -> str:
    """The format `path`'s extension asks for, after checking its folder exists; else UsageError."""
    path = Path(path)
    formats = output_formats()
    extension = path.suffix.lower()
    if extension not in formats:
        raise UsageError(
            f"output {os.fspath(path)!r} has extension {extension or '(none)'!r}, but the format is "
            f"chosen by it; expected one of {', '.join(formats)}"
        )
    if not path.parent.is_dir():
        raise UsageError(
            f"output folder {os.fspath(path.parent)!r} does not exist; create it first or pick another -o path"
        )
    return formats[extension]


def encode_image(array: np.ndarray, format: str = "PNG") -> bytes:
    """`format` (a Pillow name: PNG, JPEG, ...) bytes of the first image of an Nx3xHxW float array."""
    from PIL import Image

    buffer = io.BytesIO()
    # JPEG is lossy: quality 95 keeps upscaled detail (Pillow's default 75 blurs it visibly).
    options = {"quality": 95} if format in ("JPEG", "WEBP") else {}
    Image.fromarray(nchw_to_image(array), mode="RGB").save(buffer, format=format, **options)
    return buffer.getvalue()


def encode_png(array: np.ndarray) -> bytes:
    """PNG bytes of the first image of an Nx3xHxW float array (see `nchw_to_image`)."""
    return encode_image(array, "PNG")


def write_image(array: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write the first image of an Nx3xHxW float array atomically, in the format its extension names."""
    return write_bytes_atomic(path, encode_image(array, check_output_path(path)))
