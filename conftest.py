"""Suite-wide options, Hypothesis profiles and the export-once-per-(exporter, opset) fixtures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest

from sr_model.export import EXPORTERS, export_onnx, exporter_unavailable_reason, supported_opsets
from sr_model.model import random_model
from sr_model.ops import RESIZE_FORMS


class ExportTarget(NamedTuple):
    """One exported file under test: an exporter, opset and resize form, or a user's own file."""

    exporter: str
    opset: int | None
    path: str | None = None  # set for --onnx-model
    form: str = "resize"  # the bicubic's ONNX form: "resize" or "decomposed" (export_onnx(resize=))

    @property
    def id(self) -> str:
        if self.path:
            return "external"
        suffix = "" if self.form == "resize" else f"-{self.form}"
        return f"{self.exporter}-opset{self.opset}{suffix}"


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
        "--form", action="append", choices=RESIZE_FORMS, default=None,
        help="resize form(s) of the bicubic op to test (repeatable; default: both)",
    )
    group.addoption(
        "--onnx-model", default=None, metavar="PATH",
        help="run the graph and parity checks against this exported file instead of exporting",
    )


def _decomposed_default_opsets(supported: tuple[int, ...], exporter: str) -> set[int]:
    """Without --opset, the decomposed form's parity runs at the exporter's first, default and last
    opset only: its builder emits the same nodes (all unchanged since opset 11) at every opset, the
    Resize form's parity already sweeps every opset, and the graph checks still cover all of them."""
    from sr_model.export import default_opset

    return {supported[0], default_opset(exporter), supported[-1]} if supported else set()


def selected_targets(config: pytest.Config, *, parity: bool = False) -> list[ExportTarget]:
    """The (exporter, opset, form) triples this run exports and checks."""
    external = config.getoption("--onnx-model")
    forms = config.getoption("--form") or list(RESIZE_FORMS)
    if external:
        # A user's file is checked as the Resize form unless exactly one --form names it.
        form = forms[0] if len(forms) == 1 else "resize"
        return [ExportTarget("external", None, os.fspath(Path(external).resolve()), form)]
    exporters = config.getoption("--exporter") or list(EXPORTERS)
    opsets = config.getoption("--opset")
    targets = []
    for exporter in exporters:
        supported = supported_opsets(exporter)
        for opset in opsets or supported:
            if opset not in supported:
                continue
            for form in forms:
                if form == "decomposed" and parity and not opsets:
                    if opset not in _decomposed_default_opsets(supported, exporter):
                        continue
                targets.append(ExportTarget(exporter, opset, form=form))
    return targets


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "export_target" in metafunc.fixturenames:
        targets = selected_targets(metafunc.config, parity="parity" in metafunc.function.__name__)
        metafunc.parametrize("export_target", targets, ids=[t.id for t in targets])


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"sr_model targets: {', '.join(t.id for t in selected_targets(config)) or 'none'}"]
    parity_only = set(selected_targets(config)) - set(selected_targets(config, parity=True))
    if parity_only:
        lines.append(
            "sr_model: decomposed-form parity runs at each exporter's first/default/last opset only "
            f"(graph checks at all; --opset overrides); not in parity: "
            f"{', '.join(t.id for t in sorted(parity_only))}"
        )
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
            exporter=export_target.exporter, opset=export_target.opset, resize=export_target.form,
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
