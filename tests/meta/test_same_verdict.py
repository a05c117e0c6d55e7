"""One engine, one verdict: the same file gets the same verdict from `sr-model verify`, from the
shipped suite (`pytest --pyargs sr_model.conformance --onnx-model`) and in report.json.

Regression tests of issue 11: a decomposed file failed verify and the report ("Resize nodes=0")
because neither detected the form; a correct file failed the pytest gate by the wrong weights or
the wrong tolerance. Every run here is in a pytester folder outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from sr_model.cli import main
from sr_model.testing import mutations

pytestmark = pytest.mark.slow

# (name, how to break a good Resize-form file, the phrase each entry point must name)
BROKEN = [
    ("frozen-scale", lambda m: mutations.freeze_scales(m, (1, 1, 3, 3)), "the scale was frozen at export"),
    ("cubic-coeff-a", lambda m: mutations.set_resize_attribute(m, "cubic_coeff_a", -0.5), "cubic_coeff_a=-0.5"),
    ("half-pixel", lambda m: mutations.set_resize_attribute(m, "coordinate_transformation_mode", "half_pixel"),
     "coordinate_transformation_mode='half_pixel'"),
    ("mode-linear", lambda m: mutations.set_resize_attribute(m, "mode", "linear"), "mode='linear'"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("verdict")
    good = folder / "good.onnx"
    assert main(["export", "-o", str(good)]) == 0
    made = {"good": good}
    decomposed = folder / "decomposed.onnx"
    assert main(["export", "-o", str(decomposed), "--exporter", "dynamo", "--resize", "decomposed"]) == 0
    made["decomposed"] = decomposed
    for name, breaks, _ in BROKEN:
        made[name] = folder / f"{name}.onnx"
        onnx.save(breaks(onnx.load(good)), made[name])
    return made


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One pytest cache folder for every nested run: exports and expectations are computed once."""
    return f"cache_dir={tmp_path_factory.mktemp('shared-cache')}"


def _verify(path: Path, report: Path, capsys) -> tuple[int, str, dict]:
    code = main(["verify", str(path), "--no-progress", "--report", str(report)])
    return code, capsys.readouterr().out, json.loads((report / "report.json").read_text())


@pytest.mark.parametrize("name", ["good", "decomposed"])
def test_correct_files_pass_everywhere(name, files, pytester, shared_cache, tmp_path, capsys) -> None:
    code, out, report = _verify(files[name], tmp_path / "verify", capsys)
    assert code == 0 and report["passed"] is True, out
    result = pytester.runpytest_subprocess(
        "--pyargs", "sr_model.conformance", f"--onnx-model={files[name]}", "-k", "parity_grid or graph",
        f"--conformance-report={tmp_path / 'suite'}", "-p", "no:randomly", "-q", "-o", shared_cache)
    assert result.ret == 0, result.stdout.str()[-3000:]
    suite = json.loads((tmp_path / "suite" / "report.json").read_text())
    assert suite["passed"] is True and all(t["graph"]["ok"] for t in suite["targets"]), suite["summary"]


@pytest.mark.parametrize(("name", "phrase"), [(name, phrase) for name, _, phrase in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_files_fail_everywhere_naming_the_cause(name, phrase, files, pytester, shared_cache, tmp_path,
                                                     capsys) -> None:
    code, out, report = _verify(files[name], tmp_path / "verify", capsys)
    assert code == 1 and report["passed"] is False and phrase in out, out
    result = pytester.runpytest_subprocess(
        "--pyargs", "sr_model.conformance", f"--onnx-model={files[name]}", "-k", "parity_grid or graph",
        f"--conformance-report={tmp_path / 'suite'}", "-p", "no:randomly", "-q", "-o", shared_cache)
    assert result.ret == 1, result.stdout.str()[-3000:]
    assert phrase in result.stdout.str()
    assert json.loads((tmp_path / "suite" / "report.json").read_text())["passed"] is False


def test_the_suites_own_report_passes_with_a_decomposed_target(pytester, shared_cache, tmp_path) -> None:
    """Issue 11, commands 2 and 7: the report of a green run says PASS with decomposed targets in it,
    every parity result sits under its real target, and no row is named `other`."""
    result = pytester.runpytest_subprocess(
        "--pyargs", "sr_model.conformance", "--exporter", "torchscript", "--opset", "17", "-k", "parity_grid",
        f"--conformance-report={tmp_path}", "-p", "no:randomly", "-q", "-o", shared_cache)
    assert result.ret == 0, result.stdout.str()[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    names = [target["name"] for target in report["targets"]]
    assert names == ["torchscript-opset17", "torchscript-opset17-decomposed"]
    assert report["passed"] is True and all(target["graph"]["ok"] for target in report["targets"])
    matrix = result.stdout.str().split("conformance matrix")[1]
    assert "other" not in matrix and "(pass)" in matrix
    assert (tmp_path / "report.md").read_text().startswith("# sr_model verification: PASS")
