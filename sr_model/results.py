"""Verification results: per case, per exported file (target), and the whole report.

One schema serves `sr-model verify` (one target) and the pytest conformance report (one target per
exporter and opset). `to_dict()` is the stable, versioned JSON form (`SCHEMA`); add keys freely,
but bump the version when a key changes meaning or disappears.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from sr_model.testing.asserts import parity_message
from sr_model.testing.compare import Comparison
from sr_model.testing.tolerance import Tolerance

SCHEMA = "sr_model.verify/1"

Status = Literal["pass", "fail", "shape-mismatch", "error"]
# Worst first when sorting by badness: a run error hides everything, a wrong shape is worse than
# wrong values.
_STATUS_RANK: dict[str, int] = {"pass": 0, "fail": 1, "shape-mismatch": 2, "error": 3}


def _number(value: float) -> float | None:
    """JSON has no NaN/inf: non-finite statistics are written as null (the status says why)."""
    return value if math.isfinite(value) else None


def _float(value: float | None) -> float:
    return float("nan") if value is None else float(value)


@dataclass(frozen=True)
class CaseResult:
    """One parity case on one exported file: its statistics, tolerance and verdict."""

    target: str
    id: str
    scale_h: float | None  # None when a test's assertion does not say (e.g. a Hypothesis draw)
    scale_w: float | None
    input_shape: tuple[int, ...]  # () when unknown
    tolerance: Tolerance
    comparison: Comparison | None  # None when ONNX Runtime could not run the case
    error: str | None = None
    # From a test run: the pytest outcome (passed/failed/xfailed/...) and the test's node id.
    outcome: str | None = None
    test: str | None = None

    @property
    def status(self) -> Status:
        if self.comparison is None:
            return "error"
        if not self.comparison.shape_ok:
            return "shape-mismatch"
        return "pass" if self.comparison.passed else "fail"

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def excess(self) -> float:
        """max|error| / atol: how many tolerances away the worst element is (nan when undefined)."""
        if self.comparison is None or not self.comparison.shape_ok or self.tolerance.atol <= 0:
            return float("nan")
        return self.comparison.max_abs / self.tolerance.atol

    def badness(self) -> tuple[int, float]:
        """Sort key: larger is worse (status first, then distance from the tolerance, then size)."""
        secondary = self.excess
        if math.isnan(secondary):
            secondary = float(math.prod(self.input_shape))  # among broken cases, prefer a big picture
        return (_STATUS_RANK[self.status], secondary)

    @property
    def message(self) -> str:
        """One line: what went wrong (or the statistics when nothing did)."""
        context = f"{self.target}, {self.id}"
        if self.comparison is None:
            return f"{self.error} [{context}]"
        if self.passed:
            return (
                f"max|ort-torch|={self.comparison.max_abs:.3g} <= {self.tolerance} [{context}]; "
                f"min atol that would pass={self.comparison.min_atol:.3g}"
            )
        return parity_message(self.comparison, self.tolerance, context, "ort", "torch")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (schema `sr_model.verify/1`, one entry of a target's `cases`)."""
        comparison = self.comparison
        return {
            "target": self.target,
            "id": self.id,
            "scale_h": self.scale_h,
            "scale_w": self.scale_w,
            "input_shape": list(self.input_shape),
            "torch_shape": list(comparison.shape_expected) if comparison else None,
            "ort_shape": list(comparison.shape_actual) if comparison else None,
            "status": self.status,
            "passed": self.passed,
            "outcome": self.outcome,
            "test": self.test,
            "max_abs": _number(comparison.max_abs) if comparison else None,
            "mean_abs": _number(comparison.mean_abs) if comparison else None,
            "p99_abs": _number(comparison.p99_abs) if comparison else None,
            "argmax": list(comparison.argmax) if comparison and comparison.shape_ok else None,
            "min_atol": _number(comparison.min_atol) if comparison else None,
            "atol": _number(self.tolerance.atol),
            "rtol": _number(self.tolerance.rtol),
            "tolerance_reason": self.tolerance.reason,
            "histogram": [{"le": edge if math.isfinite(edge) else "inf", "count": count}
                          for edge, count in comparison.histogram] if comparison else [],
            "error": self.error,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        """Rebuild a case from its JSON form (used to merge pytest-xdist workers' records)."""
        comparison = None
        if data.get("torch_shape") is not None:
            comparison = Comparison(
                shape_actual=tuple(data["ort_shape"]),
                shape_expected=tuple(data["torch_shape"]),
                max_abs=_float(data["max_abs"]),
                mean_abs=_float(data["mean_abs"]),
                p99_abs=_float(data["p99_abs"]),
                argmax=tuple(data["argmax"] or ()),
                min_atol=_float(data["min_atol"]),
                histogram=tuple(
                    (float("inf") if entry["le"] == "inf" else float(entry["le"]), int(entry["count"]))
                    for entry in data["histogram"]
                ),
                passed=bool(data["passed"]),
            )
        return cls(
            target=data["target"],
            id=data["id"],
            scale_h=None if data["scale_h"] is None else float(data["scale_h"]),
            scale_w=None if data["scale_w"] is None else float(data["scale_w"]),
            input_shape=tuple(data["input_shape"]),
            tolerance=Tolerance(_float(data["atol"]), _float(data["rtol"]), data["tolerance_reason"]),
            comparison=comparison,
            error=data.get("error"),
            outcome=data.get("outcome"),
            test=data.get("test"),
        )


@dataclass
class TargetResult:
    """Everything checked on one exported file: the graph, then the parity cases."""

    name: str
    model: dict[str, Any] = field(default_factory=dict)  # path, sha256, opset, producer
    graph_problems: tuple[str, ...] = ()
    cases: list[CaseResult] = field(default_factory=list)
    # Findings that explain failures (weights that differ from the reference, a session that
    # would not load, ...). A load error fails the target by itself.
    notes: list[str] = field(default_factory=list)
    load_error: str | None = None
    # From a test run: how many tests ended in each pytest outcome (passed, failed, xfailed, ...).
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def failed_cases(self) -> list[CaseResult]:
        # A strict xfail is a known, documented deviation: listed with its statistics, but it does
        # not fail the target (the suite turns an unexpected pass into a failure instead).
        return [case for case in self.cases if not case.passed and case.outcome != "xfailed"]

    @property
    def passed(self) -> bool:
        return not self.graph_problems and self.load_error is None and bool(self.cases) and not self.failed_cases

    @property
    def worst(self) -> CaseResult | None:
        return max(self.cases, key=CaseResult.badness, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "passed": self.passed,
            "graph": {"ok": not self.graph_problems, "problems": list(self.graph_problems)},
            "load_error": self.load_error,
            "notes": list(self.notes),
            "outcomes": dict(self.outcomes),
            "cases": [case.to_dict() for case in self.cases],
        }


@dataclass
class VerifyReport:
    """The verdict over one or more targets, with the reference it was measured against."""

    targets: list[TargetResult]
    reference: dict[str, Any]  # weights kind, checkpoint path, note
    environment: dict[str, Any]
    # PNG bytes of the worst case ("torch", "ort", "difference") and what they show; not JSON.
    images: dict[str, bytes] = field(default_factory=dict)
    image_notes: dict[str, Any] = field(default_factory=dict)

    @property
    def cases(self) -> list[CaseResult]:
        return [case for target in self.targets for case in target.cases]

    @property
    def passed(self) -> bool:
        return bool(self.targets) and all(target.passed for target in self.targets)

    @property
    def worst(self) -> CaseResult | None:
        return max(self.cases, key=CaseResult.badness, default=None)

    def summary(self) -> dict[str, Any]:
        """Counts and the worst case, as written under `summary` in report.json."""
        cases = self.cases
        worst = self.worst
        statuses = [case.status for case in cases]
        return {
            "passed": self.passed,
            "targets": len(self.targets),
            "targets_passed": sum(target.passed for target in self.targets),
            "graph_problems": sum(len(target.graph_problems) for target in self.targets),
            "cases": len(cases),
            "cases_passed": statuses.count("pass"),
            "cases_failed": statuses.count("fail"),
            "cases_shape_mismatch": statuses.count("shape-mismatch"),
            "cases_error": statuses.count("error"),
            "worst": None if worst is None else {
                "target": worst.target,
                "id": worst.id,
                "status": worst.status,
                "max_abs": _number(worst.comparison.max_abs) if worst.comparison else None,
                "atol": _number(worst.tolerance.atol),
                "min_atol": _number(worst.comparison.min_atol) if worst.comparison else None,
                "message": worst.message,
            },
        }

    def to_dict(self, image_files: dict[str, str] | None = None) -> dict[str, Any]:
        """The JSON document (`schema` = SCHEMA)."""
        return {
            "schema": SCHEMA,
            "passed": self.passed,
            "summary": self.summary(),
            "reference": self.reference,
            "environment": self.environment,
            "targets": [target.to_dict() for target in self.targets],
            "images": {**self.image_notes, "files": image_files or {}},
        }
