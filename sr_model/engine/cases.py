"""Parity cases: small NamedTuples with identifier-safe ids, and the named sets the suite runs.

A case is (scales, NCHW shape, content). Content is "noise" (seeded uniform 0..255: the worst case
for bicubic rounding) or "face" (the shipped photo, shrunk to the case's size: what the trained
weights were made for). The tolerance policy keys on the content, so it is part of the case.
"""

from __future__ import annotations

import functools
import zlib
from typing import Literal, NamedTuple

import numpy as np

Content = Literal["noise", "face"]


def _fmt(scale: float) -> str:
    return f"{scale:g}"


class ParityCase(NamedTuple):
    """One parity point: scales (height, width), an NCHW input shape and the image content."""

    scale_h: float
    scale_w: float
    shape: tuple[int, int, int, int]
    content: Content = "noise"

    @property
    def id(self) -> str:
        scales = _fmt(self.scale_h) if self.scale_h == self.scale_w else f"{_fmt(self.scale_h)}x{_fmt(self.scale_w)}"
        suffix = "" if self.content == "noise" else f"-{self.content}"
        return f"x{scales}-{'x'.join(map(str, self.shape))}{suffix}"

    def image(self) -> np.ndarray:
        """The case's input: seeded noise in 0..255, or the face shrunk to the case's size."""
        if self.content == "face":
            return _face(*self.shape[2:]).copy()[None].repeat(self.shape[0], axis=0)
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        return (rng.random(self.shape, dtype=np.float32) * 255.0).astype(np.float32)

    def factor(self) -> np.ndarray:
        return np.array([1.0, 1.0, self.scale_h, self.scale_w], dtype=np.float32)


def _square(scale: float, *shapes: tuple[int, int, int, int]) -> list[ParityCase]:
    return [ParityCase(scale, scale, shape) for shape in shapes]


# Integer factors 1..8, non-integer factors (including decimal ones whose float32 product rounds
# differently from the float64 one), anisotropic factors, sizes from 1x1 to 256x256, batch 1 and >1.
# Big outputs are few: the cost is ~20k MACs per OUTPUT pixel, per exporter and opset.
PARITY_GRID: tuple[ParityCase, ...] = tuple(
    _square(1.0, (1, 3, 17, 9), (2, 3, 32, 32))
    + _square(2.0, (1, 3, 1, 1), (1, 3, 32, 48), (1, 3, 256, 256))
    + _square(3.0, (1, 3, 2, 3), (3, 3, 24, 16))
    + _square(4.0, (1, 3, 17, 9), (2, 3, 13, 31))
    + _square(5.0, (1, 3, 11, 7))
    + _square(6.0, (1, 3, 5, 12))
    + _square(7.0, (1, 3, 9, 8))
    + _square(8.0, (1, 3, 1, 1), (1, 3, 15, 10))
    + _square(1.5, (1, 3, 1, 1), (2, 3, 33, 27))
    + _square(2.5, (1, 3, 17, 9), (1, 3, 64, 64))
    + _square(3.7, (1, 3, 20, 21))
    + _square(1.3, (1, 3, 10, 10))  # float32 size 13 vs float64 size 12
    + _square(1.2, (1, 3, 4, 4))  # output shape == input shape: ORT returns the input
    + [
        ParityCase(2.0, 3.0, (1, 3, 16, 16)),
        ParityCase(3.0, 2.0, (2, 3, 7, 19)),
        ParityCase(1.5, 4.0, (1, 3, 12, 8)),
        ParityCase(7.77, 1.1, (1, 3, 6, 40)),
    ]
)


@functools.lru_cache(maxsize=16)
def _face(height: int, width: int) -> np.ndarray:
    """The shipped face (3xHxW, 0..255), antialiased down to height x width unless it is that size."""
    import torch

    from sr_model.degrade import downsample
    from sr_model.imageio import read_image
    from sr_model.paths import FACE_IMAGE

    face = read_image(FACE_IMAGE)
    if face.shape[2:] == (height, width):
        return face[0]
    return downsample(torch.from_numpy(face), (height, width)).numpy()[0]


def _face_case(scale_h: float, scale_w: float, size: int) -> ParityCase:
    return ParityCase(scale_h, scale_w, (1, 3, size, size), "face")


# The deployed combination: the face at the demo's cases (shrunk by s, restored by s), non-dyadic
# scales (where the runtimes' coordinate rounding differs) and the full face (the largest input:
# the error grows with size).
FACE_CASES: tuple[ParityCase, ...] = (
    _face_case(2.0, 2.0, 128),
    _face_case(3.0, 3.0, 85),
    _face_case(4.0, 4.0, 64),
    _face_case(2.5, 2.5, 102),
    _face_case(3.7, 3.7, 69),
    _face_case(2.0, 3.0, 85),
    _face_case(2.0, 2.0, 256),
    _face_case(2.5, 2.5, 256),
    _face_case(1.3, 1.3, 256),
)

# A few large noise cases the property tests do not reach (their sides stop at 64).
LARGE_CASES: tuple[ParityCase, ...] = (
    ParityCase(float(np.float32(3.3)), float(np.float32(3.3)), (1, 3, 256, 256)),
    ParityCase(float(np.float32(1.9)), float(np.float32(2.3)), (1, 3, 200, 300)),
    ParityCase(float(np.float32(4.1)), float(np.float32(1.3)), (2, 3, 130, 96)),
)

# `sr-model verify`'s default sweep: fast (~28 cases, a few seconds) yet covering what breaks files:
# 1 (identity), dyadic 1.5/2/2.5/4 (exact float32 products), 3 (the export example: a frozen scale
# passes only there), an anisotropic 2x3, a 1x1 image, an odd non-square size and two larger ones
# where coordinate rounding errors grow.
VERIFY_SCALES: tuple[tuple[float, float], ...] = (
    (1.0, 1.0), (1.5, 1.5), (2.0, 2.0), (2.5, 2.5), (3.0, 3.0), (4.0, 4.0), (2.0, 3.0),
)
VERIFY_SIZES: tuple[tuple[int, int], ...] = ((1, 1), (17, 9), (64, 64), (128, 96))


# Always in verify's default sweep: the points where the contract (ORT's Resize) departs from
# F.interpolate: float32 sizing (10x10 at 1.3: 13 rows, not 12) and the same-shape copy (4x4 at 1.2).
CONTRACT_EDGE_CASES: tuple[ParityCase, ...] = (
    ParityCase(float(np.float32(1.3)), float(np.float32(1.3)), (1, 3, 10, 10)),
    ParityCase(1.2, 1.2, (1, 3, 4, 4)),
)


def verify_cases() -> tuple[ParityCase, ...]:
    """`sr-model verify`'s default cases: the scale x size sweep plus the contract's edge cases."""
    return sweep_cases() + CONTRACT_EDGE_CASES


def sweep_cases(
    scales: tuple[tuple[float, float], ...] | list[tuple[float, float]] = VERIFY_SCALES,
    sizes: tuple[tuple[int, int], ...] | list[tuple[int, int]] = VERIFY_SIZES,
    content: Content = "noise",
) -> tuple[ParityCase, ...]:
    """Every (scale, size) pair as a batch-1 parity case, scales outermost."""
    return tuple(ParityCase(sh, sw, (1, 3, h, w), content) for sh, sw in scales for h, w in sizes)
