"""`sr-model verify` and the engine behind it: passes on real exports, names the cause on broken ones."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from sr_model.cli import main
from sr_model.engine import reference as reference_module
from sr_model.engine.cases import sweep_cases, verify_cases
from sr_model.engine.reference import resolve_reference
from sr_model.engine.results import SCHEMA, CaseResult
from sr_model.engine.run import verify_file
from sr_model.errors import CheckpointError
from sr_model.export import supported_opsets
from sr_model.model import random_model
from sr_model.progress import plain_progress
from sr_model.testing import mutations

# Small sweeps keep these tests fast; the default sweep runs once, on one file.
_FAST = ["--scales", "1", "2", "2.5", "3", "2x3", "--sizes", "1x1", "17x9", "40x24", "--no-progress"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed-1 weights saved as a plain state dict: not the weights any default would pick."""
    path = tmp_path_factory.mktemp("ckpt") / "seed1.pth"
    torch.save(random_model(seed=1).state_dict(), path)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, checkpoint: Path) -> dict[str, Path]:
    """Files written by `sr-model export`: both exporters, two opsets each, from `checkpoint`."""
    folder = tmp_path_factory.mktemp("exports")
    files = {}
    for exporter, opset in [("torchscript", 11), ("torchscript", 17), ("dynamo", 18), ("dynamo", 20)]:
        if opset not in supported_opsets(exporter):
            continue
        path = folder / f"{exporter}-{opset}.onnx"
        assert main(["export", "-o", str(path), "--exporter", exporter, "--opset", str(opset),
                     "--checkpoint", str(checkpoint)]) == 0
        files[f"{exporter}-{opset}"] = path
    return files


@pytest.fixture(scope="module")
def good(exported: dict[str, Path]) -> onnx.ModelProto:
    return onnx.load(exported["torchscript-17"])


def _verify(capsys, *args: str) -> tuple[int, str, dict]:
    """Run the CLI; return its exit code, stdout and report.json (when --report was given)."""
    code = main(["verify", *args])
    out = capsys.readouterr().out
    report = {}
    if "--report" in args:
        report = json.loads(Path(args[args.index("--report") + 1], "report.json").read_text(),
                            parse_constant=lambda name: pytest.fail(f"report.json contains {name}"))
    return code, out, report


@pytest.mark.parametrize("name", ["torchscript-11", "torchscript-17", "dynamo-18", "dynamo-20"])
def test_verify_passes_on_a_file_from_sr_model_export(name, exported, checkpoint, tmp_path, capsys) -> None:
    if name not in exported:
        pytest.skip(f"{name} is not supported by the installed torch/onnx")
    code, out, report = _verify(capsys, str(exported[name]), "--checkpoint", str(checkpoint),
                                "--report", str(tmp_path), *_FAST)
    assert code == 0, out
    assert "PASS: 15/15 cases conform" in out
    assert report["passed"] is True and report["summary"]["cases_passed"] == 15
    assert report["targets"][0]["graph"] == {"ok": True, "problems": []}
    assert report["targets"][0]["notes"] == []


@pytest.mark.parametrize("weights", [[], ["--random-weights"], ["--checkpoint", "CKPT"]],
                         ids=["shipped", "random", "checkpoint"])
@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
@pytest.mark.parametrize("form", ["resize", "decomposed"])
def test_verify_passes_both_forms_from_both_exporters_with_any_weights(form, exporter, weights, checkpoint,
                                                                        tmp_path, capsys) -> None:
    """Issue 11, commands 1 and 3: the form is detected from the graph and export's weights are
    verify's default, so a correct file passes whichever weights it was exported with."""
    weights = [str(checkpoint) if arg == "CKPT" else arg for arg in weights]
    path = tmp_path / "m.onnx"
    assert main(["export", "-o", str(path), "--exporter", exporter, "--resize", form, *weights]) == 0
    code, out, report = _verify(capsys, str(path), *weights, "--report", str(tmp_path / "r"), *_FAST)
    assert code == 0, out
    assert f"{form} form (detected)" in out and "PASS: 15/15 cases conform" in out
    assert report["passed"] is True and report["targets"][0]["model"]["form"] == form


def test_verify_names_a_weights_mismatch_in_one_line_before_any_case(exported, capsys) -> None:
    """A file exported from seed-1 weights, verified against the default (shipped) weights."""
    code, out, _ = _verify(capsys, str(exported["torchscript-17"]), *_FAST)
    assert code == 1
    (line,) = [line for line in out.splitlines() if line.startswith("weights:")]
    assert "exported from other weights" in line and "no case was run" in line and "--checkpoint" in line
    assert "FAIL: 0/0 cases conform" in out


def test_verify_default_sweep_passes_with_random_weights(tmp_path, capsys) -> None:
    path = tmp_path / "random.onnx"
    assert main(["export", "-o", str(path), "--random-weights"]) == 0
    code, out, _ = _verify(capsys, str(path), "--random-weights", "--no-progress")
    assert code == 0, out
    cases = len(verify_cases())  # the sweep plus the contract edge cases
    assert f"PASS: {cases}/{cases} cases conform" in out


@pytest.mark.parametrize("drop_factor_input", [False, True], ids=["factor-unused", "factor-removed"])
def test_verify_fails_on_a_frozen_scale_and_says_so(drop_factor_input, good, checkpoint, tmp_path, capsys) -> None:
    path = tmp_path / "frozen.onnx"
    onnx.save(mutations.freeze_scales(good, (1, 1, 3, 3), drop_factor_input=drop_factor_input), path)
    code, out, report = _verify(capsys, str(path), "--checkpoint", str(checkpoint),
                                "--report", str(tmp_path / "report"), *_FAST)
    assert code == 1
    assert out.count("FAIL") >= 1 and "the scale was frozen at export" in out
    target = report["targets"][0]
    assert any("Resize scales='frozen_scales'" in problem for problem in target["graph"]["problems"])
    assert any("output size ignores the factor" in note and "effectively 3x3" in note for note in target["notes"])
    # The frozen x3 happens to be right at x3 only; every other scale gives a wrong shape.
    for case in target["cases"]:
        is_x3 = case["scale_h"] == case["scale_w"] == 3.0
        assert case["status"] == ("pass" if is_x3 else "shape-mismatch"), case["message"]
    assert report["summary"]["worst"]["status"] == "shape-mismatch"


def test_verify_fails_on_a_wrong_cubic_coefficient_and_says_so(good, checkpoint, tmp_path, capsys) -> None:
    path = tmp_path / "a-0.5.onnx"
    onnx.save(mutations.set_resize_attribute(good, "cubic_coeff_a", -0.5), path)
    code, out, report = _verify(capsys, str(path), "--checkpoint", str(checkpoint),
                                "--report", str(tmp_path / "report"), *_FAST)
    assert code == 1
    assert "graph: Resize cubic_coeff_a=-0.5, but should be -0.75" in out
    target = report["targets"][0]
    assert any("the resampling differs, not the convolutions" in note for note in target["notes"])
    statuses = {case["id"]: case["status"] for case in target["cases"]}
    # x1 is a copy (no kernel), and a 1x1 image is constant: both are blind to the coefficient.
    assert {cid for cid, status in statuses.items() if status == "pass"} == {
        cid for cid in statuses if cid.startswith("x1-") or cid.endswith("-1x3x1x1")
    }
    worst = report["summary"]["worst"]
    assert worst["status"] == "fail" and worst["max_abs"] > 0.1 and worst["min_atol"] > worst["atol"]
    assert "max|ort-torch|=" in out and "min atol that would pass" in out


def test_verify_names_other_weights_as_the_cause_without_provenance(exported, tmp_path, capsys) -> None:
    """A file from another producer (no sr_model metadata), exported from seed-1 weights."""
    model = onnx.load(exported["torchscript-17"])
    del model.metadata_props[:]
    path = tmp_path / "foreign.onnx"
    onnx.save(model, path)
    code, out, _ = _verify(capsys, str(path), "--random-weights", *_FAST)
    assert code == 1
    assert "conv1.weight (64, 3, 9, 9) differs from the reference's" in out
    assert "values differ even at x1" in out


def test_verify_reports_a_file_onnx_runtime_cannot_load(good, checkpoint, tmp_path, capsys) -> None:
    broken = mutations.set_resize_attribute(good, "mode", "no-such-mode")
    path = tmp_path / "bad-mode.onnx"
    onnx.save(broken, path)
    code, out, report = _verify(capsys, str(path), "--checkpoint", str(checkpoint),
                                "--report", str(tmp_path / "report"), *_FAST)
    assert code == 1
    target = report["targets"][0]
    assert "Resize mode='no-such-mode', but should be 'cubic'" in target["graph"]["problems"]
    assert target["load_error"].startswith("onnxruntime cannot load the file") and "no-such-mode" in target["load_error"]
    assert target["cases"] == [] and "load: onnxruntime cannot load the file" in out


def test_report_files_and_schema(good, checkpoint, tmp_path, capsys) -> None:
    path = tmp_path / "a-0.5.onnx"
    onnx.save(mutations.set_resize_attribute(good, "cubic_coeff_a", -0.5), path)
    folder = tmp_path / "report"
    _code, _out, report = _verify(capsys, str(path), "--checkpoint", str(checkpoint), "--report", str(folder),
                                  "--scales", "1", "2", "--sizes", "17x9", "8x8", "--no-progress")
    assert report["schema"] == SCHEMA == "sr_model.verify/2"
    assert set(report) == {"schema", "passed", "summary", "reference", "environment", "targets", "images"}
    assert set(report["summary"]) >= {"passed", "cases", "cases_passed", "cases_failed", "worst"}
    assert set(report["targets"][0]) == {"name", "model", "passed", "graph", "runtime", "load_error", "mismatch",
                                         "skipped", "notes", "outcomes", "cases"}
    assert set(report["targets"][0]["cases"][0]) == {
        "target", "id", "scale_h", "scale_w", "input_shape", "torch_shape", "ort_shape", "status", "passed",
        "outcome", "test", "max_abs", "mean_abs", "p99_abs", "argmax", "min_atol", "atol", "rtol",
        "tolerance_reason", "histogram", "error", "runtime", "deviation", "deviation_problem", "localisation", "repro",
        "message",
    }
    assert report["reference"]["weights"] == "checkpoint"
    # The PNGs show the worst case, at its output size, and report.md links them.
    worst_case = next(c for c in report["targets"][0]["cases"] if c["id"] == report["summary"]["worst"]["id"])
    assert report["images"]["case"] == worst_case["id"]
    for key, name in report["images"]["files"].items():
        with Image.open(folder / name) as image:
            assert image.size == (worst_case["torch_shape"][3], worst_case["torch_shape"][2]), key
    markdown = (folder / "report.md").read_text()
    assert markdown.startswith("# sr_model verification: FAIL")
    assert "![difference](worst_difference.png)" in markdown and "cubic_coeff_a=-0.5" in markdown
    assert sorted(p.name for p in folder.iterdir()) == [
        "report.json", "report.md", "worst_difference.png", "worst_ort.png", "worst_torch.png"]


def test_case_result_round_trips_through_json(good, checkpoint, tmp_path) -> None:
    path = tmp_path / "frozen.onnx"
    onnx.save(mutations.freeze_scales(good), path)
    reference = resolve_reference(checkpoint=checkpoint)
    report = verify_file(path, reference, sweep_cases([(2.0, 2.0), (3.0, 3.0)], [(9, 5)]))
    for case in report.cases:
        again = CaseResult.from_dict(json.loads(json.dumps(case.to_dict())))
        assert again.to_dict() == case.to_dict()
        assert again.status == case.status and again.badness() == case.badness()


@pytest.mark.parametrize(
    "args",
    [["--scales", "abc"], ["--scales", "0"], ["--scales", "2x-1"], ["--sizes", "0x3"], ["--sizes", "1.5"],
     ["--random-weights", "--checkpoint", "x.pth"]],
    ids=["scale-text", "scale-zero", "scale-negative", "size-zero", "size-float", "two-weight-sources"],
)
def test_usage_errors_exit_2(args, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", str(tmp_path / "m.onnx"), *args])
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_missing_or_unreadable_file_is_one_error_line(tmp_path, capsys) -> None:
    assert main(["verify", str(tmp_path / "missing.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err and "Traceback" not in err
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00not an onnx model" * 10)
    assert main(["verify", str(garbage)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a readable ONNX model" in err


def test_reference_defaults_to_the_shipped_weights_and_never_falls_back(checkpoint, tmp_path, monkeypatch) -> None:
    import sr_model.paths

    monkeypatch.setattr(sr_model.paths, "DEFAULT_CHECKPOINT", tmp_path / "srcnn.pth")
    with pytest.raises(CheckpointError, match="shipped weights .* are missing"):
        resolve_reference()
    (tmp_path / "srcnn.pth").write_bytes(checkpoint.read_bytes())
    shipped = resolve_reference()
    assert shipped.weights == "shipped" and "the shipped weights" in shipped.label
    expected = random_model(seed=1).state_dict()
    assert all(torch.equal(value, expected[key]) for key, value in shipped.model.state_dict().items())
    assert resolve_reference(random_weights=True).weights == "random"
    assert reference_module.resolve_reference(checkpoint=checkpoint).weights == "checkpoint"


def test_plain_progress_is_silent_on_short_runs_and_reports_long_ones() -> None:
    quiet, loud = io.StringIO(), io.StringIO()
    assert list(plain_progress(range(3), 3, "sweep", delay=60, stream=quiet)) == [0, 1, 2]
    assert quiet.getvalue() == ""
    assert list(plain_progress(range(3), 3, "sweep", delay=0, interval=0, stream=loud)) == [0, 1, 2]
    assert loud.getvalue().splitlines()[0].startswith("sweep: 1/3 0") and "3/3 done" in loud.getvalue()


def test_difference_image_marks_where_the_outputs_differ() -> None:
    from sr_model.report import worst_case_images
    from sr_model.engine.compare import compare
    from sr_model.engine.tolerance import model_tolerance

    expected = np.zeros((1, 3, 8, 8), dtype=np.float32)
    actual = expected.copy()
    actual[0, 1, 6, 2] = 0.5
    case = CaseResult("t", "c", 1.0, 1.0, (1, 3, 8, 8), model_tolerance(8, 8),
                      compare(actual, expected, model_tolerance(8, 8)))
    images, notes = worst_case_images(case, expected, actual)
    difference = np.asarray(Image.open(io.BytesIO(images["difference"])))
    assert difference[6, 2].tolist() == [255, 255, 255]
    assert int(difference.sum()) == 3 * 255 and notes["gain"] == pytest.approx(510.0)


def test_verify_on_an_unrelated_model_says_what_is_missing(tmp_path, capsys) -> None:
    """Issue 14: a one-Relu file is told it has no upsampling, not that its scale was frozen."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    code, out, _ = _verify(capsys, str(path), "--no-progress")
    assert code == 1
    assert "no upsampling found" in out and "graph inputs ['x'] are not the contract's" in out
    assert "frozen" not in out and "_FeedError" not in out and "convolutions" not in out


_TUTORIAL_MODULE = '''
import torch
import torch.nn.functional as F

from sr_model.engine.reference import resolve_reference
from sr_model.model import _SRCNNLayers


class NewInterpolate(torch.autograd.Function):
    """The tutorial's op: exports a Resize fed by `factor`; its eager forward is F.interpolate."""

    @staticmethod
    def symbolic(g, input, scales):
        roi = g.op("Constant", value_t=torch.tensor([], dtype=torch.float32))
        return g.op("Resize", input, roi, scales, coordinate_transformation_mode_s="pytorch_half_pixel",
                    cubic_coeff_a_f=-0.75, mode_s="cubic", nearest_mode_s="floor")

    @staticmethod
    def forward(ctx, input, scales):
        return F.interpolate(input, scale_factor=scales.tolist()[-2:], mode="bicubic", align_corners=False)


class Tutorial(_SRCNNLayers):
    def forward(self, input, factor):
        return self.refine(NewInterpolate.apply(input, factor))


def factory():
    model = Tutorial()
    model.load_state_dict(resolve_reference().model.state_dict())
    return model.eval()
'''


@pytest.fixture
def tutorial_files(tmp_path, monkeypatch):
    """The tutorial's model exported without and with dynamic axes (FACTS 2), its module importable."""
    import sys
    import warnings

    (tmp_path / "tutorial_model.py").write_text(_TUTORIAL_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("tutorial_model", None)
    import tutorial_model

    model = tutorial_model.factory()
    example = (torch.rand(1, 3, 64, 64) * 255, torch.tensor([1.0, 1.0, 3.0, 3.0]))
    names = {"input_names": ["input", "factor"], "output_names": ["output"], "opset_version": 11, "dynamo": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, tmp_path / "static.onnx", **names)
        torch.onnx.export(model, example, tmp_path / "dynamic.onnx", **names, dynamic_axes={
            "input": {0: "N", 2: "H", 3: "W"}, "output": {0: "N", 2: "OH", 3: "OW"}})
    return tmp_path


def test_verify_suggests_dynamic_axes_for_a_file_of_fixed_size(tutorial_files, capsys) -> None:
    code, out, _ = _verify(capsys, str(tutorial_files / "static.onnx"), "--no-progress")
    assert code == 1
    assert "its size was frozen at export; export with dynamic_axes=" in out
    assert "index: 2 Got: 128 Expected: 64" in out  # ORT's own words are kept, on one line


def test_verify_tells_an_interpolate_forward_to_use_the_op(tutorial_files, capsys) -> None:
    """With dynamic axes the FILE is right (it passes against the shipped reference); the tutorial's
    eager forward is what leaves the contract, and verify says which line to change."""
    assert _verify(capsys, str(tutorial_files / "dynamic.onnx"), "--no-progress")[0] == 0
    code, out, _ = _verify(capsys, str(tutorial_files / "dynamic.onnx"), "--model", "tutorial_model:factory",
                           "--no-progress")
    assert code == 1
    assert "the eager model sizes its output in float64 (x1.3-1x3x10x10: torch (12, 12)" in out
    assert "returns the input unchanged and the eager model resamples" in out
    assert out.count("sr_model.ops.bicubic_resize(input, factor)") >= 2
    assert "check the Resize attributes" not in out


def test_a_resize_only_file_is_not_told_about_convolutions(good, tmp_path, capsys) -> None:
    """Issue 14: a file with the right names and a nearest-mode Resize, and no convolution at all."""
    from sr_model.engine.oracle import resize_subgraph

    path = tmp_path / "nearest.onnx"
    onnx.save(mutations.set_resize_attribute(resize_subgraph(good), "mode", "nearest"), path)
    code, out, _ = _verify(capsys, str(path), "--random-weights", *_FAST)
    assert code == 1 and "graph: Resize mode='nearest', but should be 'cubic'" in out
    assert "convolution" not in out


def test_a_gpu_reference_without_a_gpu_is_one_line(good, tmp_path, capsys) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the reference would run there")
    path = tmp_path / "m.onnx"
    onnx.save(good, path)
    assert main(["verify", str(path), "--reference-device", "cuda", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sees no CUDA device" in err
