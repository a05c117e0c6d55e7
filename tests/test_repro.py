"""Repro folders: a failing case written in the onnx backend-test layout fails the same way when replayed.

The failing case is real: a file from a deliberately broken exporter (`wrong_cubic_coeff_a`). The
replay goes through onnx's own loader and runner assertion and, where installed, Polygraphy's
runner and comparator, independently of the code that wrote the folder.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from onnx import numpy_helper
from onnx.backend.test.loader import load_model_tests
from onnx.backend.test.runner import Runner

from sr_model.engine import repro
from sr_model.engine.repro import ReproError, ReproExistsError, polygraphy_feeds_json, write_repro
from sr_model.errors import SrModelError
from sr_model.export import export_onnx
from sr_model.model import random_model
from sr_model.testing.broken import BROKEN_EXPORTERS
from sr_model.engine.cases import ParityCase
from sr_model.engine.tolerance import model_tolerance

CASE = ParityCase(2.5, 2.5, (1, 3, 17, 9))
TOLERANCE = model_tolerance(*CASE.shape[2:])
CASE_ID = "test_wrong_cubic_coeff_a-torchscript-opset17-x2.5-1x3x17x9"


def _ort(path: Path | str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A file from a broken exporter, its inputs, PyTorch's output and ONNX Runtime's."""
    (broken,) = [b for b in BROKEN_EXPORTERS if b.name == "wrong_cubic_coeff_a"]
    model = random_model(0)
    with broken.inject() as contract:
        path = export_onnx(tmp_path_factory.mktemp("broken") / "model.onnx", model, opset=17, contract=contract)
    inputs = {"input": CASE.image(), "factor": CASE.factor()}
    with torch.no_grad():
        expected = model(torch.from_numpy(inputs["input"]), torch.from_numpy(inputs["factor"])).numpy()
    (actual,) = _ort(path, inputs)
    return {"path": path, "inputs": inputs, "expected": {"output": expected}, "actual": {"output": actual}}


def _write(folder: Path, failing: dict, **changes) -> Path:
    arguments = dict(actual=failing["actual"], case_id=CASE_ID, tolerance=str(TOLERANCE),
                     provenance={"exporter": "torchscript", "opset": 17, "regression": "wrong_cubic_coeff_a"},
                     versions={"torch": torch.__version__, "onnx": onnx.__version__,
                               "onnxruntime": onnxruntime.__version__},
                     command="sr-model verify model.onnx --scale 2.5 --shape 1x3x17x9")
    arguments.update(changes)
    return write_repro(folder, failing["path"], failing["inputs"], failing["expected"], **arguments)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, failing: dict) -> Path:
    return _write(tmp_path_factory.mktemp("repros") / "sr_model", failing)


def test_the_case_fails_before_it_is_written(failing: dict) -> None:
    # The premise: A=-0.5 instead of -0.75 moves the output far outside the tolerance.
    error = np.abs(failing["actual"]["output"] - failing["expected"]["output"]).max()
    assert error > 100 * TOLERANCE.atol


def test_onnx_loader_finds_the_case_and_its_tolerance(written: Path) -> None:
    (case,) = load_model_tests(data_dir=str(written.parent.parent), kind=written.parent.name)
    assert (case.name, case.model_dir) == (CASE_ID, str(written))
    assert (case.atol, case.rtol) == (TOLERANCE.atol, TOLERANCE.rtol)


def test_replay_fails_the_same_way_under_onnx_runner_check(written: Path, failing: dict) -> None:
    (case,) = load_model_tests(data_dir=str(written.parent.parent), kind=written.parent.name)
    data = Path(case.model_dir) / "test_data_set_0"
    tensors = [onnx.load_tensor(p) for p in sorted(glob.glob(str(data / "input_*.pb")))]
    assert [t.name for t in tensors] == [i.name for i in onnx.load(str(written / "model.onnx")).graph.input]
    feeds = {t.name: numpy_helper.to_array(t) for t in tensors}
    expected = [numpy_helper.to_array(onnx.load_tensor(p)) for p in sorted(glob.glob(str(data / "output_*.pb")))]
    outputs = _ort(Path(case.model_dir) / "model.onnx", feeds)
    # Bit for bit the mismatch that was seen: same inputs, same model, same runtime.
    np.testing.assert_array_equal(outputs[0], failing["actual"]["output"])
    np.testing.assert_array_equal(expected[0], failing["expected"]["output"])
    with pytest.raises(AssertionError, match="Mismatched elements"):
        Runner.assert_similar_outputs(expected, outputs, rtol=case.rtol, atol=case.atol, model_dir=case.model_dir)


def test_readme_says_how_to_reproduce_and_what_was_seen(written: Path, failing: dict) -> None:
    text = (written / "README.md").read_text()
    error = np.abs(failing["actual"]["output"].astype(np.float64) - failing["expected"]["output"])
    where = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), error.shape))
    assert f"max|runtime-pytorch| = {error.max():.6g} at {where}" in text
    for needle in ("sr-model verify model.onnx --scale 2.5 --shape 1x3x17x9", str(TOLERANCE),
                   f"onnxruntime: {onnxruntime.__version__}", "regression: wrong_cubic_coeff_a",
                   "polygraphy run model.onnx --onnxrt --load-inputs inputs.json"):
        assert needle in text, needle


def test_existing_case_is_never_overwritten(written: Path, failing: dict) -> None:
    before = {p: p.stat().st_mtime_ns for p in written.rglob("*")}
    with pytest.raises(ReproExistsError, match="already exists; remove it") as raised:
        _write(written.parent, failing, command="something else")
    assert isinstance(raised.value, SrModelError) and str(written) in str(raised.value)
    assert {p: p.stat().st_mtime_ns for p in written.rglob("*")} == before
    assert "something else" not in (written / "README.md").read_text()


def test_a_failed_write_leaves_nothing(tmp_path: Path, failing: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(repro, "_readme", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        _write(tmp_path, failing)
    assert os.listdir(tmp_path) == []


def test_inputs_not_named_as_the_graph_are_refused(tmp_path: Path, failing: dict) -> None:
    inputs = {"image": failing["inputs"]["input"], "factor": failing["inputs"]["factor"]}
    with pytest.raises(ReproError, match=r"inputs names \['factor', 'image'\] do not match the graph's"):
        write_repro(tmp_path, failing["path"], inputs, failing["expected"], actual=None, case_id="c",
                    tolerance="", provenance={}, versions={}, command="")
    assert os.listdir(tmp_path) == []


def test_without_runtime_output_the_readme_says_so(tmp_path: Path, failing: dict) -> None:
    folder = _write(tmp_path, failing, actual=None, tolerance="a bound without terms")
    assert "observed: not recorded" in (folder / "README.md").read_text()
    assert not (folder / "data.json").exists()  # onnx's loader then applies its own defaults


def test_inputs_json_is_what_polygraphy_loads(failing: dict) -> None:
    polygraphy_json = pytest.importorskip("polygraphy.json")
    (feed,) = polygraphy_json.from_json(polygraphy_feeds_json(failing["inputs"]))
    assert list(feed) == ["input", "factor"]
    for name, array in failing["inputs"].items():
        assert feed[name].dtype == array.dtype
        np.testing.assert_array_equal(feed[name], array)


def test_replay_fails_the_same_way_under_polygraphy(written: Path, failing: dict) -> None:
    pytest.importorskip("polygraphy")
    from polygraphy.backend.onnxrt import OnnxrtRunner, SessionFromOnnx
    from polygraphy import comparator
    from polygraphy.comparator import Comparator, RunResults
    from polygraphy.json import load_json

    # SimpleCompareFunc replaces CompareFunc.simple (deprecated in 0.53, removed in 0.60).
    simple = getattr(comparator, "SimpleCompareFunc", None) or comparator.CompareFunc.simple

    feeds = load_json(str(written / "inputs.json"))
    with OnnxrtRunner(SessionFromOnnx(str(written / "model.onnx"), providers=["cpu"])) as runner:
        outputs = runner.infer(feeds[0])
    np.testing.assert_array_equal(outputs["output"], failing["actual"]["output"])
    results = Comparator.run([OnnxrtRunner(SessionFromOnnx(str(written / "model.onnx")))], data_loader=feeds)
    results.extend(RunResults.load(str(written / "expected_outputs.json")))
    accuracy = Comparator.compare_accuracy(results, compare_func=simple(atol=TOLERANCE.atol, rtol=TOLERANCE.rtol))
    assert not bool(accuracy)
