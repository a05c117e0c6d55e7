"""pytest plugin: the conformance matrix in the terminal summary, and `--conformance-report DIR`.

Load it from conftest.py with `pytest_plugins = ["sr_model.testing.report_plugin"]`.

How it sees the results without any code in the tests: `assert_parity` hands every comparison to
`sr_model.testing.recording`; around each `test_parity_*` call this plugin listens, keeps the
test's worst comparison and attaches it to the test report as a user property. pytest-xdist
forwards user properties to the controller, so the matrix and report.json are complete under
`-n N`. The worst case's images are rendered where its arrays live (each worker renders its own
worst) and travel to the controller through xdist's `workeroutput`; the controller keeps the
overall worst.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sr_model.results import CaseResult, TargetResult, VerifyReport
from sr_model.testing import recording

PROPERTY = "sr_model.parity"
_WORKER_OUTPUT_KEY = "sr_model_worst"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sr_model", "sr_model conformance suite")
    group.addoption(
        "--conformance-report", default=None, metavar="DIR",
        help="write report.md, report.json and the worst case's PNGs for every parity test to DIR",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ConformanceRecorder(config), "sr_model_conformance_recorder")


def _is_parity(item: pytest.Item) -> bool:
    return getattr(item, "originalname", item.name).startswith("test_parity")


def _params(item: pytest.Item) -> dict[str, Any]:
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params) if callspec is not None else {}


def _case_param(item: pytest.Item) -> Any:
    """The test's parity case parameter (anything with scale_h, scale_w, shape and id), if any."""
    for value in _params(item).values():
        if all(hasattr(value, name) for name in ("scale_h", "scale_w", "shape", "id")):
            return value
    return None


def _target_name(item: pytest.Item) -> str:
    target = _params(item).get("export_target")
    return str(getattr(target, "id", target)) if target is not None else "other"


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


class ConformanceRecorder:
    """Collects parity results on workers and renders them on the controller (or both, alone)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.report_dir: str | None = config.getoption("--conformance-report")
        self.is_worker = hasattr(config, "workerinput")
        # nodeid -> (record, outcome, the failure's one-line message if any)
        self.records: dict[str, tuple[dict[str, Any], str, str | None]] = {}
        # This process's worst observation with its arrays (only kept when a report is asked for).
        self.local_worst: tuple[CaseResult, np.ndarray, np.ndarray] | None = None
        self.worsts: list[dict[str, Any]] = []  # rendered worst cases from this process and workers
        self.written: list[Path] = []

    # --- in the process that runs the test ---------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if _is_parity(item):
            target = _params(item).get("export_target")
            case = _case_param(item)
            record = {"target": _target_name(item), "opset": getattr(target, "opset", None),
                      "case": None if case is None else [case.id, case.scale_h, case.scale_w, list(case.shape)],
                      "model": None, "observations": 0, "cases": []}
            item.user_properties.append((PROPERTY, record))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        record = next((value for key, value in item.user_properties if key == PROPERTY), None)
        if record is None:
            return (yield)
        worst: list[tuple[CaseResult, recording.ParityObservation]] = []
        case_param = _case_param(item)

        def listen(observation: recording.ParityObservation) -> None:
            record["observations"] += 1
            result = self._case_result(item, record["target"], case_param, observation)
            if not worst or result.badness() > worst[0][0].badness():
                worst[:] = [(result, observation)]

        try:
            with recording.listening(listen):
                return (yield)
        finally:
            model = item.funcargs.get("onnx_path") if hasattr(item, "funcargs") else None
            record["model"] = os.fspath(model) if model is not None else None
            if worst:
                result, observation = worst[0]
                record["cases"] = [result.to_dict()]
                if self.report_dir and (self.local_worst is None or result.badness() > self.local_worst[0].badness()):
                    self.local_worst = (result, observation.expected, observation.actual)

    @staticmethod
    def _case_result(item: pytest.Item, target: str, case: Any, observation: recording.ParityObservation) -> CaseResult:
        if case is not None:
            case_id, scale_h, scale_w, shape = case.id, case.scale_h, case.scale_w, tuple(case.shape)
        else:
            case_id, scale_h, scale_w, shape = f"{item.name}: {observation.context}", None, None, ()
        return CaseResult(target, case_id, scale_h, scale_w, shape, observation.tolerance,
                          observation.comparison, test=item.nodeid)

    # --- in the process that reports (controller, or the only process) ------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker or report.when not in ("setup", "call"):
            return
        record = next((value for key, value in report.user_properties if key == PROPERTY), None)
        if record is None:
            return
        if report.when == "setup":
            if report.passed:
                return
            outcome = "skipped" if report.skipped else "error"
        elif hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        else:
            outcome = report.outcome
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        self.records[report.nodeid] = (record, outcome, getattr(crash, "message", None))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT_KEY)
        if data:
            self.worsts.append(data)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.local_worst is not None:
            from sr_model.report import worst_case_images

            case, expected, actual = self.local_worst
            images, notes = worst_case_images(case, expected, actual)
            rendered = {"case": case.to_dict(), "images": images, "notes": notes}
            if self.is_worker:
                self.config.workeroutput[_WORKER_OUTPUT_KEY] = rendered  # type: ignore[attr-defined]
                return
            self.worsts.append(rendered)
        if self.is_worker or not self.report_dir or not self.records:
            return
        from sr_model.report import write_report

        self.written = write_report(self.build_report(), self.report_dir)

    def build_targets(self, *, graph_checks: bool = True) -> list[TargetResult]:
        """One TargetResult per exporter-opset, from the records of every parity test."""
        targets: dict[str, TargetResult] = {}
        opsets: dict[str, int | None] = {}
        for nodeid, (record, outcome, crash) in sorted(self.records.items()):
            target = targets.setdefault(record["target"], TargetResult(name=record["target"]))
            opsets[target.name] = record.get("opset")
            if record.get("model") and not target.model:
                target.model = {"path": record["model"], "opset": record.get("opset")}
            target.outcomes[outcome] = target.outcomes.get(outcome, 0) + 1
            if record["cases"]:
                target.cases += [CaseResult.from_dict({**case, "outcome": outcome}) for case in record["cases"]]
            elif outcome in ("failed", "error"):
                case_id, scale_h, scale_w, shape = record["case"] or (nodeid.split("::")[-1], None, None, ())
                first_line = (crash or "see its pytest output").strip().splitlines()[0]
                target.cases.append(CaseResult(
                    target.name, case_id, scale_h, scale_w, tuple(shape), _no_tolerance(), None,
                    error=f"the test failed before any parity comparison: {first_line}",
                    outcome=outcome, test=nodeid,
                ))
        for target in targets.values() if graph_checks else ():
            path = target.model.get("path")
            if path and Path(path).is_file():
                target.model = _model_details(Path(path))
                target.graph_problems = _graph_problems(path, opsets[target.name])
        return [targets[name] for name in sorted(targets, key=_natural)]

    def build_report(self) -> VerifyReport:
        from sr_model.verify import environment

        report = VerifyReport(
            targets=self.build_targets(),
            reference={"weights": "the suite's reference_model fixture (conftest.py)", "checkpoint": None,
                       "note": "the pytest suite's reference model (see conftest.py: reference_model)"},
            environment=environment(),
        )
        if self.worsts:
            # Sorted first so that ties (identical outputs on several targets) resolve the same way
            # whatever order xdist workers finished in: max() keeps the first of equals.
            ordered = sorted(self.worsts, key=lambda data: (_natural(data["case"]["target"]), data["case"]["id"]))
            worst = max(ordered, key=lambda data: CaseResult.from_dict(data["case"]).badness())
            report.images, report.image_notes = dict(worst["images"]), dict(worst["notes"])
        return report

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or not self.records:
            return
        from sr_model.report import matrix_text

        terminalreporter.write_sep("=", "sr_model conformance matrix (parity tests)")
        terminalreporter.write_line(matrix_text(self.build_targets(graph_checks=False)))
        if self.written:
            terminalreporter.write_line(f"conformance report: {Path(self.report_dir or '.') / 'report.md'}")


def _no_tolerance():
    from sr_model.testing.tolerance import Tolerance

    return Tolerance(float("nan"), float("nan"), "no comparison was made")


def _model_details(path: Path) -> dict[str, Any]:
    from sr_model.verify import load_onnx, model_info

    return model_info(path, load_onnx(path))


def _graph_problems(path: str, opset: int | None) -> tuple[str, ...]:
    """The graph checks on a target's exported file (cheap; makes the report match `sr-model verify`)."""
    import onnx

    from sr_model.testing.contract import check_graph

    return check_graph(onnx.load(path), opset).problems
