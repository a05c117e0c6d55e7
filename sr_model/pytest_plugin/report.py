"""pytest plugin: the conformance matrix in the terminal summary, and `--conformance-report DIR`.

Loaded by the `sr_model` plugin (`sr_model.pytest_plugin`).

How it sees the results without any code in the tests: the assert helpers hand every case result
to `sr_model.testing.recording`; around each `test_parity_*` call this plugin listens, keeps the
test's worst result (attributed to the target the RESULT names, not to a test parameter) and
attaches it to the test report as a user property. A parity test that records nothing is about no
file and has no row. pytest-xdist
forwards user properties to the controller, so the matrix and report.json are complete under
`-n N`. The worst case's images are rendered where its arrays live (each worker renders its own
worst) and travel to the controller through xdist's `workeroutput`; the controller keeps the
overall worst.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sr_model.engine.results import CaseResult, TargetResult, VerifyReport
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
            item.user_properties.append((PROPERTY, {"observations": 0, "cases": [], "model": None,
                                                    "target": _target_param(item)}))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        record = next((value for key, value in item.user_properties if key == PROPERTY), None)
        if record is None:
            return (yield)
        worst: list[recording.Observation] = []

        def listen(observation: recording.Observation) -> None:
            record["observations"] += 1
            if not worst or observation.result.badness() > worst[0].result.badness():
                worst[:] = [observation]

        try:
            with recording.listening(listen):
                return (yield)
        finally:
            if worst:
                (observation,) = worst
                result = dataclasses.replace(observation.result, test=item.nodeid)
                record["cases"] = [result.to_dict()]
                record["model"] = _model_path(item)
                arrays_ok = observation.expected is not None and observation.actual is not None
                if self.report_dir and arrays_ok and (
                        self.local_worst is None or result.badness() > self.local_worst[0].badness()):
                    self.local_worst = (result, observation.expected, observation.actual)

    # --- in the process that reports (controller, or the only process) ------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker or report.when not in ("setup", "call"):
            return
        record = next((value for key, value in report.user_properties if key == PROPERTY), None)
        if record is None:
            return
        if report.when == "call" and not record["cases"] and report.passed:
            return  # a passing parity test that checked no file's result: no row to put it in
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
        """One TargetResult per target named by the recorded results (failures before any result
        are listed under the test's own target parameter)."""
        targets: dict[str, TargetResult] = {}
        for nodeid, (record, outcome, crash) in sorted(self.records.items()):
            name = record["cases"][0]["target"] if record["cases"] else record.get("target")
            if name is None:
                continue  # about no target file (e.g. a pair of files): its outcome is pytest's alone
            target = targets.setdefault(name, TargetResult(name=name))
            if record.get("model") and not target.model:
                target.model = {"path": record["model"]}
            target.outcomes[outcome] = target.outcomes.get(outcome, 0) + 1
            if record["cases"]:
                target.cases += [CaseResult.from_dict({**case, "outcome": outcome}) for case in record["cases"]]
                target.runtime = record["cases"][0].get("runtime", target.runtime)
            elif outcome in ("failed", "error"):
                first_line = (crash or "see its pytest output").strip().splitlines()[0]
                target.cases.append(CaseResult(
                    target.name, nodeid.split("::")[-1], None, None, (), _no_tolerance(), None,
                    error=f"the test failed before any parity comparison: {first_line}",
                    outcome=outcome, test=nodeid,
                ))
        for target in targets.values() if graph_checks else ():
            path = target.model.get("path")
            if path and Path(path).is_file():
                from sr_model.engine.graph import check_graph
                from sr_model.engine.target import load_onnx, load_target

                loaded = load_target(path)
                target.model = loaded.describe()
                opset = loaded.provenance.get("opset")
                target.graph_problems = check_graph(load_onnx(path), int(opset) if opset else None,
                                                    loaded.form).problems
        return [targets[name] for name in sorted(targets, key=_natural)]

    def build_report(self) -> VerifyReport:
        from sr_model.engine.run import environment
        from sr_model.pytest_plugin import _reference

        report = VerifyReport(
            targets=self.build_targets(), reference=_reference(self.config).to_dict(), environment=environment()
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
    from sr_model.engine.tolerance import Tolerance

    return Tolerance(float("nan"), float("nan"), "no comparison was made")


def _model_path(item: pytest.Item) -> str | None:
    """The file a parity test ran on, from its target parameter (None when it has none)."""
    callspec = getattr(item, "callspec", None)
    for value in (callspec.params.values() if callspec is not None else ()):
        path = getattr(value, "path", None)
        spec = getattr(value, "spec", None)
        if path:
            return os.fspath(path)
        if spec is not None and hasattr(item, "funcargs") and "exported" in item.funcargs:
            return os.fspath(item.funcargs["exported"](spec))
    return None


def _target_param(item: pytest.Item) -> str | None:
    """The id of the test's target parameter (a file under test), if it has one."""
    callspec = getattr(item, "callspec", None)
    for value in (callspec.params.values() if callspec is not None else ()):
        if hasattr(value, "spec") and hasattr(value, "runtime"):
            return value.id
    return None
