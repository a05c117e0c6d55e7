"""The tolerance model for PyTorch vs ONNX Runtime, in one place, with the reason for each term.

Why it is size-aware: ORT and aten compute the bicubic source coordinate `(x + 0.5) / s - 0.5` in
float32 with different rounding. The coordinate error is ~2^-23 of the coordinate's magnitude, i.e.
proportional to the INPUT size, and multiplies the local gradient (up to 255 per pixel for noise).
Scales 1, 2, 4 are exact or within 2 ulp; other scales grow with size (shared/FACTS.md section 4).
Why there is no meaningful rtol: outputs cross zero, so a relative bound alone is useless.
"""

from __future__ import annotations

from dataclasses import dataclass


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
