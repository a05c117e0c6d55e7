"""PyTorch vs ONNX Runtime with the TRAINED weights (sr_model/data/srcnn.pth) on the real face.

The random-weight grid (test_parity_grid.py) proves every (exporter, opset) on noise; this file
checks the deployed combination: trained weights, which sharpen and so amplify the two runtimes'
bicubic rounding differences more than random weights do, on natural content, at the demo's sizes.

Which files: the trained model is exported ONCE per module for each selected exporter (`--exporter`,
default both) at the opsets selected by `--opset` if given, else at the exporter's default opset
(torchscript 17, dynamo 20). `--onnx-model` does not apply (its weights are unknown).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
import torch

from sr_model.checkpoint import load_checkpoint
from sr_model.degrade import downsample
from sr_model.export import EXPORTERS, default_opset, export_onnx, supported_opsets
from sr_model.imageio import read_image
from sr_model.model import DynamicSRCNN, make_factor
from sr_model.paths import DEFAULT_CHECKPOINT, FACE_IMAGE
from sr_model.testing import asserts
from sr_model.testing.parity import ort_output, torch_output
from sr_model.testing.tolerance import trained_model_tolerance


class FaceCase(NamedTuple):
    """The face, shrunk to `size` px (antialiased, 8-bit) unless `size` is 256, upscaled by scales."""

    scale_h: float
    scale_w: float
    size: int

    @property
    def id(self) -> str:
        scales = f"{self.scale_h:g}" if self.scale_h == self.scale_w else f"{self.scale_h:g}x{self.scale_w:g}"
        return f"x{scales}-1x3x{self.size}x{self.size}"

    def image(self) -> np.ndarray:
        face = torch.from_numpy(read_image(FACE_IMAGE))
        return face.numpy() if self.size == face.shape[-1] else downsample(face, (self.size, self.size)).numpy()

    def factor(self) -> np.ndarray:
        return make_factor(self.scale_h, self.scale_w).numpy()


# The demo's cases (the face shrunk by s, restored by s), non-dyadic scales (where the runtimes'
# coordinate rounding differs), and the full face (the largest input: the error grows with size).
FACE_CASES: tuple[FaceCase, ...] = (
    FaceCase(2.0, 2.0, 128),
    FaceCase(3.0, 3.0, 85),
    FaceCase(4.0, 4.0, 64),
    FaceCase(2.5, 2.5, 102),
    FaceCase(3.7, 3.7, 69),
    FaceCase(2.0, 3.0, 85),
    FaceCase(2.0, 2.0, 256),
    FaceCase(2.5, 2.5, 256),
    FaceCase(1.3, 1.3, 256),
)


class TrainedTarget(NamedTuple):
    exporter: str
    opset: int

    @property
    def id(self) -> str:
        return f"{self.exporter}-opset{self.opset}"


def _trained_targets(config: pytest.Config) -> list[TrainedTarget]:
    exporters = config.getoption("--exporter") or list(EXPORTERS)
    opsets = config.getoption("--opset")
    targets = []
    for exporter in exporters:
        supported = supported_opsets(exporter)
        for opset in opsets or ([default_opset(exporter)] if supported else []):
            if opset in supported:
                targets.append(TrainedTarget(exporter, opset))
    return targets


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "trained_target" in metafunc.fixturenames:
        targets = _trained_targets(metafunc.config)
        metafunc.parametrize("trained_target", targets, ids=[t.id for t in targets], scope="module")


@pytest.fixture(scope="module")
def trained_model() -> DynamicSRCNN:
    return load_checkpoint(DEFAULT_CHECKPOINT, DynamicSRCNN())


@pytest.fixture(scope="module")
def trained_session(trained_target: TrainedTarget, trained_model, tmp_path_factory: pytest.TempPathFactory):
    """An ORT session on the trained model exported once for this target."""
    from sr_model.runtime import create_session

    folder = tmp_path_factory.mktemp("trained", numbered=True)
    path: Path = export_onnx(
        folder / f"{trained_target.id}.onnx", trained_model,
        exporter=trained_target.exporter, opset=trained_target.opset,
    )
    return create_session(path)


_torch_outputs: dict[str, np.ndarray] = {}


@pytest.mark.parametrize("case", FACE_CASES, ids=[case.id for case in FACE_CASES])
def test_parity_trained_face(trained_target, case: FaceCase, trained_session, trained_model) -> None:
    image, factor = case.image(), case.factor()
    if case.id not in _torch_outputs:
        _torch_outputs[case.id] = torch_output(trained_model, image, factor)
    expected = _torch_outputs[case.id]
    actual = ort_output(trained_session, image, factor)
    asserts.assert_parity(
        actual, expected, trained_model_tolerance(*image.shape[2:]),
        f"parity(trained, {trained_target.id}, {case.id})",
    )
