"""The conformance report plugin, run on a small fake suite in a subprocess, alone and under xdist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sr_model.paths import REPO_ROOT

_FAKE_SUITE = '''
from typing import NamedTuple

import numpy as np
import pytest

from sr_model.testing import asserts
from sr_model.testing.cases import ParityCase
from sr_model.testing.tolerance import Tolerance


class Target(NamedTuple):
    exporter: str
    opset: int

    @property
    def id(self):
        return f"{self.exporter}-opset{self.opset}"


TARGETS = [Target("fake", 11), Target("fake", 12)]
CASES = [ParityCase(2.0, 2.0, (1, 3, 4, 4)), ParityCase(3.0, 3.0, (1, 3, 5, 5))]
TOL = Tolerance(1e-3, 0.0, "fake tolerance")
ZEROS = np.zeros((1, 3, 8, 8), np.float32)


@pytest.mark.parametrize("export_target", TARGETS, ids=[t.id for t in TARGETS])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_parity_fake(export_target, case):
    actual = ZEROS.copy()
    if export_target.opset == 12 and case.scale_h == 3.0:
        actual[0, 0, 1, 2] = 0.5
    asserts.assert_parity(actual, ZEROS, TOL, f"parity({export_target.id}, {case.id})")


@pytest.mark.xfail(strict=True, reason="a known deviation")
@pytest.mark.parametrize("export_target", TARGETS[:1], ids=["fake-opset11"])
def test_parity_known_deviation(export_target):
    asserts.assert_parity(ZEROS + 1.0, ZEROS, TOL, "deviation")


@pytest.mark.parametrize("export_target", TARGETS[1:], ids=["fake-opset12"])
def test_parity_crashes_before_comparing(export_target):
    raise RuntimeError("ORT exploded")


def test_unrelated():
    asserts.assert_parity(ZEROS, ZEROS, TOL, "not a parity test")
'''


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def fake_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fake_suite")
    (folder / "conftest.py").write_text('pytest_plugins = ["sr_model.testing.report_plugin"]\n')
    (folder / "test_fake.py").write_text(textwrap.dedent(_FAKE_SUITE))
    return folder


def _matrix(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "sr_model conformance matrix" in line)
    return [line for line in lines[start + 1:start + 4]]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist-2"])
def test_matrix_and_report_cover_every_recorded_test(workers, fake_suite, tmp_path) -> None:
    if workers:
        pytest.importorskip("xdist")
    result = _run(fake_suite, *workers, f"--conformance-report={tmp_path}")
    assert result.returncode == 1, result.stdout + result.stderr  # two real failures
    assert "2 failed, 4 passed, 1 xfailed" in result.stdout
    header, row11, row12 = _matrix(result.stdout)
    assert header.split()[:6] == ["target", "cases", "pass", "fail", "xfail", "skip"]
    assert row11.split()[:6] == ["fake-opset11", "3", "2", "0", "1", "0"]
    assert row12.split()[:6] == ["fake-opset12", "3", "1", "2", "0", "0"]
    # Numbers from the compared cases; the worst case named is the crash (an error beats a failure).
    assert row12.split()[6:8] == ["5.00e-01", "500"] and row12.endswith("(error)")
    assert row11.split()[6:8] == ["1.00e+00", "1e+03"]  # the xfailed comparison

    report = json.loads((tmp_path / "report.json").read_text())
    assert report["schema"] == "sr_model.verify/1" and report["passed"] is False
    targets = {target["name"]: target for target in report["targets"]}
    assert targets["fake-opset11"]["passed"] is True  # the strict xfail is a known deviation
    assert targets["fake-opset11"]["outcomes"] == {"passed": 2, "xfailed": 1}
    assert targets["fake-opset12"]["outcomes"] == {"passed": 1, "failed": 2}
    crash = next(case for case in targets["fake-opset12"]["cases"] if case["status"] == "error")
    assert "RuntimeError: ORT exploded" in crash["message"]
    failing = next(case for case in targets["fake-opset12"]["cases"] if case["status"] == "fail")
    assert failing["argmax"] == [0, 0, 1, 2] and failing["max_abs"] == 0.5 and failing["outcome"] == "failed"
    # The images show the worst comparison that has arrays: the xfailed one (1.0 vs atol 1e-3).
    assert report["images"]["case"].startswith("test_parity_known_deviation")
    assert sorted(report["images"]["files"]) == ["difference", "ort", "torch"]
    assert all((tmp_path / name).is_file() for name in report["images"]["files"].values())
    assert "conformance report:" in result.stdout


def test_no_matrix_without_recorded_tests(fake_suite) -> None:
    result = _run(fake_suite, "-k", "unrelated")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conformance matrix" not in result.stdout
