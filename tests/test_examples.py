"""The code in examples/ runs as the docs show it (docs/gate-your-own-model.md,
docs/coming-from-the-tutorial.md), from a folder outside the repository, so CI runs the docs.

Each test copies the example files into pytester's temporary folder (the current directory while
the test runs) and calls the CLI in-process (`sr_model.cli.main`) or pytest in a subprocess.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from pathlib import Path
from typing import Iterator

import pytest

from sr_model.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
USER_MODULES = ("my_models", "make_tutorial_files")


@pytest.fixture
def user_folder(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """pytester's folder holding the examples, importable as a user's own modules would be."""
    for name in ("my_models.py", "test_my_model.py", "tutorial/make_tutorial_files.py"):
        shutil.copy(EXAMPLES / name, pytester.path)
    monkeypatch.syspath_prepend(str(pytester.path))
    yield pytester.path
    for name in USER_MODULES:  # the next test imports its own copy
        sys.modules.pop(name, None)


@pytest.fixture
def mine(user_folder: Path) -> Path:
    """`sr-model export -o mine.onnx --model my_models:factory`, as the docs show it."""
    assert main(["export", "-o", "mine.onnx", "--model", "my_models:factory"]) == 0
    return user_folder / "mine.onnx"


def _gate(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-q", *args)


def test_own_model_exports_and_verifies(mine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(mine), "--model", "my_models:factory", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^PASS: (\d+)/\1 cases conform .*; graph problems: 0$", out, re.MULTILINE), out[-2000:]


def test_own_test_file_passes_and_can_fail(pytester: pytest.Pytester, mine: Path) -> None:
    args = ("test_my_model.py", "--onnx-model", str(mine), "--model", "my_models:factory")
    result = _gate(pytester, *args)
    assert result.ret == 0, result.stdout.str()[-3000:]
    result.assert_outcomes(passed=4)
    # The same tests against a bound no float32 run meets: they fail, so they do check something.
    strict = _gate(pytester, *args, "--atol", "1e-9")
    assert strict.ret == 1, strict.stdout.str()[-3000:]
    strict.assert_outcomes(failed=4)


@pytest.mark.slow
def test_own_model_passes_the_shipped_suite(pytester: pytest.Pytester, mine: Path) -> None:
    """`pytest --pyargs sr_model.conformance --onnx-model mine.onnx --model my_models:factory`."""
    result = _gate(pytester, "--pyargs", "sr_model.conformance", "--onnx-model", str(mine),
                   "--model", "my_models:factory")
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert "external-mine" in result.stdout.str()


@pytest.fixture
def tutorial(user_folder: Path) -> dict[str, str]:
    """The tutorial's attempts, built by examples/tutorial/make_tutorial_files.py."""
    return importlib.import_module("make_tutorial_files").main(user_folder / "tutorial")


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["verify", *args, "--no-progress"])
    return status, capsys.readouterr().out


def test_tutorial_int_factor_fails_at_export(tutorial: dict[str, str]) -> None:
    assert tutorial["int"].startswith("TypeError: upsample_bicubic2d() received an invalid combination")


def test_tutorial_item_file_is_a_frozen_scale(tutorial: dict[str, str], capsys) -> None:
    status, out = _verify(capsys, tutorial["item"])
    assert status == 1, out[-2000:]
    assert "the scale was frozen at export" in out and "SHAPE-MISMATCH" in out


def test_tutorial_new_interpolate_without_dynamic_axes_is_static(tutorial: dict[str, str], capsys) -> None:
    status, out = _verify(capsys, tutorial["new_interpolate_static"])
    assert status == 1, out[-2000:]
    assert "input dims=[1, 3, 64, 64], but should be [N, 3, H, W]" in out
    assert "export with dynamic_axes=" in out  # verify says what to change


def test_tutorial_new_interpolate_with_dynamic_axes(tutorial: dict[str, str], capsys) -> None:
    # Against sr_model's op (the default reference) the file conforms: its Resize is the right one.
    status, out = _verify(capsys, tutorial["new_interpolate_dynamic"])
    assert status == 0, out[-2000:]
    # Against the tutorial's own eager forward (F.interpolate) it does not, at the contract's two edge
    # cases, which verify's default sweep includes.
    status, out = _verify(capsys, tutorial["new_interpolate_dynamic"], "--model",
                          "make_tutorial_files:new_interpolate_srcnn")
    assert status == 1, out[-2000:]
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("x")}
    assert rows["x1.3-1x3x10x10"].split()[1:3] == ["1x3x12x12", "1x3x13x13"], rows
    assert rows["x1.2-1x3x4x4"].endswith("FAIL"), rows
    others = [line for case, line in rows.items() if case not in ("x1.3-1x3x10x10", "x1.2-1x3x4x4")]
    assert others and all(line.endswith("pass") for line in others), others
    assert "replace the upsample in forward with sr_model.ops.bicubic_resize" in out
