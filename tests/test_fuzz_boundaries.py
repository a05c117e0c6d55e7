"""Fuzzing the boundaries: arbitrary factors, shapes, dtypes and bytes either work correctly or
raise one of the package's typed errors; never a crash, a hang or a wrong-shaped result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sr_model import ops
from sr_model.errors import SrModelError
from sr_model.validation import SCALE_MAX, SCALE_MIN

# The ci profile's fuzz depth is >= 500 examples per property (dev keeps its own small count).
_EXAMPLES = max(500, settings.default.max_examples) if settings.default.max_examples >= 200 else settings.default.max_examples
_DTYPES = st.sampled_from([np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_])


def _factors() -> st.SearchStrategy[np.ndarray]:
    special = st.sampled_from([0.0, -1.0, 0.5, 1.0, 2.0, 8.0, 8.0001, 1e9, float("nan"), float("inf")])
    values = st.one_of(special, st.floats(allow_nan=True, allow_infinity=True, width=32))
    shapes = st.one_of(st.just((4,)), hnp.array_shapes(min_dims=0, max_dims=3, max_side=5))
    return st.one_of(
        st.lists(values, min_size=2, max_size=2).map(lambda s: np.array([1, 1, *s], np.float32)),
        st.tuples(shapes, _DTYPES).flatmap(
            lambda sd: hnp.arrays(sd[1], sd[0], elements=values if sd[1] in (np.float32, np.float64) else None)
        ),
    )


def _images() -> st.SearchStrategy[np.ndarray]:
    shapes = st.one_of(
        st.tuples(st.integers(1, 2), st.just(3), st.integers(1, 12), st.integers(1, 12)),
        hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=6),
    )
    elements = st.floats(-1e3, 1e3, width=32) | st.sampled_from([float("nan"), float("inf")])
    return st.tuples(shapes, _DTYPES).flatmap(
        lambda sd: hnp.arrays(sd[1], sd[0], elements=elements if sd[1] == np.float32 else None)
    )


def _expected_hw(image: np.ndarray, factor: np.ndarray) -> tuple[int, int]:
    return ops.output_size(image.shape[2], float(factor[2])), ops.output_size(image.shape[3], float(factor[3]))


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(image=_images(), factor=_factors())
def test_eager_op_returns_a_correct_shape_or_a_typed_error(image: np.ndarray, factor: np.ndarray) -> None:
    try:
        out = ops.bicubic_resize(torch.from_numpy(np.ascontiguousarray(image)), torch.from_numpy(np.ascontiguousarray(factor)))
    except SrModelError:
        return
    assert out.shape == (image.shape[0], 3, *_expected_hw(image, factor))
    assert SCALE_MIN <= float(factor[2]) <= SCALE_MAX and SCALE_MIN <= float(factor[3]) <= SCALE_MAX


@pytest.fixture(scope="module")
def _session(tmp_path_factory: pytest.TempPathFactory):
    from sr_model.export import export_onnx
    from sr_model.model import random_model
    from sr_model.runtime import create_session

    return create_session(export_onnx(tmp_path_factory.mktemp("fuzz") / "m.onnx", random_model(0), opset=17))


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(image=_images(), factor=_factors())
def test_runtime_returns_a_correct_shape_or_a_typed_error(_session, image: np.ndarray, factor: np.ndarray) -> None:
    from sr_model.runtime import run_session

    try:
        out = run_session(_session, image, factor)
    except SrModelError:
        return
    assert out.shape == (image.shape[0], 3, *_expected_hw(image, factor))
    assert np.isfinite(out).all()


# --- byte strings: arbitrary bytes, and valid files truncated or with flipped bytes --------------

REPO = Path(__file__).resolve().parents[1]


def _mangled(valid: bytes) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, a prefix of a valid file, or a valid file with a few bytes overwritten."""
    flips = st.lists(st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)), min_size=1, max_size=8)

    def flip(edits: list[tuple[int, int]]) -> bytes:
        data = bytearray(valid)
        for index, value in edits:
            data[index] = value
        return bytes(data)

    return st.one_of(st.binary(max_size=2048), st.integers(0, len(valid)).map(lambda n: valid[:n]), flips.map(flip))


def _byte_fuzz(call, data: bytes, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    try:
        call(path)
    except SrModelError:
        pass


_FACE = (REPO / "sr_model/data/face.png").read_bytes()
_CHECKPOINT = (REPO / "sr_model/data/srcnn.pth").read_bytes()


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=_mangled(_FACE))
def test_image_bytes_decode_or_raise_a_typed_error(data: bytes, tmp_path: Path) -> None:
    from sr_model.imageio import read_image

    _byte_fuzz(read_image, data, tmp_path, "x.png")


def _flipped(data: bytes, index: int, value: int) -> bytes:
    return data[:index] + bytes([value]) + data[index + 1 :]


# Pinned: single flipped bytes in the archive's first entry made torch.load raise
# UnicodeDecodeError and IndexError, which escaped as untyped errors before checkpoint.py caught them.
@example(data=_flipped(_CHECKPOINT, 134, 128))
@example(data=_flipped(_CHECKPOINT, 118, 129))
@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=_mangled(_CHECKPOINT))
def test_checkpoint_bytes_load_or_raise_a_typed_error(data: bytes, tmp_path: Path) -> None:
    from sr_model.checkpoint import load_checkpoint
    from sr_model.model import DynamicSRCNN

    _byte_fuzz(lambda p: load_checkpoint(p, DynamicSRCNN()), data, tmp_path, "x.pth")


@pytest.fixture(scope="module")
def _onnx_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from sr_model.export import export_onnx
    from sr_model.model import random_model

    return export_onnx(tmp_path_factory.mktemp("fuzz") / "m.onnx", random_model(0), opset=17).read_bytes()


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_onnx_bytes_load_or_raise_a_typed_error(_onnx_bytes: bytes, data, tmp_path: Path) -> None:
    from sr_model.runtime import create_session

    _byte_fuzz(create_session, data.draw(_mangled(_onnx_bytes), label="onnx_bytes"), tmp_path, "x.onnx")
