"""Negative controls for the tolerance policy with the trained weights on the real face: the derived
bound still rejects the mistakes the suite exists to catch (a wrong cubic coefficient, a wrong
coordinate mapping), far beyond the bound."""

from __future__ import annotations


import onnx
import pytest
import torch

from sr_model.checkpoint import load_checkpoint
from sr_model.degrade import downsample
from sr_model.export import export_onnx
from sr_model.imageio import read_image
from sr_model.model import DynamicSRCNN, make_factor
from sr_model.paths import DEFAULT_CHECKPOINT, FACE_IMAGE
from sr_model.engine.compare import compare
from sr_model.engine.reference import from_model
from sr_model.engine.tolerance import expect
from sr_model.runtime import create_session, run_session


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[DynamicSRCNN, onnx.ModelProto]:
    model = load_checkpoint(DEFAULT_CHECKPOINT, DynamicSRCNN())
    path = export_onnx(tmp_path_factory.mktemp("trained") / "m.onnx", model)
    return model, onnx.load(path)


def _with_resize_attribute(proto: onnx.ModelProto, name: str, value: object) -> bytes:
    mutated = onnx.ModelProto()
    mutated.CopyFrom(proto)
    (resize,) = [node for node in mutated.graph.node if node.op_type == "Resize"]
    kept = [a for a in resize.attribute if a.name != name]
    del resize.attribute[:]
    resize.attribute.extend([*kept, onnx.helper.make_attribute(name, value)])
    return mutated.SerializeToString()


@pytest.mark.parametrize(
    ("name", "value"),
    # Not half_pixel: it equals pytorch_half_pixel unless an output axis is 1 px long.
    [("cubic_coeff_a", -0.5), ("coordinate_transformation_mode", "asymmetric"),
     ("coordinate_transformation_mode", "align_corners")],
)
@pytest.mark.parametrize("scale", [2.0, 3.0])
def test_trained_tolerance_rejects_a_wrong_resize(exported, name: str, value: object, scale: float) -> None:
    model, proto = exported
    size = round(256 / scale)
    image = downsample(torch.from_numpy(read_image(FACE_IMAGE)), (size, size)).numpy()
    factor = make_factor(scale).numpy()
    wrong = run_session(create_session(_with_resize_attribute(proto, name, value)), image, factor)
    expectation = expect(from_model(model), image, factor, "face")
    comparison = compare(wrong, expectation.expected, expectation.tolerance)
    assert not comparison.passed, f"{name}={value!r} passed with max|diff|={comparison.max_abs:.3g}"
    # Not a near miss: the error is far beyond the tolerance.
    assert comparison.max_abs > 10 * expectation.tolerance.atol
