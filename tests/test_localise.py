"""Localisation: the first graph tensor that parts from the eager model is named, with its figure.

Files come from the real exporter, broken on purpose where a test needs a regression
(`sr_model.testing.broken`); the runtime is ONNX Runtime on the CPU. Which node must be named is
read from the graph itself (the producer of the first Conv's input, the first Conv), not from the
code under test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from sr_model.engine.localise import Localisation, localise, scaled_atol
from sr_model.export import export_onnx
from sr_model.model import random_model
from sr_model.testing.broken import BROKEN_EXPORTERS
from sr_model.engine.cases import ParityCase
from sr_model.engine.tolerance import resize_tolerance

CASE = ParityCase(2.5, 2.5, (1, 3, 17, 9))
# Per-tensor tolerance: the Resize-alone bound (0..255 data) scaled by each tensor's peak over 255.
# model_tolerance's atol (2e-4 here) is meant for the OUTPUT (peak ~25); a correct file's upsampled
# image and conv1 output (peaks ~300) differ from eager by 2.6e-4 and 2.4e-4, so it fails them.
ATOL_FOR = scaled_atol(resize_tolerance(*CASE.shape[2:]).atol)
BROKEN = {broken.name: broken for broken in BROKEN_EXPORTERS}


def ort_run(model: bytes, feeds: Mapping[str, np.ndarray], names: Sequence[str]) -> list[np.ndarray]:
    """The default runtime for these tests: ONNX Runtime on the CPU provider."""
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    return session.run(list(names), dict(feeds))


@pytest.fixture(scope="module")
def reference() -> torch.nn.Module:
    return random_model(0)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, reference: torch.nn.Module) -> dict[str, Path]:
    """Exported once per module: correct files, other weights, and the value-changing regressions."""
    folder = tmp_path_factory.mktemp("localise")
    paths = {}
    for form in ("resize", "decomposed"):
        paths[f"correct-{form}"] = export_onnx(folder / f"correct-{form}.onnx", reference, opset=17, resize=form)
    paths["weights1-resize"] = export_onnx(folder / "weights1.onnx", random_model(1), opset=17)
    for name, form in [("wrong_cubic_coeff_a", "resize"), ("wrong_coordinate_mode", "resize"),
                       ("wrong_mode", "resize"), ("wrong_keys_a_decomposed", "decomposed")]:
        with BROKEN[name].inject() as contract:
            paths[f"{name}-{form}"] = export_onnx(folder / f"{name}-{form}.onnx", reference, opset=17,
                                                  contract=contract, resize=form)
    return paths


def _localise(path: Path, eager: torch.nn.Module, run=ort_run) -> Localisation:
    return localise(path, eager, CASE.image(), CASE.factor(), run=run, atol_for=ATOL_FOR)


def _conv_nodes(path: Path) -> list[onnx.NodeProto]:
    return [node for node in onnx.load(str(path)).graph.node if node.op_type == "Conv"]


def _upsample_node(path: Path) -> onnx.NodeProto:
    graph = onnx.load(str(path)).graph
    (node,) = [node for node in graph.node if _conv_nodes(path)[0].input[0] in node.output]
    return node


@pytest.mark.parametrize("form", ["resize", "decomposed"])
def test_correct_file_localises_nothing(files: dict[str, Path], reference: torch.nn.Module, form: str) -> None:
    result = _localise(files[f"correct-{form}"], reference)
    assert result.first is None, result.describe()
    assert len(result.checked) == 4  # the upsampled image and three convolutions
    assert result.note == ""


@pytest.mark.parametrize("name, form, op_type", [
    ("wrong_cubic_coeff_a", "resize", "Resize"),
    ("wrong_mode", "resize", "Resize"),
    ("wrong_keys_a_decomposed", "decomposed", "MatMul"),
])
def test_broken_upsampling_is_named_first(files: dict[str, Path], reference: torch.nn.Module, name: str,
                                          form: str, op_type: str) -> None:
    path = files[f"{name}-{form}"]
    first = _localise(path, reference).first
    assert first is not None
    node = _upsample_node(path)
    assert (first.role, first.node, first.op_type) == ("upsample", node.name, op_type), first.describe()
    assert first.eager == "sr_model::bicubic_resize"
    # A kernel or mode change moves 0..255 values by whole units (A=-0.5: 17.2; linear: 51.9 here).
    assert first.max_abs > 1.0, first.describe()
    assert first.shape_graph == first.shape_eager == (1, 3, 42, 22)


def test_wrong_coordinate_mode_changes_no_value(files: dict[str, Path], reference: torch.nn.Module) -> None:
    # half_pixel and pytorch_half_pixel differ only for an output axis of length 1; with scales >= 1
    # that needs an input axis of length 1, whose four taps all clamp to the one pixel (ORT's values
    # then differ by ~1e-6 rounding). So only the graph check can catch this regression.
    result = _localise(files["wrong_coordinate_mode-resize"], reference)
    assert result.first is None, result.describe()


def test_other_weights_name_the_first_convolution(files: dict[str, Path], reference: torch.nn.Module) -> None:
    path = files["weights1-resize"]
    first = _localise(path, reference).first
    assert first is not None
    assert (first.role, first.node, first.eager) == ("conv", _conv_nodes(path)[0].name, "conv1"), first.describe()
    assert first.max_abs > 1.0
    assert first.weight_max_abs is not None and first.weight_max_abs > 0.01


def test_the_first_divergence_is_reported_not_the_worst(files: dict[str, Path], reference: torch.nn.Module) -> None:
    # A runtime that is wrong from conv2 on: conv3 differs more, but conv2 parts first.
    path = files["correct-resize"]
    conv2, conv3 = (node.output[0] for node in _conv_nodes(path)[1:])

    def run(model: bytes, feeds: Mapping[str, np.ndarray], names: Sequence[str]) -> list[np.ndarray]:
        offsets = {conv2: 0.5, conv3: 5.0}
        return [value + offsets.get(name, 0.0) for name, value in zip(names, ort_run(model, feeds, names))]

    first = _localise(path, reference, run).first
    assert first is not None
    assert (first.tensor, first.eager) == (conv2, "conv2")
    assert first.max_abs == pytest.approx(0.5, abs=1e-3)


class _OtherNet(torch.nn.Module):
    """A user's model whose convolutions do not correspond to the file's."""

    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Conv2d(3, 8, kernel_size=3, padding=1)

    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        return self.body(input)


def test_unmatched_model_gives_no_divergence_and_says_why(files: dict[str, Path]) -> None:
    result = _localise(files["correct-resize"], _OtherNet().eval())
    assert result.first is None
    assert result.checked == ()
    assert "does not match eager body [8, 3, 3, 3]" in result.note, result.note


def test_scaled_atol_follows_the_peak_with_a_floor() -> None:
    atol_for = scaled_atol(1e-3)
    assert atol_for(np.array([-510.0, 3.0])) == pytest.approx(2e-3)
    assert atol_for(np.zeros(3)) == pytest.approx(1e-3 / 64)
