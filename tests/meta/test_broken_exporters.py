"""The gate's own test: each deliberately broken exporter makes the suite's checks fail.

The regressions (sr_model/testing/broken.py): wrong cubic_coeff_a, wrong coordinate mode, wrong
mode (Resize form only: the decomposed form has no such attributes, its own wrong-A regression
stands in), scale frozen to a Constant, scales from an initializer, input names swapped, input
renamed, missing dynamic axes, wrong opset written. The intact exporter passes the same checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sr_model.engine.cases import ParityCase
from sr_model.engine.run import check_target
from sr_model.engine.target import load_target
from sr_model.errors import ExportError
from sr_model.export import EXPORTERS, export_onnx, supported_opsets
from sr_model.ops import RESIZE_FORMS
from sr_model.testing.broken import BROKEN_EXPORTERS, BrokenExporter

# Few but discriminating: a non-export scale, an anisotropic pair, a non-export size and batch.
QUICK_CASES: tuple[ParityCase, ...] = (
    ParityCase(2.0, 2.0, (1, 3, 9, 7)),
    ParityCase(2.5, 1.5, (2, 3, 12, 17)),
    ParityCase(3.0, 3.0, (1, 3, 24, 32)),
)


def conformance_failures(path: Path, reference, opset: int, form: str) -> list[str]:
    """What the engine finds wrong with the file, one line each (the same engine verify runs)."""
    target = load_target(path, id=f"{form}-opset{opset}", form=form, opset=opset)
    result, _ = check_target(target, reference, QUICK_CASES)
    return result.failure_lines()

# 17 is written by both exporters, and is not what torch.export falls back to (18).
# Each exporter's default opset: neither is what torch.export falls back to (18), so a file written
# at another opset than asked shows; and the dynamo exporter writes 20 by up-conversion, which every
# onnx in range does (down to 15..17 it depends on the onnx: measured, onnx 1.17 keeps 18).
OPSETS = {"torchscript": 17, "dynamo": 20}
_AVAILABLE = [exporter for exporter in EXPORTERS if OPSETS[exporter] in supported_opsets(exporter)]


def _export_and_check(exporter: str, form: str, broken: BrokenExporter | None, reference, folder: Path) -> list[str]:
    path = folder / "model.onnx"
    model = reference.model
    if broken is None:
        export_onnx(path, model, exporter=exporter, opset=OPSETS[exporter], resize=form)
        return conformance_failures(path, reference, OPSETS[exporter], form=form)
    with broken.inject() as contract:
        exported_model = broken.model(model).eval() if broken.model else model
        try:
            export_onnx(path, exported_model, exporter=exporter, opset=OPSETS[exporter], contract=contract,
                        resize=form)
        except ExportError as error:  # export_onnx's own written-opset check is part of the gate
            return [f"export: {error}"]
    return conformance_failures(path, reference, OPSETS[exporter], form=form)


_CASES = [(b, form) for b in BROKEN_EXPORTERS for form in b.forms]


@pytest.mark.parametrize("form", RESIZE_FORMS)
@pytest.mark.parametrize("exporter", _AVAILABLE)
def test_intact_exporter_passes_the_checks(exporter: str, form: str, sr_reference, tmp_path: Path) -> None:
    assert _export_and_check(exporter, form, None, sr_reference, tmp_path) == []


@pytest.mark.parametrize(("broken", "form"), _CASES, ids=[f"{b.name}-{form}" for b, form in _CASES])
@pytest.mark.parametrize("exporter", _AVAILABLE)
def test_broken_exporter_fails_the_checks(exporter: str, broken: BrokenExporter, form: str, sr_reference,
                                          tmp_path: Path) -> None:
    failures = _export_and_check(exporter, form, broken, sr_reference, tmp_path)
    report = "\n".join(failures)
    assert failures, f"{broken.name} ({broken.regression}) passed every check [{exporter}]"
    assert broken.phrase(form) in report, (
        f"{broken.name}: expected a failure mentioning {broken.phrase(form)!r} [{exporter}, {form}], got:\n{report}"
    )
