"""Declared deviations: where a party cannot agree with the contract, and by exactly how much.

One table. Each row names the case it covers, who disagrees, the measured figure and the reason. A
declared deviation passes ONLY for the mismatch it declares: `Deviation.unexplained()` returns why an
observation is not that mismatch (another shape, a figure outside the declared band, or no mismatch at
all: then the deviation is gone and the row must go too), and every entry point fails on that.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sr_model.engine.compare import Comparison
from sr_model.sizes import output_size


@dataclass(frozen=True)
class Deviation:
    """One declared mismatch between a party and the contract."""

    id: str
    who: str  # the party that deviates, against whom
    reason: str
    measured: str  # the measured figure, for people
    # Where it applies: a predicate on (scale_h, scale_w, input H, input W), and the form/runtime.
    applies_to: Callable[[float, float, int, int], bool]
    form: str | None = None  # None: both forms
    runtime: str | None = None  # None: not a runtime's deviation (an oracle or an eager model)
    # What the deviating side produces: its output (H, W) for a shape deviation, or a band of
    # max|difference| for a value deviation.
    shape_rule: Callable[[float, float, int, int], tuple[int, int]] | None = None
    max_abs_band: tuple[float, float] | None = None
    # For a value deviation that follows a rule: the scales the deviating side effectively uses.
    # The engine computes the eager model at those scales and holds the side to that, within the
    # same derived tolerance (`unexplained_by_rule`).
    scales_rule: Callable[[float, float, int, int], tuple[float, float]] | None = None

    def applies(self, scale_h: float, scale_w: float, height: int, width: int, *, form: str | None = None,
                runtime: str | None = None) -> bool:
        """Whether this row covers the case on this form and runtime."""
        if self.form is not None and form != self.form:
            return False
        if self.runtime is not None and runtime != self.runtime:
            return False
        return self.applies_to(scale_h, scale_w, height, width)

    def unexplained(self, comparison: Comparison, scale_h: float, scale_w: float, height: int, width: int) -> str | None:
        """None when `comparison` shows exactly the declared mismatch, else what differs from it."""
        if self.shape_rule is not None:
            declared = self.shape_rule(scale_h, scale_w, height, width)
            got = tuple(comparison.shape_actual[2:])
            if got != declared:
                return f"declared deviation {self.id}: output H, W={got}, but the declaration says {declared}"
            if comparison.shape_ok:
                return f"declared deviation {self.id}: no shape mismatch any more ({self.measured}); remove the row"
            return None
        if self.max_abs_band is not None:
            low, high = self.max_abs_band
            if not comparison.shape_ok:
                return (f"declared deviation {self.id}: shape {comparison.shape_actual} vs "
                        f"{comparison.shape_expected}, but it declares a value difference only")
            if not low <= comparison.max_abs <= high:
                return (f"declared deviation {self.id}: max|diff|={comparison.max_abs:.3g}, but it declares "
                        f"{low:g}..{high:g} ({self.measured})")
            return None
        return f"declared deviation {self.id} states neither a shape rule nor a value band"

    def verdict(self, comparison: Comparison, scale_h: float, scale_w: float, height: int, width: int,
                compare_at: Callable[[float, float], Comparison]) -> str | None:
        """None when `comparison` (output vs the contract) is exactly this declaration; else why not.

        `compare_at(sh, sw)` compares the same output with the reference at other scales: the
        yardstick of a `scales_rule` row."""
        if self.scales_rule is not None:
            rule = compare_at(*self.scales_rule(scale_h, scale_w, height, width))
            return self.unexplained_by_rule(comparison, rule)
        return self.unexplained(comparison, scale_h, scale_w, height, width)

    def unexplained_by_rule(self, contract: Comparison, rule: Comparison) -> str | None:
        """For a `scales_rule` row: None when the output leaves the contract AND follows the rule."""
        if contract.passed:
            return f"declared deviation {self.id}: the output follows the contract now ({self.measured}); remove the row"
        if not rule.passed:
            return (f"declared deviation {self.id}: max|output - the declared rule|={rule.max_abs:.3g} > its tolerance: "
                    f"the output is neither the contract nor the declared rule ({self.reason})")
        return None


def _float64_size(height: int, width: int, scale_h: float, scale_w: float) -> tuple[int, int]:
    return math.floor(height * scale_h), math.floor(width * scale_w)


def _float32_size(height: int, width: int, scale_h: float, scale_w: float) -> tuple[int, int]:
    return output_size(height, scale_h), output_size(width, scale_w)


def _sizes_differ(scale_h: float, scale_w: float, height: int, width: int) -> bool:
    return _float64_size(height, width, scale_h, scale_w) != _float32_size(height, width, scale_h, scale_w)


def _same_shape_shortcut(scale_h: float, scale_w: float, height: int, width: int) -> bool:
    return (_float32_size(height, width, scale_h, scale_w) == (height, width)
            and (scale_h, scale_w) != (1.0, 1.0) and not _sizes_differ(scale_h, scale_w, height, width))


def _float64_rule(scale_h: float, scale_w: float, height: int, width: int) -> tuple[int, int]:
    return _float64_size(height, width, scale_h, scale_w)


ONNX_REFERENCE_FLOAT64_SIZE = Deviation(
    id="onnx-reference-float64-size",
    who="onnx.reference.ReferenceEvaluator's Resize vs ORT and the eager op",
    reason="the reference sizes a Resize output in float64 (floor(H * s) in double); ORT and the "
           "contract multiply in float32",
    measured="10x10 at float32(1.3): 12 rows (float64: 12.99999952) vs 13",
    applies_to=_sizes_differ, form="resize", shape_rule=_float64_rule,
)
ONNX_REFERENCE_NO_SHORTCUT = Deviation(
    id="onnx-reference-no-same-shape-shortcut",
    who="onnx.reference.ReferenceEvaluator's Resize vs ORT and the eager op",
    reason="when the output shape equals the input shape, ORT returns the input unchanged; the "
           "reference resamples",
    measured="4x4 at 1.2 on 0..255 noise: max|ORT-reference| 36.5 on the resize alone",
    applies_to=_same_shape_shortcut, form="resize", max_abs_band=(1e-3, 255.0),
)
STATIC_INTERPOLATE_SIZE = Deviation(
    id="static-interpolate-size-rounding",
    who="the tutorial's static SRCNN (F.interpolate) vs the contract",
    reason="F.interpolate sizes 30 x 4.1 in float64 (122.99999 -> 122); ORT multiplies "
           "float32(30) * float32(4.1) = 123.0 -> 123",
    measured="30x30 at 4.1: 122 vs 123 rows",
    applies_to=lambda sh, sw, h, w: (sh, sw, h, w) == (4.1, 4.1, 30, 30),
    shape_rule=_float64_rule,
)
STATIC_INTERPOLATE_SAME_SHAPE = Deviation(
    id="static-interpolate-same-shape",
    who="the tutorial's static SRCNN (F.interpolate) vs the contract",
    reason="at 4x4 x1.2 the output shape equals the input shape: ORT returns the input unchanged, "
           "F.interpolate resamples",
    measured="seed-0 random weights on the case's noise: max|static-contract| 3.8 after the convolutions",
    applies_to=lambda sh, sw, h, w: (sh, sw, h, w) == (1.2, 1.2, 4, 4),
    max_abs_band=(3.0, 4.6),
)

def _openvino_size(scale_h: float, scale_w: float, height: int, width: int) -> tuple[int, int]:
    from sr_model.runtimes.openvino_cpu import resize_output_size

    return resize_output_size(height, scale_h), resize_output_size(width, scale_w)


def _openvino_size_differs(scale_h: float, scale_w: float, height: int, width: int) -> bool:
    return _openvino_size(scale_h, scale_w, height, width) != _float32_size(height, width, scale_h, scale_w)


OPENVINO_RESIZE_SIZE = Deviation(
    id="openvino-resize-size",
    who="OpenVINO (CPU) Resize vs the contract (ORT and the eager op)",
    reason="OpenVINO adds 1e-6 to the scale before flooring the output size; the decomposed form "
           "computes the size in-graph and follows the contract",
    measured="2026.4.1: 30x30 at 2.1 gives 63 rows (contract 62), 15x15 at 4.2 gives 63 (62); 10 of 704 "
             "points n=1..64 x 11 scales differ, all as the rule says",
    applies_to=_openvino_size_differs, form="resize", runtime="openvino", shape_rule=_openvino_size,
)

def _unchanged_axes_scale_one(scale_h: float, scale_w: float, height: int, width: int) -> tuple[float, float]:
    out_h, out_w = _float32_size(height, width, scale_h, scale_w)
    return (1.0 if out_h == height else scale_h), (1.0 if out_w == width else scale_w)


def _one_axis_keeps_its_length(scale_h: float, scale_w: float, height: int, width: int) -> bool:
    effective = _unchanged_axes_scale_one(scale_h, scale_w, height, width)
    out = _float32_size(height, width, scale_h, scale_w)
    # When NO axis changes, the contract returns the input unchanged, as OpenVINO does.
    return effective != (scale_h, scale_w) and out != (height, width) and not _openvino_size_differs(
        scale_h, scale_w, height, width)


OPENVINO_UNCHANGED_AXIS = Deviation(
    id="openvino-resize-unchanged-axis",
    who="OpenVINO (CPU) Resize vs the contract (ORT and the eager op)",
    reason="an axis whose length does not change is copied, not resampled at its scale: OpenVINO maps "
           "coordinates by the length ratio (1) there; the ONNX Resize spec and ORT use the scale",
    measured="2026.4.1, Resize alone on noise: 8x8 at 2x1.1 -> max|OpenVINO-ORT| 168, and within 3e-5 of the "
             "eager op at 2x1; 9x20 at 1.05x3: 95.9 (rule: 5.5e-4); found by the property test at 1x2, 2x1.1",
    applies_to=_one_axis_keeps_its_length, form="resize", runtime="openvino",
    scales_rule=_unchanged_axes_scale_one,
)

DEVIATIONS: tuple[Deviation, ...] = (
    OPENVINO_RESIZE_SIZE,
    OPENVINO_UNCHANGED_AXIS,
    ONNX_REFERENCE_FLOAT64_SIZE,
    ONNX_REFERENCE_NO_SHORTCUT,
    STATIC_INTERPOLATE_SIZE,
    STATIC_INTERPOLATE_SAME_SHAPE,
)


def runtime_deviation(runtime: str, form: str | None, scale_h: float, scale_w: float, height: int,
                      width: int) -> Deviation | None:
    """The declared deviation of `runtime` covering this case, if any."""
    for deviation in DEVIATIONS:
        if deviation.runtime is not None and deviation.applies(scale_h, scale_w, height, width, form=form,
                                                               runtime=runtime):
            return deviation
    return None
