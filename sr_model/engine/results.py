"""Verification results: per case, per exported file (target), and the whole report.

One schema serves `sr-model verify` (one target) and the pytest conformance report (one target per
exporter and opset). `to_dict()` is the stable, versioned JSON form (`SCHEMA`); add keys freely,
but bump the version when a key changes meaning or disappears.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from sr_model.engine.compare import Comparison, parity_message
from sr_model.engine.tolerance import Tolerance

# 2: `deviation` status and fields, `runtime`, target `form`/`mismatch`/`skipped`.
SCHEMA = "sr_model.verify/2"

Status = Literal["pass", "deviation", "fail", "shape-mismatch", "error"]
# Worst first when sorting by badness: a run error hides everything, a wrong shape is worse than
# wrong values, and a declared deviation is as good as a pass.
_STATUS_RANK: dict[str, int] = {"pass": 0, "deviation": 0, "fail": 1, "shape-mismatch": 2, "error": 3}


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
    # From a test run: the pytest outcome (passed/failed/...) and the test's node id.
    outcome: str | None = None
    test: str | None = None
    runtime: str = "onnxruntime"
    # A declared deviation covering this case (sr_model.engine.deviations), and None when the
    # observation is exactly the declared mismatch, else why it is not.
    deviation: str | None = None
    deviation_problem: str | None = None
    # On a failing case: the first graph node whose output parts from the eager model (one line),
    # and the folder a repro was written to.
    localisation: str | None = None
    repro: str | None = None

    @property
    def status(self) -> Status:
        if self.comparison is None:
            return "error"
        if self.deviation is not None:
            return "deviation" if self.deviation_problem is None else "fail"
        if not self.comparison.shape_ok:
            return "shape-mismatch"
        return "pass" if self.comparison.passed else "fail"

    @property
    def passed(self) -> bool:
        return self.status in ("pass", "deviation")

    @property
    def excess(self) -> float:
        """The smallest atol that would pass (with this rtol) over atol: <= 1 exactly when the values
        conform, so a passing case never reads as a failure (nan when undefined)."""
        if self.comparison is None or not self.comparison.shape_ok or self.tolerance.atol <= 0:
            return float("nan")
        return self.comparison.min_atol / self.tolerance.atol

    def badness(self) -> tuple[int, float]:
        """Sort key: larger is worse (status first, then distance from the tolerance, then size)."""
        if self.status == "deviation":
            return (-1, 0.0)  # declared and exactly as declared: never the worst case
        secondary = self.excess
        if math.isnan(secondary):
            secondary = float(math.prod(self.input_shape))  # among broken cases, prefer a big picture
        return (_STATUS_RANK[self.status], secondary)

    @property
    def message(self) -> str:
        """What went wrong in one line (or the statistics when nothing did); on a failure, one more
        line each for the first node to part and the repro folder, when known."""
        context = f"{self.target}, {self.id}"
        if self.comparison is None:
            return f"{self.error} [{context}]"
        if self.deviation is not None:
            return f"{self.deviation_problem or 'declared deviation ' + self.deviation + ' (as declared)'} [{context}]"
        if self.passed:
            return (
                f"max|ort-torch|={self.comparison.max_abs:.3g} <= {self.tolerance} [{context}]; "
                f"min atol that would pass={self.comparison.min_atol:.3g}"
            )
        message = parity_message(self.comparison, self.tolerance, context, "ort", "torch")
        if self.localisation:
            message += f"\n  {self.localisation}"
        if self.repro:
            message += f"\n  repro: {self.repro}"
        return message

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (schema `sr_model.verify/2`, one entry of a target's `cases`)."""
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
            "runtime": self.runtime,
            "deviation": self.deviation,
            "deviation_problem": self.deviation_problem,
            "localisation": self.localisation,
            "repro": self.repro,
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
            runtime=data.get("runtime", "onnxruntime"),
            deviation=data.get("deviation"),
            deviation_problem=data.get("deviation_problem"),
            localisation=data.get("localisation"),
            repro=data.get("repro"),
        )


@dataclass
class TargetResult:
    """Everything checked on one exported file: the graph, then the parity cases."""

    name: str
    model: dict[str, Any] = field(default_factory=dict)  # path, sha256, opset, producer, form, provenance
    runtime: str = "onnxruntime"
    graph_problems: tuple[str, ...] = ()
    cases: list[CaseResult] = field(default_factory=list)
    # Findings that explain failures (weights that differ from the reference, a session that
    # would not load, ...). A load error fails the target by itself.
    notes: list[str] = field(default_factory=list)
    load_error: str | None = None
    # The file was exported from other weights than the reference: said once, no case is run.
    mismatch: str | None = None
    # Why this stack does not run the target at all (e.g. the runtime cannot load its opset).
    skipped: str | None = None
    # From a test run: how many tests ended in each pytest outcome (passed, failed, ...).
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def failed_cases(self) -> list[CaseResult]:
        return [case for case in self.cases if not case.passed]

    @property
    def passed(self) -> bool:
        if self.skipped is not None:
            return True
        return (not self.graph_problems and self.load_error is None and self.mismatch is None
                and bool(self.cases) and not self.failed_cases)

    @property
    def worst(self) -> CaseResult | None:
        return max(self.cases, key=CaseResult.badness, default=None)

    def failure_lines(self) -> list[str]:
        """Every reason this target fails, one line each (empty when it conforms)."""
        lines = [f"graph: {problem}" for problem in self.graph_problems]
        lines += [f"weights: {self.mismatch}"] if self.mismatch else []
        lines += [f"load: {self.load_error}"] if self.load_error else []
        lines += [case.message for case in self.failed_cases]
        if not lines and not self.cases and self.skipped is None:
            lines.append("no case was run")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "passed": self.passed,
            "graph": {"ok": not self.graph_problems, "problems": list(self.graph_problems)},
            "runtime": self.runtime,
            "load_error": self.load_error,
            "mismatch": self.mismatch,
            "skipped": self.skipped,
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
    # The worst case with its arrays (expected, actual), for whoever renders the pictures.
    worst_arrays: tuple[CaseResult, Any, Any] | None = field(default=None, repr=False)
    image_notes: dict[str, Any] = field(default_factory=dict)

    @property
    def cases(self) -> list[CaseResult]:
        return [case for target in self.targets for case in target.cases]

    @property
    def passed(self) -> bool:
        run = [target for target in self.targets if target.skipped is None]
        return bool(run) and all(target.passed for target in run)

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
            "targets_skipped": sum(target.skipped is not None for target in self.targets),
            "cases_passed": statuses.count("pass") + statuses.count("deviation"),
            "cases_deviation": statuses.count("deviation"),
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
