"""The named parity grid: small discrete cases with identifier-safe ids."""

from __future__ import annotations

import zlib
from typing import NamedTuple

import numpy as np


def _fmt(scale: float) -> str:
    return f"{scale:g}"


class ParityCase(NamedTuple):
    """One parity point: scales (height, width) and an NCHW input shape."""

    scale_h: float
    scale_w: float
    shape: tuple[int, int, int, int]

    @property
    def id(self) -> str:
        scales = _fmt(self.scale_h) if self.scale_h == self.scale_w else f"{_fmt(self.scale_h)}x{_fmt(self.scale_w)}"
        return f"x{scales}-{'x'.join(map(str, self.shape))}"

    def image(self) -> np.ndarray:
        """Seeded uniform noise in 0..255 (the worst case for bicubic rounding: maximal contrast)."""
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
