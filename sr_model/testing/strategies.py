"""Hypothesis strategies for parity: float32 scales, shapes, image content.

The only module of the package that imports hypothesis.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st

from sr_model import ops
from sr_model.paths import FACE_IMAGE

SCALE_MIN, SCALE_MAX = 1.0, 8.0
CONTENT_KINDS = ("noise", "gradient", "photo")

# Decimal scales whose float32 output size differs from the float64 one for some sizes
# (FACTS section 4); drawn often so the size-rounding contract is exercised on every run.
_ROUNDING_SCALES = (1.1, 1.3, 1.9, 2.3, 3.3, 4.1, 10 / 3, 7.77)


def float32_scales() -> st.SearchStrategy[float]:
    """Any float32 value in [1, 8], biased toward integers and size-rounding decimals."""
    return st.one_of(
        st.floats(SCALE_MIN, SCALE_MAX, width=32),
        st.integers(1, 8).map(float),
        st.sampled_from(_ROUNDING_SCALES).map(lambda s: float(np.float32(s))),
    )


class ImageCase(NamedTuple):
    """One drawn parity input: an NCHW float32 image in 0..255 and its scales."""

    image: np.ndarray
    scale_h: float
    scale_w: float
    content: str

    @property
    def factor(self) -> np.ndarray:
        return np.array([1.0, 1.0, self.scale_h, self.scale_w], dtype=np.float32)

    @property
    def id(self) -> str:
        n, c, h, w = self.image.shape
        return f"x{self.scale_h:.9g}x{self.scale_w:.9g}-{n}x{c}x{h}x{w}-{self.content}"

    def output_hw(self) -> tuple[int, int]:
        """The contract's output size (float32 arithmetic, as ORT computes it)."""
        h, w = self.image.shape[2:]
        return ops.output_size(h, self.scale_h), ops.output_size(w, self.scale_w)


@functools.lru_cache(maxsize=1)
def _photo() -> np.ndarray:
    from sr_model.imageio import read_image

    return read_image(FACE_IMAGE)[0]  # 3xHxW


def _content(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    n, c, h, w = shape
    if kind == "noise":
        return (rng.random(shape, dtype=np.float32) * 255.0).astype(np.float32)
    if kind == "gradient":
        # A smooth ramp in a random direction with a random offset: the easy case for bicubic.
        yy, xx = np.meshgrid(np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")
        images = []
        for _ in range(n):
            a, b, offset = rng.uniform(-1, 1, size=3)
            ramp = (a * yy + b * xx + offset + 2) / 4 * 255.0
            images.append(np.broadcast_to(ramp, (c, h, w)))
        return np.clip(np.stack(images), 0, 255).astype(np.float32)
    photo = _photo()
    crops = []
    for _ in range(n):
        top = int(rng.integers(0, photo.shape[1] - h + 1))
        left = int(rng.integers(0, photo.shape[2] - w + 1))
        crops.append(photo[:, top : top + h, left : left + w])
    return np.ascontiguousarray(np.stack(crops), dtype=np.float32)


@st.composite
def image_cases(
    draw: st.DrawFn, *, max_side: int = 64, max_batch: int = 4, kinds: tuple[str, ...] = CONTENT_KINDS
) -> ImageCase:
    """A batch of 1..max_batch images of 1..max_side per side, content of a drawn kind, and scales."""
    batch = draw(st.integers(1, max_batch), label="batch")
    height = draw(st.integers(1, max_side), label="height")
    width = draw(st.integers(1, max_side), label="width")
    kind = draw(st.sampled_from(kinds), label="content")
    seed = draw(st.integers(0, 2**32 - 1), label="content_seed")
    scale_h = draw(float32_scales(), label="scale_h")
    scale_w = draw(float32_scales(), label="scale_w")
    image = _content(kind, (batch, 3, height, width), np.random.default_rng(seed))
    return ImageCase(image, scale_h, scale_w, kind)
