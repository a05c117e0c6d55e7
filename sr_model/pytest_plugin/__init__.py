"""The sr_model pytest plugin: conformance tests on exported files, from any directory.

Installed with the package (entry point `pytest11: sr_model`), so its options exist before any
conftest is found and both `--onnx-model PATH` and `--onnx-model=PATH` work. It drives the engine
(`sr_model.engine`) and owns only what is pytest's: options, parametrization and fixtures.

Fixtures for your own tests: `sr_reference` (the engine's Reference), `sr_selection`, `target_run`
(`target_run(spec_or_target, runtime) -> TargetRun`), `exported` (`exported(spec) -> Path`), and
the parametrized `export_target` (every file), `grid_target` and `property_target` (parity subsets,
with a runtime), `reference_model` (the eager module).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from sr_model.engine.selection import FORMS, Selection, TargetSpec
from sr_model.runtimes import DEFAULT_RUNTIME

pytest_plugins = ["sr_model.pytest_plugin.report"]



def _register_hypothesis_profiles() -> None:
    """`dev` (quick), `ci` (hypothesis' ci profile: derandomized, no database, 200 examples) and
    `thorough`, chosen by $HYPOTHESIS_PROFILE (default: ci when $CI is set, else dev). Export and
    runtime calls are too uneven for deadlines. A conftest that loads its own profile wins."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # the plugin's own options work without hypothesis; the suite needs it
        return
    suppress = [HealthCheck.too_slow, HealthCheck.data_too_large]
    settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=suppress)
    settings.register_profile("ci", parent=settings.get_profile("ci"), max_examples=200, deadline=None,
                              suppress_health_check=suppress)
    settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=suppress)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


_register_hypothesis_profiles()


class ParityTarget(NamedTuple):
    """A parametrized target: a spec (or the user's file) and the runtime that runs it."""

    spec: TargetSpec | None  # None for --onnx-model
    runtime: str = DEFAULT_RUNTIME
    path: str | None = None  # --onnx-model

    @property
    def id(self) -> str:
        base = self.spec.id if self.spec is not None else f"external-{Path(self.path or '').stem}"
        return base if self.runtime == DEFAULT_RUNTIME else f"{base}-{self.runtime}"

    @property
    def form(self) -> str | None:
        return self.spec.form if self.spec is not None else None

    @property
    def exporter(self) -> str | None:
        return self.spec.exporter if self.spec is not None else None

    @property
    def opset(self) -> int | None:
        return self.spec.opset if self.spec is not None else None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sr_model", "sr_model conformance (the sr_model pytest plugin)")
    group.addoption("--exporter", action="append", choices=("torchscript", "dynamo"), default=None,
                    help="exporter(s) to test (repeatable; default: every available one)")
    group.addoption("--opset", action="append", type=int, default=None,
                    help="opset(s) to test (repeatable; default: every opset this stack supports)")
    group.addoption("--form", action="append", choices=FORMS, default=None,
                    help="resize form(s) to export and test (repeatable; default: both). With --onnx-model: "
                         "the file's form, overriding detection")
    group.addoption("--runtime", action="append", default=None, metavar="NAME",
                    help="runtime(s) that run the files (repeatable; default: onnxruntime)")
    group.addoption("--onnx-model", default=None, metavar="PATH",
                    help="check this exported file instead of exporting (its form is detected)")
    group.addoption("--model", default=None, metavar="MODULE:FACTORY",
                    help="your own eager model (default: the shipped SRCNN)")
    group.addoption("--checkpoint", default=None, metavar="PTH",
                    help="reference weights (default: the shipped weights; a --model factory's own)")
    group.addoption("--random-weights", action="store_true", default=False,
                    help="reference SRCNN with seeded random weights (random_model(0))")
    group.addoption("--reference-device", default="cpu", metavar="DEVICE",
                    help="run the PyTorch reference on this device, e.g. cuda (TF32 disabled for it)")
    group.addoption("--reference-tf32", action="store_true", default=False,
                    help="allow TF32 on a GPU reference (the tolerance then says the gate is weakened)")
    group.addoption("--atol", type=float, default=None, help="override the tolerance policy: absolute bound")
    group.addoption("--rtol", type=float, default=None, help="override the tolerance policy: relative bound")
    group.addoption("--repro", default=None, metavar="DIR",
                    help="write each failing parity case into DIR as an onnx backend-test folder with a README "
                         "(the command that reproduces it, versions, provenance); never overwrites one")
    group.addoption("--no-export-cache", action="store_true", default=False,
                    help="export every file and compute every expected output afresh, instead of reusing the "
                         "unchanged ones from pytest's cache directory (keys cover the code, weights, case, opset, "
                         "form and library versions)")
    group.addoption("--update-goldens", action="store_true", default=False,
                    help="rewrite fixtures/goldens/*.json from this run's exports (refused when CI is set)")


def _external(config: pytest.Config) -> str | None:
    path = config.getoption("--onnx-model")
    return os.fspath(Path(path).resolve()) if path else None


def _runtimes(config: pytest.Config) -> list[str]:
    return list(dict.fromkeys(config.getoption("--runtime") or [DEFAULT_RUNTIME]))


def pytest_configure(config: pytest.Config) -> None:
    from sr_model.errors import SrModelError

    config.addinivalue_line(
        "markers",
        "gate: the fast gate (`pytest -m gate`): the parity, graph and golden tests at each exporter's first, "
        "default and last opset, plus the tests marked gate (the exporter's own contract: opset ranges, "
        "defaults, the form switch)",
    )
    if config.getoption("--update-goldens") and os.environ.get("CI"):
        raise pytest.UsageError("--update-goldens is refused in CI: goldens change only on purpose")
    external = config.getoption("--onnx-model")
    if external and not Path(external).is_file():
        raise pytest.UsageError(f"--onnx-model {external!r} does not exist; pass an exported .onnx file")
    try:
        from sr_model.runtimes import get_runtime

        for runtime in _runtimes(config):
            reason = getattr(get_runtime(runtime), "unavailable_reason", lambda: None)()
            if reason is not None:
                raise pytest.UsageError(f"--runtime {runtime}: {reason}")
        config._sr_selection = _select(config)  # type: ignore[attr-defined]
        if external:
            _check_external_weights(config, external)
    except SrModelError as error:
        raise pytest.UsageError(str(error)) from None


def _reference(config: pytest.Config) -> Any:
    """The run's Reference, resolved once (the options are the same on every xdist worker)."""
    if not hasattr(config, "_sr_reference"):
        from sr_model.engine.reference import resolve_reference
        from sr_model.engine.tolerance import override_tolerance

        config._sr_reference = resolve_reference(  # type: ignore[attr-defined]
            checkpoint=config.getoption("--checkpoint"),
            random_weights=config.getoption("--random-weights"),
            model=config.getoption("--model"),
            device=config.getoption("--reference-device"),
            allow_tf32=config.getoption("--reference-tf32"),
            tolerance_override=override_tolerance(config.getoption("--atol"), config.getoption("--rtol")),
        )
        cache = _cache_dir(config, "sr_model-expectations")
        config._sr_reference.cache_dir = cache  # type: ignore[attr-defined]
    return config._sr_reference  # type: ignore[attr-defined]


def _check_external_weights(config: pytest.Config, path: str) -> None:
    """A file exported from other weights than the reference is one usage error, before any test."""
    from sr_model.engine.run import reference_mismatch
    from sr_model.engine.target import load_onnx

    mismatch = reference_mismatch(load_onnx(path), _reference(config))
    if mismatch is not None:
        raise pytest.UsageError(f"--onnx-model {path}: {mismatch}")


def _select(config: pytest.Config) -> Selection | None:
    from sr_model.engine.selection import select

    if _external(config):
        if config.getoption("--exporter") or config.getoption("--opset"):
            raise pytest.UsageError("--exporter/--opset choose what this suite exports; with --onnx-model "
                                    "the file is given: drop them")
        return None
    return select(config.getoption("--exporter"), config.getoption("--opset"), config.getoption("--form"),
                  _runtimes(config))


def selection(config: pytest.Config) -> Selection | None:
    """This run's selection (None with --onnx-model)."""
    return getattr(config, "_sr_selection", None)


def _params(config: pytest.Config, specs: list[TargetSpec], *, with_runtime: bool) -> list[Any]:
    external = _external(config)
    runtimes = _runtimes(config) if with_runtime else [DEFAULT_RUNTIME]
    if external:
        return [pytest.param(ParityTarget(None, runtime, external), id=ParityTarget(None, runtime, external).id)
                for runtime in runtimes]
    chosen = selection(config)
    params = []
    for spec in specs:
        for runtime in runtimes:
            target = ParityTarget(spec, runtime)
            reason = chosen.unsupported.get((spec, runtime))
            marks = [pytest.mark.xdist_group(spec.id)]
            if reason is not None:
                marks.append(pytest.mark.skip(reason=f"unsupported by this stack: {reason}"))
            params.append(pytest.param(target, id=target.id, marks=marks))
    # An exporter this torch cannot run still gets one skipped case per test, so the summary (-ra)
    # says what was not checked and why instead of its targets silently vanishing.
    for exporter, reason in chosen.unavailable.items():
        params.append(pytest.param(ParityTarget(None), id=f"{exporter}-unavailable",
                                   marks=pytest.mark.skip(reason=f"{exporter} exporter unavailable: {reason}")))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    chosen = selection(config)
    for name, specs, with_runtime in (
        ("export_target", chosen.targets if chosen else [], False),
        ("own_export_target", chosen.targets if chosen else [], False),
        ("grid_target", chosen.grid if chosen else [], True),
        ("property_target", chosen.properties if chosen else [], True),
    ):
        if name not in metafunc.fixturenames:
            continue
        if name == "own_export_target" and _external(config):
            params = [pytest.param(None, id="external", marks=pytest.mark.skip(
                reason="describes this suite's own exports; --onnx-model checks a given file"))]
        else:
            params = _params(config, specs, with_runtime=with_runtime)
        metafunc.parametrize(name, params)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the fast gate: parity tests whose target sits at an exporter's first, default or last
    opset, and every parity test about no single exported target; not the Hypothesis properties
    (measured: 45 of the gate's 80 s, and none of 14 exporter slips needed them to be caught)."""
    chosen = selection(config)
    gate_specs = set(chosen.grid if chosen else ())
    if chosen:
        from sr_model.export import default_opset

        by_exporter: dict[str, list[int]] = {}
        for spec in chosen.targets:
            by_exporter.setdefault(spec.exporter, []).append(spec.opset)
        ends = {(e, o) for e, opsets in by_exporter.items() for o in (opsets[0], default_opset(e), opsets[-1])}
        gate_specs = {spec for spec in chosen.targets if (spec.exporter, spec.opset) in ends}
    for item in items:
        if not getattr(item, "originalname", item.name).startswith("test_parity"):
            continue
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            continue
        callspec = getattr(item, "callspec", None)
        targets = [v for v in (callspec.params.values() if callspec else ()) if isinstance(v, ParityTarget)]
        if not targets or all(t.spec is None or t.spec in gate_specs for t in targets):
            item.add_marker(pytest.mark.gate)


def pytest_report_header(config: pytest.Config) -> list[str]:
    chosen = selection(config)
    if chosen is None:
        return [f"sr_model: checking {_external(config)} (form detected from the graph unless --form), "
                f"runtimes {', '.join(_runtimes(config))}"]
    lines = [f"sr_model targets: {', '.join(t.id for t in chosen.targets) or 'none'}; runtimes "
             f"{', '.join(_runtimes(config))}"]
    not_grid = sorted(set(chosen.targets) - set(chosen.grid))
    if not_grid:
        lines.append("sr_model: decomposed-form grid parity runs at each exporter's first/default/last opset "
                     f"only (graph checks at all; --opset overrides); not in the grid: "
                     f"{', '.join(t.id for t in not_grid)}")
    for exporter, reason in chosen.unavailable.items():
        lines.append(f"sr_model: {exporter} exporter unavailable, its targets are not run: {reason}")
    for (spec, runtime), reason in sorted(chosen.unsupported.items()):
        lines.append(f"sr_model: {spec.id} not run in {runtime}: {reason}")
    return lines


@pytest.fixture(scope="session")
def sr_reference(pytestconfig: pytest.Config):
    """The engine's Reference: the eager model and weights every file is compared with."""
    return _reference(pytestconfig)


@pytest.fixture(scope="session")
def reference_model(sr_reference):
    """The eager module of the reference (for tests that drive it directly)."""
    return sr_reference.model


@pytest.fixture(scope="session")
def sr_selection(pytestconfig: pytest.Config) -> Selection | None:
    """This run's target selection (None when --onnx-model names the file)."""
    return selection(pytestconfig)


def _cache_dir(config: pytest.Config, name: str) -> Path | None:
    """A folder in pytest's cache directory, or None (--no-export-cache, or no cache provider)."""
    if config.getoption("--no-export-cache") or getattr(config, "cache", None) is None:
        return None
    return Path(config.cache.mkdir(name))


def _runtime_threads() -> int | None:
    """Intra-op threads for each runtime session: a share of the cores under xdist, else the default."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if not workers:
        return None
    from sr_model.engine.threads import worker_threads

    return worker_threads(workers)


@pytest.fixture(scope="session", autouse=True)
def _worker_threads(pytestconfig: pytest.Config) -> None:
    """Size torch's intra-op threads so that xdist workers x threads do not exceed the cores."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers:
        import torch

        from sr_model.engine.threads import worker_threads

        torch.set_num_threads(worker_threads(workers))


@pytest.fixture(scope="session")
def exported(sr_reference, tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config):
    """`exported(spec_or_target) -> Path`: the file for a target, exported once per session and
    reused across runs (and xdist workers) while nothing it depends on changed."""
    cache: dict[str, Path | Exception] = {}
    cache_dir = _cache_dir(pytestconfig, "sr_model-exports")

    def get(target: TargetSpec | ParityTarget) -> Path:
        if isinstance(target, ParityTarget):
            if target.path:
                return Path(target.path)
            target = target.spec
        if target.id not in cache:
            from sr_model.engine.export_cache import cached_export
            from sr_model.errors import OpsetNotWrittenError

            folder = tmp_path_factory.mktemp("exports", numbered=True)
            try:
                cache[target.id], _hit = cached_export(
                    cache_dir, folder / f"{target.id}.onnx", sr_reference.model, exporter=target.exporter,
                    opset=target.opset, form=target.form, weights=sr_reference.label,
                )
            except OpsetNotWrittenError as error:
                # The export is the probe: this stack's exporter cannot write the opset for this
                # form (the default stack's range is pinned by tests/test_export.py).
                cache[target.id] = error
        if isinstance(cache[target.id], Exception):
            pytest.skip(f"unsupported by this stack: {cache[target.id]}")
        return cache[target.id]

    return get


@pytest.fixture(scope="session")
def target_run(sr_reference, exported, pytestconfig: pytest.Config):
    """`target_run(target) -> TargetRun`: the file loaded in the target's runtime, once per session."""
    from sr_model.engine.run import TargetRun
    from sr_model.engine.target import load_target

    runs: dict[str, Any] = {}

    def get(target: ParityTarget) -> Any:
        if target.id not in runs:
            path = exported(target)
            spec = target.spec
            given_forms = pytestconfig.getoption("--form")
            form = spec.form if spec else (given_forms[-1] if given_forms else None)
            loaded = load_target(path, id=target.id, form=form, exporter=spec.exporter if spec else None,
                                 opset=spec.opset if spec else None)
            repro = pytestconfig.getoption("--repro")
            runs[target.id] = TargetRun(loaded, sr_reference, runtime=target.runtime, name=target.id,
                                        threads=_runtime_threads(), repro_dir=Path(repro) if repro else None)
        run = runs[target.id]
        if not run.runnable:
            pytest.fail(f"[{target.id}] {run.result.load_error or run.result.mismatch}", pytrace=False)
        return run

    return get


@pytest.fixture
def onnx_path(export_target: ParityTarget, exported) -> Path:
    """The file under test for this export target."""
    return exported(export_target)


@pytest.fixture(scope="session")
def upsample_only(exported):
    """`upsample_only(target) -> (subgraph, session)`: the file's upsampling alone, once per target."""
    from sr_model.engine.oracle import resize_subgraph
    from sr_model.runtimes import get_runtime

    built: dict[str, Any] = {}

    def get(target: ParityTarget) -> Any:
        if target.id not in built:
            import numpy as np
            import onnx

            subgraph = resize_subgraph(onnx.load(exported(target)))
            session = get_runtime(target.runtime).load(subgraph.SerializeToString(), threads=_runtime_threads())
            # The checks of the upsampling alone compare it with the eager op on the graph input;
            # a model that preprocesses its input first (`input / 255`) has no such subgraph. At
            # x1 the resize is a copy, so anything else in front of it shows.
            probe = np.arange(3 * 5 * 7, dtype=np.float32).reshape(1, 3, 5, 7)
            (copied,) = session.run({"input": probe, "factor": np.ones(4, np.float32)}, ["output"])
            built[target.id] = (subgraph, session) if np.array_equal(copied, probe) else None
        if built[target.id] is None:
            pytest.skip("the upsampling reads a preprocessed input (at x1 it does not return the graph input): "
                        "checks of the upsampling alone do not apply; the whole-model checks do")
        return built[target.id]

    return get
