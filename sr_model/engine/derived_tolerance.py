"""A parity tolerance derived per case from a float64 run of the same eager model: no hand tuning.

Why it works for a model it has never seen: ONNX Runtime and float32 PyTorch compute the same
function with different float32 rounding (the bicubic source coordinate, the convolutions' summation
order). How far float32 PyTorch lands from the exact result (the float64 run of a `.double()` copy)
is the yardstick for how far ORT may land: if ORT is as accurate as torch, the triangle inequality
gives `|ort - f32| <= |ort - f64| + |f64 - f32| ~ 2 * yardstick`. `K` adds margin on top of that 2;
the floor covers cases where float32 is (nearly) exact, e.g. scale 1, 2 or 4 on a tiny image, where
the two runtimes may still differ by a few ulps of the output. No rtol: outputs cross zero, and a
relative term lets error grow unchecked on bright pixels (issue 12: the old trained table's
rtol=1e-4 was the larger term on 60% of the face's pixels), and no measured case needed one.

What no value bound can catch: Resize's `half_pixel` and `pytorch_half_pixel` modes differ only
for an output axis of length 1, which scales >= 1 reach only from a 1-pixel axis (clamped to that
pixel), so that broken exporter gives outputs within ~3e-6 of the correct file; the graph checks
catch it. A 1x1 image resizes to a constant under every kernel, so 1x1 cases catch no kernel bug.

The numbers behind `K` and `FLOOR_ULPS` come from `scripts/measure_tolerance.py` (see the comments).
This module imports no pytest, onnx or onnxruntime.
"""

from __future__ import annotations

import copy
import weakref
from dataclasses import dataclass, replace

import numpy as np
import torch

from sr_model.errors import ReferenceRunError
from sr_model.validation import validate_factor, validate_image

# Measured by scripts/measure_tolerance.py (torch 2.13.0, onnxruntime 1.32.0) on 4 models x 2
# exporters x 2 forms x 39 cases = 624 comparisons. Where the yardstick is >= 8 ulps of max|out|,
# max|ort - f32| / yardstick was at most 1.92 (srcnn-random, noise 17x9 x1.3): the ~2 the triangle
# inequality predicts when ORT is as accurate as float32 torch. K = 4 doubles that.
K = 4.0
# Where float32 is nearly exact (yardstick < 8 ulps: scales 1, 2, 4, tiny images) summation-order
# noise dominates: up to 14.8 ulps of max|out| with a 6.8-ulp yardstick (normalized_sr, noise 17x9
# x3). With this floor the worst of the 624 ratios max|ort - f32| / atol is 0.45 (>= 2.2x margin);
# 16 ulps would give 0.39, 4 ulps 0.56, and K = 2 with 4 ulps 0.90 (too close to call).
FLOOR_ULPS = 8.0
FLOAT32_EPS = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class DerivedBound:
    """The float32 eager output of one case and the bound ORT's output must stay within."""

    expected: np.ndarray  # the float32 eager output (what the runtime is compared with)
    atol: float  # the bound on max|runtime - expected|
    rtol: float  # 0.0 unless a reason for one was measured (none was)
    yardstick: float  # max|float32 eager - float64 eager| for this case
    reason: str  # one line: how atol was derived (formula with the numbers)

    def ratio(self, actual: np.ndarray) -> float:
        """Worst `|actual - expected| / (atol + rtol * |expected|)`: 1.0 is exactly at the bound."""
        actual = np.asarray(actual)
        if actual.shape != self.expected.shape:
            raise ValueError(
                f"actual shape={actual.shape}, but should be {self.expected.shape}: a shape mismatch is "
                "a failure of its own, not a value difference to bound"
            )
        difference = np.abs(actual.astype(np.float64) - self.expected.astype(np.float64))
        allowed = self.atol + self.rtol * np.abs(self.expected.astype(np.float64))
        return float(np.max(difference / allowed)) if difference.size else 0.0

    def passes(self, actual: np.ndarray) -> bool:
        """Whether `actual` has the expected shape and lies within the bound everywhere."""
        return np.asarray(actual).shape == self.expected.shape and self.ratio(actual) <= 1.0


def with_overrides(bound: DerivedBound, atol: float | None = None, rtol: float | None = None) -> DerivedBound:
    """The bound with a user's `--atol`/`--rtol` in place of the derived values (None keeps them)."""
    for name, value in (("atol", atol), ("rtol", rtol)):
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name}={value!r}, but should be a finite number >= 0")
    if atol is None and rtol is None:
        return bound
    return replace(
        bound,
        atol=bound.atol if atol is None else float(atol),
        rtol=bound.rtol if rtol is None else float(rtol),
        reason=f"overridden (atol={atol}, rtol={rtol}); derived: {bound.reason}",
    )


# A case loop pays for the float64 copy once per model, not once per case. Weak keys: the cache
# never keeps a model alive; the key includes the tensors' versions, so that a later in-place weight
# update (load_state_dict, an optimiser step) is not served a stale copy.
_FLOAT64_COPIES: weakref.WeakKeyDictionary[torch.nn.Module, tuple[tuple[tuple[int, int], ...], torch.nn.Module]] = (
    weakref.WeakKeyDictionary()
)


def _float64_copy(model: torch.nn.Module) -> torch.nn.Module:
    key = tuple((id(tensor), tensor._version) for tensor in (*model.parameters(), *model.buffers()))
    cached = _FLOAT64_COPIES.get(model)
    if cached is not None and cached[0] == key:
        return cached[1]
    double = copy.deepcopy(model).double()
    _FLOAT64_COPIES[model] = (key, double)
    return double


def derived_bound(model: torch.nn.Module, image: np.ndarray, factor: np.ndarray) -> DerivedBound:
    """Run `model` in float32 and a float64 copy on one case; bound ORT by their difference."""
    image = validate_image(image)
    validate_factor(factor)
    # The factor stays float32 in both runs: the op sizes its output from it (float32 rule), so
    # the float64 run has the same output shape, and only the arithmetic is exact.
    # On the model's device (a GPU reference runs there; sr_model.device sets TF32 around it).
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    factor_t = torch.as_tensor(np.asarray(factor, dtype=np.float32))
    image_t = torch.as_tensor(image).to(device)
    with torch.no_grad():
        expected = model(image_t, factor_t).cpu().numpy()
        try:
            exact_t = _float64_copy(model).to(device)(image_t.double(), factor_t)
        except (RuntimeError, TypeError) as error:
            raise ReferenceRunError(
                f"the float64 copy of {type(model).__name__} failed ({str(error).splitlines()[0][:200]}); "
                "expected a model that runs after .double(): create constants with the input's dtype, "
                "or pass --atol/--rtol instead of a derived bound"
            ) from error
    if exact_t.dtype != torch.float64 or tuple(exact_t.shape) != expected.shape:
        raise ReferenceRunError(
            f"the float64 copy of {type(model).__name__} returned dtype={exact_t.dtype}, "
            f"shape={tuple(exact_t.shape)}, but should return float64 of shape {expected.shape}; the model "
            "casts or sizes differently in float64: pass --atol/--rtol instead of a derived bound"
        )
    exact_t = exact_t.cpu()
    exact = exact_t.numpy()
    yardstick = float(np.max(np.abs(expected.astype(np.float64) - exact)))
    magnitude = max(float(np.max(np.abs(exact))), 1.0)  # 1.0: a floor even for an all-zero output
    floor = FLOOR_ULPS * FLOAT32_EPS * magnitude
    atol = K * yardstick + floor
    reason = (
        f"atol = {K:g} * yardstick {yardstick:.3g} + {FLOOR_ULPS:g} * eps32 * max|out| {magnitude:.4g} "
        f"= {atol:.3g} (yardstick: max|f32 - f64| of the same eager model)"
    )
    return DerivedBound(expected=expected, atol=atol, rtol=0.0, yardstick=yardstick, reason=reason)
