"""The conformance report plugin, run on a small fake suite with pytester, alone and under xdist."""

from __future__ import annotations

import json
import textwrap

import pytest


_FAKE_SUITE = '''
from typing import NamedTuple

import numpy as np
import pytest

from sr_model.testing import asserts
from sr_model.engine.cases import ParityCase
from sr_model.engine.tolerance import Tolerance


class Target(NamedTuple):
    spec: str
    runtime: str = "onnxruntime"

    @property
    def id(self):
        return self.spec


TARGETS = [Target("fake-opset11"), Target("fake-opset12")]
CASES = [ParityCase(2.0, 2.0, (1, 3, 4, 4)), ParityCase(3.0, 3.0, (1, 3, 5, 5))]
TOL = Tolerance(1e-3, 0.0, "fake tolerance")
ZEROS = np.zeros((1, 3, 8, 8), np.float32)


@pytest.mark.parametrize("fake_target", TARGETS, ids=[t.id for t in TARGETS])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_parity_fake(fake_target, case):
    actual = ZEROS.copy()
    if fake_target.id == "fake-opset12" and case.scale_h == 3.0:
        actual[0, 0, 1, 2] = 0.5
    # The result names its own target: a test that checks another file is filed under that file.
    asserts.assert_parity(actual, ZEROS, TOL, f"parity({fake_target.id}, {case.id})", target=fake_target.id,
                          case_id=case.id)


@pytest.mark.parametrize("fake_target", TARGETS[1:], ids=["fake-opset12"])
def test_parity_crashes_before_comparing(fake_target):
    raise RuntimeError("ORT exploded")


def test_parity_about_no_file():
    pass


def test_unrelated():
    asserts.assert_parity(ZEROS, ZEROS, TOL, "not a parity test", target="fake-opset11")
'''


@pytest.fixture
def fake_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_fake=textwrap.dedent(_FAKE_SUITE))
    return pytester


def _matrix(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "sr_model conformance matrix" in line)
    return [line for line in lines[start + 1:start + 4] if line.strip() and not line.startswith("=")]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist-2"])
def test_matrix_and_report_cover_every_recorded_test(workers, fake_suite, tmp_path) -> None:
    if workers:
        pytest.importorskip("xdist")
    result = fake_suite.runpytest_subprocess(*workers, f"--conformance-report={tmp_path}", "-p", "no:randomly")
    stdout = result.stdout.str()
    assert result.ret == 1, stdout  # two real failures
    assert "2 failed, 5 passed" in stdout
    header, row11, row12 = _matrix(stdout)
    assert header.split()[:7] == ["target", "runtime", "cases", "pass", "fail", "deviation", "skip"]
    assert row11.split()[:7] == ["fake-opset11", "onnxruntime", "2", "2", "0", "0", "0"]
    assert row12.split()[:7] == ["fake-opset12", "onnxruntime", "3", "1", "2", "0", "0"]
    # Numbers from the compared cases; the worst case named is the crash (an error beats a failure).
    assert row12.split()[7:9] == ["5.00e-01", "500"] and row12.endswith("(error)")
    assert "about_no_file" not in stdout.split("conformance matrix")[1]  # no row for a test about no file

    report = json.loads((tmp_path / "report.json").read_text())
    assert report["schema"] == "sr_model.verify/2" and report["passed"] is False
    targets = {target["name"]: target for target in report["targets"]}
    assert set(targets) == {"fake-opset11", "fake-opset12"}
    assert targets["fake-opset11"]["passed"] is True
    assert targets["fake-opset11"]["outcomes"] == {"passed": 2}
    assert targets["fake-opset12"]["outcomes"] == {"passed": 1, "failed": 2}
    crash = next(case for case in targets["fake-opset12"]["cases"] if case["status"] == "error")
    assert "RuntimeError: ORT exploded" in crash["message"]
    failing = next(case for case in targets["fake-opset12"]["cases"] if case["status"] == "fail")
    assert failing["argmax"] == [0, 0, 1, 2] and failing["max_abs"] == 0.5 and failing["outcome"] == "failed"
    # The images show the worst comparison that has arrays.
    assert report["images"]["case"] == failing["id"]
    assert sorted(report["images"]["files"]) == ["difference", "ort", "torch"]
    assert all((tmp_path / name).is_file() for name in report["images"]["files"].values())
    assert "conformance report:" in stdout


def test_no_matrix_without_recorded_tests(fake_suite) -> None:
    result = fake_suite.runpytest_subprocess("-k", "unrelated", "-p", "no:randomly")
    assert result.ret == 0, result.stdout.str()
    assert "conformance matrix" not in result.stdout.str()
