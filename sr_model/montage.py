"""Side-by-side comparison pictures: labelled panels in rows, and an amplified difference map."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from sr_model.atomic import write_bytes_atomic

Panel = tuple[str, np.ndarray]  # (label, HxWx3 uint8)

_LABEL_HEIGHT = 16
_GAP = 4
_BACKGROUND = (255, 255, 255)


def nearest_enlarge(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """An HxWx3 image enlarged to `height` x `width` by pixel repetition (shows the input's pixels)."""
    rows = (np.arange(height) * pixels.shape[0]) // height
    cols = (np.arange(width) * pixels.shape[1]) // width
    return pixels[rows][:, cols]


def amplified_difference(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float]:
    """|a - b| of two Nx3xHxW float arrays as HxWx3 uint8 scaled so the largest is white, and that max."""
    difference = np.abs(np.asarray(a, dtype=np.float64)[0] - np.asarray(b, dtype=np.float64)[0])
    largest = float(difference.max()) if difference.size else 0.0
    scaled = difference / largest * 255.0 if largest > 0 else difference
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8).transpose(1, 2, 0), largest


def _font():
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=12)
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        return ImageFont.load_default()


def side_by_side(rows: list[list[Panel]]) -> bytes:
    """PNG bytes of the panels laid out in rows, each panel with its label above it."""
    from PIL import Image, ImageDraw

    cell_h = max(pixels.shape[0] for row in rows for _, pixels in row)
    cell_w = max(pixels.shape[1] for row in rows for _, pixels in row)
    columns = max(len(row) for row in rows)
    width = _GAP + columns * (cell_w + _GAP)
    height = _GAP + len(rows) * (_LABEL_HEIGHT + cell_h + _GAP)
    canvas = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    font = _font()
    for r, row in enumerate(rows):
        top = _GAP + r * (_LABEL_HEIGHT + cell_h + _GAP)
        for c, (label, pixels) in enumerate(row):
            left = _GAP + c * (cell_w + _GAP)
            draw.text((left + 2, top + 1), label, fill=(0, 0, 0), font=font)
            canvas.paste(Image.fromarray(pixels, mode="RGB"), (left, top + _LABEL_HEIGHT))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def write_side_by_side(rows: list[list[Panel]], path: str | os.PathLike[str]) -> Path:
    """Write `side_by_side(rows)` to `path` atomically."""
    return write_bytes_atomic(path, side_by_side(rows))
