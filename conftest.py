"""Suite-wide options, Hypothesis profiles and the export-once-per-(exporter, opset) fixtures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest

from sr_model.export import EXPORTERS, export_onnx, exporter_unavailable_reason, supported_opsets
from sr_model.model import random_model


class ExportTarget(NamedTuple):
    """One exported file under test: an exporter and opset, or a user's own file."""

    exporter: str
    opset: int | None
    path: str | None = None  # set for --onnx-model

    @property
    def id(self) -> str:
        return "external" if self.path else f"{self.exporter}-opset{self.opset}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sr_model", "sr_model conformance suite")
    group.addoption(
        "--exporter", action="append", choices=EXPORTERS, default=None,
        help="exporter(s) to test (repeatable; default: every available one)",
    )
    group.addoption(
        "--opset", action="append", type=int, default=None,
        help="opset(s) to test (repeatable; default: every opset the exporter supports)",
    )
    group.addoption(
        "--onnx-model", default=None, metavar="PATH",
        help="run the graph and parity checks against this exported file instead of exporting",
    )


def selected_targets(config: pytest.Config) -> list[ExportTarget]:
    """The (exporter, opset) pairs this run exports and checks."""
    external = config.getoption("--onnx-model")
    if external:
        return [ExportTarget("external", None, os.fspath(Path(external).resolve()))]
    exporters = config.getoption("--exporter") or list(EXPORTERS)
    opsets = config.getoption("--opset")
    targets = []
    for exporter in exporters:
        supported = supported_opsets(exporter)
        for opset in opsets or supported:
            if opset in supported:
                targets.append(ExportTarget(exporter, opset))
    return targets


def unavailable_exporters(config: pytest.Config) -> dict[str, str]:
    """The exporters this run would test but the installed torch cannot run, with the reason."""
    if config.getoption("--onnx-model"):
        return {}
    exporters = config.getoption("--exporter") or list(EXPORTERS)
    return {e: reason for e in exporters if (reason := exporter_unavailable_reason(e)) is not None}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "export_target" in metafunc.fixturenames:
        targets = selected_targets(metafunc.config)
        params = [pytest.param(target, id=target.id) for target in targets]
        # An exporter this torch cannot run still gets one skipped case per test, so the summary
        # (-ra) says what was not checked and why instead of its targets silently vanishing.
        params += [
            pytest.param(
                ExportTarget(exporter, None), id=f"{exporter}-unavailable",
                marks=pytest.mark.skip(reason=f"{exporter} exporter unavailable: {reason}"),
            )
            for exporter, reason in unavailable_exporters(metafunc.config).items()
        ]
        metafunc.parametrize("export_target", params)


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"sr_model targets: {', '.join(t.id for t in selected_targets(config)) or 'none'}"]
    for exporter in EXPORTERS:
        reason = exporter_unavailable_reason(exporter)
        if reason:
            lines.append(f"sr_model: {exporter} exporter unavailable: {reason}")
    return lines


@pytest.fixture(scope="session")
def reference_model():
    """The eager model every exported file is compared with (seeded random weights)."""
    return random_model(seed=0)


@pytest.fixture(scope="session")
def _export_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


@pytest.fixture
def onnx_path(export_target: ExportTarget, _export_cache: dict[str, Path], reference_model,
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file under test for this target, exported once per session (per xdist worker)."""
    if export_target.path:
        return Path(export_target.path)
    if export_target.id not in _export_cache:
        folder = tmp_path_factory.mktemp("exports", numbered=True)
        _export_cache[export_target.id] = export_onnx(
            folder / f"{export_target.id}.onnx", reference_model,
            exporter=export_target.exporter, opset=export_target.opset,
        )
    return _export_cache[export_target.id]


@pytest.fixture(scope="session")
def _session_cache() -> dict:
    return {}


@pytest.fixture
def ort_session(onnx_path: Path, _session_cache: dict):
    """An ONNX Runtime session on the file under test (one per file per session)."""
    from sr_model.runtime import create_session

    key = os.fspath(onnx_path)
    if key not in _session_cache:
        _session_cache[key] = create_session(onnx_path)
    return _session_cache[key]
