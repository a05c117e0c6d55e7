"""Suite-wide options, Hypothesis profiles and the export-once-per-(exporter, opset) fixtures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, settings

from sr_model.export import (
    EXPORTERS,
    default_opset,
    export_onnx,
    exporter_unavailable_reason,
    supported_opsets,
)
from sr_model.model import DynamicSRCNN, random_model
from sr_model.ops import RESIZE_FORMS

# Profiles: `dev` for quick local runs, `ci` (hypothesis' own ci profile: derandomized, no
# database, plus >= 200 examples) and `thorough`. Export and ORT runs are too uneven for deadlines.
_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=_SUPPRESS)
settings.register_profile(
    "ci", parent=settings.get_profile("ci"), max_examples=200, deadline=None, suppress_health_check=_SUPPRESS
)
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=_SUPPRESS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# --conformance-report DIR and the conformance matrix in the terminal summary.
pytest_plugins = ["sr_model.testing.report_plugin"]


class ExportTarget(NamedTuple):
    """One exported file under test: an exporter and opset, or a user's own file."""

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
    group.addoption(
        "--checkpoint", default=None, metavar="PATH",
        help="weights of the PyTorch reference (default: seeded random weights, seed 0)",
    )
    group.addoption(
        "--update-goldens", action="store_true", default=False,
        help="rewrite fixtures/goldens/*.json from this run's exports (refused when CI is set)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--update-goldens") and os.environ.get("CI"):
        raise pytest.UsageError("--update-goldens is refused in CI: goldens change only on purpose")
    external = config.getoption("--onnx-model")
    if external and not Path(external).is_file():
        raise pytest.UsageError(f"--onnx-model {external!r} does not exist; pass an exported .onnx file")


def _decomposed_default_opsets(supported: tuple[int, ...], exporter: str) -> set[int]:
    """Without --opset, the decomposed form's grid parity runs at the exporter's first, default and
    last opset only: its builder emits the same nodes (all unchanged since opset 11) at every opset,
    the Resize form's parity already sweeps every opset, and the graph checks still cover all."""
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


def property_targets(config: pytest.Config) -> list[ExportTarget]:
    """One target per exporter for the property-based tests: its default opset when selected.

    The graph is the same at every opset (the grid and graph tests prove that per opset), so the
    hundreds of Hypothesis examples are spent on scales and shapes, not repeated per opset.
    """
    chosen: dict[tuple[str, str], ExportTarget] = {}
    for target in selected_targets(config):
        key = (target.exporter, target.form)
        if key not in chosen or target.opset == default_opset(target.exporter):
            chosen[key] = target
    return list(chosen.values())


def unavailable_exporters(config: pytest.Config) -> dict[str, str]:
    """The exporters this run would test but the installed torch cannot run, with the reason."""
    if config.getoption("--onnx-model"):
        return {}
    exporters = config.getoption("--exporter") or list(EXPORTERS)
    return {e: reason for e in exporters if (reason := exporter_unavailable_reason(e)) is not None}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    unavailable = unavailable_exporters(metafunc.config)
    for name, targets in (
        ("export_target", selected_targets(metafunc.config, parity="parity" in metafunc.function.__name__)),
        ("property_target", property_targets(metafunc.config)),
    ):
        if name not in metafunc.fixturenames:
            continue
        # One xdist group per exported file: under `-n 2` (with --dist=loadgroup from the pytest
        # config) each file is exported by one worker only.
        params = [pytest.param(target, id=target.id, marks=pytest.mark.xdist_group(target.id)) for target in targets]
        # An exporter this torch cannot run still gets one skipped case per test, so the summary
        # (-ra) says what was not checked and why instead of its targets silently vanishing.
        params += [
            pytest.param(
                ExportTarget(exporter, None), id=f"{exporter}-unavailable",
                marks=pytest.mark.skip(reason=f"{exporter} exporter unavailable: {reason}"),
            )
            for exporter, reason in unavailable.items()
        ]
        metafunc.parametrize(name, params)


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"sr_model targets: {', '.join(t.id for t in selected_targets(config)) or 'none'}"]
    parity_only = set(selected_targets(config)) - set(selected_targets(config, parity=True))
    if parity_only:
        lines.append(
            "sr_model: decomposed-form grid parity runs at each exporter's first/default/last opset "
            f"only (graph checks at all; --opset overrides); not in the grid: "
            f"{', '.join(t.id for t in sorted(parity_only))}"
        )
    for exporter in EXPORTERS:
        reason = exporter_unavailable_reason(exporter)
        if reason:
            lines.append(f"sr_model: {exporter} exporter unavailable, its targets are not run: {reason}")
    return lines


@pytest.fixture(scope="session")
def reference_model(pytestconfig: pytest.Config) -> DynamicSRCNN:
    """The eager model every exported file is compared with."""
    checkpoint = pytestconfig.getoption("--checkpoint")
    if checkpoint:
        from sr_model.checkpoint import load_checkpoint

        return load_checkpoint(checkpoint, DynamicSRCNN())
    return random_model(seed=0)


@pytest.fixture(scope="session")
def _export_cache() -> dict[str, Path]:
    return {}


@pytest.fixture(scope="session")
def exported(_export_cache: dict[str, Path], reference_model: DynamicSRCNN,
             tmp_path_factory: pytest.TempPathFactory):
    """`exported(target) -> Path`: the file for a target, exported once per session (per worker)."""

    def get(target: ExportTarget) -> Path:
        if target.path:
            return Path(target.path)
        if target.id not in _export_cache:
            folder = tmp_path_factory.mktemp("exports", numbered=True)
            _export_cache[target.id] = export_onnx(
                folder / f"{target.id}.onnx", reference_model, exporter=target.exporter,
                opset=target.opset, resize=target.form,
            )
        return _export_cache[target.id]

    return get


@pytest.fixture
def onnx_path(export_target: ExportTarget, exported) -> Path:
    """The file under test for this (exporter, opset) target."""
    return exported(export_target)


@pytest.fixture(scope="session")
def _session_cache() -> dict:
    return {}


@pytest.fixture(scope="session")
def session_for(_session_cache: dict):
    """`session_for(path) -> InferenceSession`, one per file per session."""
    from sr_model.runtime import create_session

    def get(path: Path):
        key = os.fspath(path)
        if key not in _session_cache:
            _session_cache[key] = create_session(path)
        return _session_cache[key]

    return get


@pytest.fixture
def ort_session(onnx_path: Path, session_for):
    """An ONNX Runtime session on the file under test."""
    return session_for(onnx_path)


@pytest.fixture(scope="session")
def upsample_only(exported, _session_cache: dict):
    """`upsample_only(target) -> (model, session)`: the file's upsampling alone, built once per target."""
    from sr_model.runtime import create_session
    from sr_model.testing.oracle import resize_subgraph

    def get(target: ExportTarget):
        key = ("upsample", target.id)
        if key not in _session_cache:
            import onnx

            subgraph = resize_subgraph(onnx.load(exported(target)))
            _session_cache[key] = (subgraph, create_session(subgraph.SerializeToString()))
        return _session_cache[key]

    return get
