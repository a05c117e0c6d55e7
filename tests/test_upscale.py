"""The upscale helpers: factor parsing at the boundary, both backends, output shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sr_model.errors import FactorError, InputImageError, OnnxModelError
from sr_model.model import random_model
from sr_model.upscale import (
    bicubic,
    onnx_session_for,
    output_shape,
    parse_factor,
    upscale_onnxruntime,
    upscale_torch,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", (3.0, 3.0)), ("2.5", (2.5, 2.5)), ("2x3", (2.0, 3.0)), (" 1.5 X 4 ", (1.5, 4.0)), ("8", (8.0, 8.0))],
)
def test_factor_parsing(text: str, expected: tuple[float, float]) -> None:
    assert parse_factor(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("three", r"factor='three' is not a number or HxW pair; expected e.g. 3, 2.5 or 2x3"),
        ("2x3x4", r"factor='2x3x4' is not a number or HxW pair"),
        ("", r"factor='' is not a number"),
        ("0.5", r"scale_h=0.5 is outside \[1, 8\]"),
        ("2x9", r"scale_w=9.0 is outside \[1, 8\]"),
        ("nan", r"scale_h=nan is not finite"),
        ("-3", r"scale_h=-3.0 is outside \[1, 8\]"),
    ],
)
def test_bad_factors_are_refused_with_the_value_named(text: str, message: str) -> None:
    with pytest.raises(FactorError, match=message):
        parse_factor(text)


def test_backends_agree_and_shapes_follow_the_ort_size_rule(tmp_path: Path) -> None:
    from sr_model.export import export_onnx

    model = random_model(seed=3)
    session = onnx_session_for(export_onnx(tmp_path / "m.onnx", model))
    image = (np.random.default_rng(0).random((1, 3, 10, 7), dtype=np.float32) * 255).astype(np.float32)
    for scales in [(3.0, 3.0), (1.3, 2.0)]:
        expected_shape = output_shape(image, scales)
        eager, ort = upscale_torch(model, image, scales), upscale_onnxruntime(session, image, scales)
        assert eager.shape == ort.shape == bicubic(image, scales).shape == expected_shape
        assert float(np.abs(eager - ort).max()) < 1e-3
    assert output_shape(image, (1.3, 1.3))[2:] == (13, 9)  # float32 rule: 10 * 1.3 -> 13


def test_bad_images_and_models_get_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(InputImageError, match=r"image shape=\(1, 4, 5, 5\) has 4 channels, but should have 3"):
        upscale_torch(random_model(), np.zeros((1, 4, 5, 5), np.float32), (2.0, 2.0))
    with pytest.raises(OnnxModelError, match="does not exist"):
        onnx_session_for(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not onnx")
    with pytest.raises(OnnxModelError, match="ONNX Runtime cannot load"):
        onnx_session_for(junk)
