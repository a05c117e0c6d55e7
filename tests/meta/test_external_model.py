"""`pytest --onnx-model PATH` aims the suite at a user's own file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sr_model.export import export_onnx
from sr_model.model import random_model
from sr_model.testing.broken import BROKEN_EXPORTERS

REPO = Path(__file__).resolve().parents[2]


def _run_suite(model: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HYPOTHESIS_PROFILE": "dev", "PYTHONPATH": os.fspath(REPO)}
    env.pop("CI", None)  # the nested run is a user's run: the dev profile keeps it quick
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--onnx-model={os.fspath(model)}",
         "-k", "parity", "-x", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow
def test_suite_on_external_file_passes_when_exported_and_fails_when_frozen(tmp_path: Path) -> None:
    good = export_onnx(tmp_path / "good.onnx", random_model(seed=0), opset=17)
    result = _run_suite(good)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and "external" in result.stdout

    (frozen,) = [b for b in BROKEN_EXPORTERS if b.name == "frozen_scale"]
    with frozen.inject():
        bad = export_onnx(tmp_path / "frozen.onnx", random_model(seed=0), opset=17)
    result = _run_suite(bad)
    assert result.returncode == 1, result.stdout[-3000:]
    # Readable: the file has lost its factor input (the scale was frozen), said in one line.
    assert "OnnxModelError: model inputs=['input']" in result.stdout, result.stdout[-3000:]
    assert "the scale was frozen at export" in result.stdout, result.stdout[-3000:]
