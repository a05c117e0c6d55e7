"""Image helpers: PNG <-> NCHW float32 in 0..255, RGB order, clipping and rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sr_model.errors import InputImageError
from sr_model.imageio import image_to_nchw, nchw_to_image, read_image, write_image


def test_png_round_trip_is_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    array = image_to_nchw(pixels)
    assert array.shape == (1, 3, 7, 5) and array.dtype == np.float32
    write_image(array, tmp_path / "x.png")
    np.testing.assert_array_equal(read_image(tmp_path / "x.png"), array)


def test_channel_order_is_rgb(tmp_path: Path) -> None:
    red = np.zeros((2, 2, 3), dtype=np.uint8)
    red[..., 0] = 255
    array = image_to_nchw(red)
    assert array[0, 0].min() == 255 and array[0, 1:].max() == 0


def test_output_is_clipped_and_rounded() -> None:
    array = np.array([-3.0, 0.4, 0.6, 254.5, 300.0], dtype=np.float32).reshape(1, 1, 1, 5).repeat(3, axis=1)
    assert nchw_to_image(array)[0, :, 0].tolist() == [0, 0, 1, 254, 255]  # rint: 254.5 -> 254 (even)


def test_unreadable_file_gets_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(b"\x89PNG garbage")
    with pytest.raises(InputImageError, match="cannot be decoded"):
        read_image(path)
