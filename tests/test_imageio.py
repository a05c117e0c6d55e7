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


def test_write_image_uses_the_format_of_the_extension(tmp_path: Path) -> None:
    from PIL import Image

    array = image_to_nchw(np.random.default_rng(0).integers(0, 256, size=(6, 4, 3), dtype=np.uint8))
    for name, expected in [("x.jpg", "JPEG"), ("x.png", "PNG"), ("x.tiff", "TIFF")]:
        with Image.open(write_image(array, tmp_path / name)) as image:
            assert image.format == expected


@pytest.mark.parametrize("name", ["x.gif", "x", "x.txt"])
def test_write_image_refuses_an_extension_it_cannot_honour(tmp_path: Path, name: str) -> None:
    from sr_model.errors import UsageError

    with pytest.raises(UsageError, match="but the format is chosen by it; expected one of .*\\.png"):
        write_image(np.zeros((1, 3, 2, 2), np.float32), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_write_image_refuses_a_missing_folder_and_creates_none(tmp_path: Path) -> None:
    from sr_model.errors import UsageError

    with pytest.raises(UsageError, match="output folder .*missing' does not exist"):
        write_image(np.zeros((1, 3, 2, 2), np.float32), tmp_path / "missing" / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_16_bit_grey_maps_0_and_65535_to_0_and_255(tmp_path: Path) -> None:
    from PIL import Image

    from sr_model.imageio import load_image

    Image.fromarray(np.array([[0, 257, 65535]], dtype=np.uint16)).save(tmp_path / "g.png")
    loaded = load_image(tmp_path / "g.png")
    assert loaded.mode.startswith("I") and loaded.notes
    np.testing.assert_allclose(loaded.pixels[0, :, 0], [[0, 1, 255]] * 3, atol=1e-4)
