"""The shipped suite aimed at a user's own file, from a directory outside the repository.

`pytest --pyargs sr_model.conformance --onnx-model PATH` is the documented command; these tests run
it with pytester in a temporary folder, so nothing of this repository (its conftest, its tests/) is
in play: only the installed package and its plugin. Each is a regression test of issue 11.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sr_model.cli import main
from sr_model.export import export_onnx
from sr_model.model import random_model
from sr_model.paths import DEFAULT_CHECKPOINT
from sr_model.testing.broken import BROKEN_EXPORTERS

pytestmark = pytest.mark.slow


_SHARED: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _shared_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One pytest cache folder for every nested run of this module: exports and expectations once."""
    _SHARED[:] = ["-o", f"cache_dir={tmp_path_factory.mktemp('shared-cache')}"]


def _suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--pyargs", "sr_model.conformance", "-p", "no:randomly", "-q",
                                         *_SHARED, *args)


@pytest.fixture(scope="module")
def shipped_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sr-model export -o m.onnx`: the shipped weights are export's default."""
    path = tmp_path_factory.mktemp("user") / "m.onnx"
    assert main(["export", "-o", str(path)]) == 0
    return path


def test_shipped_export_passes_with_the_default_reference_space_form(pytester, shipped_export) -> None:
    """Issue 11, command 3: export's default weights are the plugin's default; `--onnx-model PATH`."""
    result = _suite(pytester, "--onnx-model", str(shipped_export), "-k", "parity")
    assert result.ret == 0, result.stdout.str()[-3000:]
    stdout = result.stdout.str()
    assert "external-m" in stdout and " passed" in stdout
    # -k parity runs the graph check, and every test that ran opened the user's file.
    assert "test_parity_graph_contract" in "\n".join(pytester.runpytest_subprocess(
        "--pyargs", "sr_model.conformance", "--onnx-model", str(shipped_export), "-k", "parity",
        "--collect-only", "-q").stdout.lines)


def test_the_same_file_passes_with_an_explicit_checkpoint(pytester, shipped_export) -> None:
    """Issue 11, command 4: the checkpoint's tolerance is derived, not the random-weight table."""
    result = _suite(pytester, f"--onnx-model={shipped_export}", "--checkpoint", str(DEFAULT_CHECKPOINT),
                    "-k", "parity_grid or parity_face")
    assert result.ret == 0, result.stdout.str()[-3000:]


def test_other_weights_are_one_usage_error_before_any_test(pytester, tmp_path) -> None:
    """Issue 11, command 3 (the other way): a random-weight file vs the shipped reference."""
    path = export_onnx(tmp_path / "random.onnx", random_model(seed=0), opset=17, weights="random_model(0)")
    result = _suite(pytester, "--onnx-model", str(path), "-k", "parity")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    errors = result.stderr.str()
    assert "exported from other weights (random_model(0)" in errors and "no case was run" in errors
    assert "--random-weights" in errors
    assert _suite(pytester, "--onnx-model", str(path), "--random-weights", "-k", "parity_grid").ret == 0


def test_frozen_file_fails_and_says_why(pytester, tmp_path) -> None:
    (frozen,) = [b for b in BROKEN_EXPORTERS if b.name == "frozen_scale"]
    with frozen.inject():
        bad = export_onnx(tmp_path / "frozen.onnx", random_model(seed=0), opset=17)
    result = _suite(pytester, "--onnx-model", str(bad), "--random-weights", "-k", "parity_grid or graph", "-x")
    assert result.ret == 1, result.stdout.str()[-3000:]
    assert "the scale was frozen at export" in result.stdout.str()


@pytest.mark.parametrize(("args", "phrase"), [
    (["--exporter", "dynamo", "--opset", "11"], "--opset 11 is not written validly by any selected exporter; "
                                                "supported: dynamo 15.."),
    (["--opset", "10"], "--opset 10 is not written validly by any selected exporter; supported: torchscript 11.."),
])
def test_a_selection_that_matches_nothing_is_a_usage_error(pytester, args, phrase) -> None:
    """Issue 11, command 5: `--exporter dynamo --opset 11` used to pass 229 tests and check no file."""
    result = _suite(pytester, *args, "-k", "parity_grid")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert phrase in result.stderr.str()
