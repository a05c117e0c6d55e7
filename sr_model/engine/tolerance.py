"""The tolerance model for PyTorch vs ONNX Runtime, in one place, with the reason for each term.

Why it is size-aware: ORT and aten compute the bicubic source coordinate `(x + 0.5) / s - 0.5` in
float32 with different rounding. The coordinate error is ~2^-23 of the coordinate's magnitude, i.e.
proportional to the INPUT size, and multiplies the local gradient (up to 255 per pixel for noise).
Scales 1, 2, 4 are exact or within 2 ulp; other scales grow with size (shared/FACTS.md section 4).
Why there is no meaningful rtol: outputs cross zero, so a relative bound alone is useless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class _Reference(Protocol):
    """What the policy needs of `sr_model.engine.reference.Reference` (no import: no cycle)."""

    trained: bool
    tolerance_override: "Tolerance | None"

    def output(self, image: np.ndarray, factor: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Tolerance:
    """An elementwise bound `|a - b| <= atol + rtol * |b|`, with the reason it is what it is."""

    atol: float
    rtol: float
    reason: str

    def __str__(self) -> str:
        return f"atol={self.atol:.3g}, rtol={self.rtol:.3g}"


# Random-weight SRCNN (PyTorch default init, seed 0) on 0..255 noise: measured worst |torch-ORT| is
# ~9.3e-4 at 256x256 and ~1e-5..1e-4 below 64x64. The floor covers float32 reassociation inside
# the convolutions (~1e-5 relative on outputs of magnitude ~10); the size term keeps a ~2x margin.
_MODEL_FLOOR = 2e-4
_MODEL_PER_PIXEL = 2e-3 / 256
# Resize alone: 255 * size * 2^-23 is one coordinate ulp times the steepest 0..255 step; x2 margin.
_RESIZE_FLOOR = 1e-3


def model_tolerance(height: int, width: int) -> Tolerance:
    """Tolerance for the full random-weight model on an input of `height` x `width`."""
    size = max(height, width)
    return Tolerance(
        atol=max(_MODEL_FLOOR, _MODEL_PER_PIXEL * size),
        rtol=1e-4,
        reason="random-weight SRCNN: coordinate rounding grows with input size (FACTS 4)",
    )


def resize_tolerance(height: int, width: int) -> Tolerance:
    """Tolerance for the bicubic Resize alone on 0..255 data of `height` x `width`."""
    size = max(height, width)
    return Tolerance(
        atol=max(_RESIZE_FLOOR, 2 * 255 * size * 2.0**-23),
        rtol=0.0,
        reason="Resize alone: one float32 ulp of the source coordinate times a 255 step, x2 margin",
    )


# Trained weights (sr_model/data/srcnn.pth) on natural images (the face, tests/test_parity_face.py). The
# network sharpens, so it amplifies the Resize coordinate-rounding difference ~5-7x more than random
# weights do (random: 9.3e-4 at 256 px, 3.6e-6 per px). Measured worst |torch-ORT|, identical for
# both exporters: non-dyadic scales 1.7e-3 at 85 px (x3), 1.8e-3 at 69 px (x3.7: 2.7e-5 per px, the
# worst ratio), 1.8e-3 at 102 px (x2.5), 4.8e-3 at 256 px (x2.5), 3.9e-3 at 256 px (x1.3); dyadic
# scales (x2, x4) 1.5e-4 at 64..256 px. The per-pixel term gives >= 2.2x margin on every case, the
# floor 6.5x on the dyadic ones. Not valid for noise inputs: the same weights on 0..255 noise give
# up to 4.7e-5 per px (4.0e-3 at 85 px, x3): a 1.3x margin only, so derive a bound for noise.
_TRAINED_FLOOR = 1e-3
_TRAINED_PER_PIXEL = 6e-5


def trained_model_tolerance(height: int, width: int) -> Tolerance:
    """Tolerance for the trained model (sr_model/data/srcnn.pth) on a natural image of `height` x `width`."""
    size = max(height, width)
    return Tolerance(
        atol=max(_TRAINED_FLOOR, _TRAINED_PER_PIXEL * size),
        rtol=1e-4,
        reason="trained SRCNN on natural images: its sharpening amplifies the coordinate rounding",
    )


@dataclass(frozen=True)
class Expectation:
    """What a runtime must produce for one case: the eager output and the bound around it."""

    expected: np.ndarray
    tolerance: Tolerance


def tolerance_for(trained: bool, content: str, height: int, width: int) -> Tolerance:
    """The one place that picks a case's tolerance, keyed by what varies: weights and content."""
    if trained and content == "face":
        return trained_model_tolerance(height, width)
    if not trained and content == "noise":
        return model_tolerance(height, width)
    # Trained weights on noise: measured up to 4.7e-5 per px (see trained_model_tolerance's note).
    return Tolerance(
        atol=max(_TRAINED_FLOOR, 1e-4 * max(height, width)),
        rtol=1e-4,
        reason="trained SRCNN on noise: 4.7e-5 per px measured at 85 px x3; 2.1x margin",
    )


def expect(reference: _Reference, image: np.ndarray, factor: np.ndarray, content: str) -> Expectation:
    """The eager output for one input and its tolerance (or the reference's override)."""
    expected = reference.output(image, factor)
    tolerance = reference.tolerance_override or tolerance_for(reference.trained, content, *image.shape[2:])
    return Expectation(expected, tolerance)


def override_tolerance(atol: float | None, rtol: float | None) -> Tolerance | None:
    """A user's `--atol/--rtol` as a Tolerance that replaces the policy's (None when neither is given)."""
    if atol is None and rtol is None:
        return None
    from sr_model.errors import UsageError

    for name, value in (("atol", atol), ("rtol", rtol)):
        if value is not None and not (value >= 0 and value != float("inf")):
            raise UsageError(f"--{name}={value!r} is not a finite non-negative number; expected e.g. 1e-3")
    return Tolerance(atol or 0.0, rtol or 0.0, "given on the command line (--atol/--rtol)")
