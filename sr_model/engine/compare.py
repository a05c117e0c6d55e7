"""Error statistics between an actual and an expected output, in the spirit of Polygraphy."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sr_model.engine.tolerance import Tolerance


@dataclass(frozen=True)
class Comparison:
    """How far `actual` is from `expected`, and whether it is within a tolerance."""

    shape_actual: tuple[int, ...]
    shape_expected: tuple[int, ...]
    max_abs: float = float("nan")
    mean_abs: float = float("nan")
    p99_abs: float = float("nan")
    argmax: tuple[int, ...] = ()
    # The smallest atol that would pass with the given rtol (0 when everything is exact).
    min_atol: float = float("nan")
    histogram: tuple[tuple[float, int], ...] = field(default_factory=tuple)
    passed: bool = False

    @property
    def shape_ok(self) -> bool:
        return self.shape_actual == self.shape_expected


def compare(actual: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> Comparison:
    """Compare two arrays: shapes first, then values (vectorised; details only on the worst)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return Comparison(tuple(actual.shape), tuple(expected.shape))
    if actual.size == 0:
        return Comparison(actual.shape, expected.shape, 0.0, 0.0, 0.0, (), 0.0, (), True)
    error = np.abs(actual - expected)
    finite = np.isfinite(error)
    error = np.where(finite, error, np.inf)
    excess = error - tolerance.rtol * np.abs(expected)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), error.shape))
    edges = np.array([0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, np.inf])
    counts, _ = np.histogram(np.where(finite, error, 1e300), bins=edges)
    return Comparison(
        shape_actual=tuple(actual.shape),
        shape_expected=tuple(expected.shape),
        max_abs=float(error.max()),
        mean_abs=float(error.mean()),
        p99_abs=float(np.percentile(error, 99)),
        argmax=index,
        min_atol=float(max(0.0, excess.max())),
        histogram=tuple((float(edge), int(count)) for edge, count in zip(edges[1:], counts)),
        passed=bool(finite.all() and (excess <= tolerance.atol).all()),
    )


def format_histogram(comparison: Comparison) -> str:
    """One line: how many elements fall under each error bound."""
    return ", ".join(f"<={edge:.0e}: {count}" for edge, count in comparison.histogram if count)


def parity_message(comparison: Comparison, tolerance: Tolerance, context: str, left: str, right: str) -> str:
    """The failure message for a parity comparison: what, got, expected, where, and the statistics."""
    if not comparison.shape_ok:
        return (
            f"shape {left}={comparison.shape_actual}, but should be {right}={comparison.shape_expected} "
            f"[{context}]"
        )
    return (
        f"max|{left}-{right}|={comparison.max_abs:.3g} > {tolerance} at {comparison.argmax} "
        f"[{context}]; mean={comparison.mean_abs:.3g}, p99={comparison.p99_abs:.3g}, "
        f"min atol that would pass={comparison.min_atol:.3g}; errors {format_histogram(comparison)}"
    )
