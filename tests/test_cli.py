"""The `sr-model` command line: help with examples, upscale, demo, one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sr_model import cli
from sr_model.imageio import read_image, write_image


@pytest.mark.parametrize("command", [c.__name__.rsplit(".", 1)[-1] for c in cli.COMMANDS])
def test_every_subcommand_has_help_with_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "example" in text and f"sr-model {command}" in text


@pytest.fixture
def small_png(tmp_path: Path) -> Path:
    pixels = np.random.default_rng(0).integers(0, 256, size=(1, 3, 12, 9)).astype(np.float32)
    return write_image(pixels, tmp_path / "small.png")


@pytest.mark.parametrize(
    ("factor", "size"), [("3", (36, 27)), ("2x3", (24, 27)), ("1.3", (15, 11))]
)
def test_upscale_with_torch_writes_the_ort_sized_image(small_png: Path, tmp_path: Path, factor: str, size) -> None:
    out = tmp_path / "out.png"
    assert cli.main(["upscale", str(small_png), "-o", str(out), "--factor", factor]) == 0
    assert read_image(out).shape[2:] == size


def test_upscale_backends_write_the_same_picture(small_png: Path, tmp_path: Path) -> None:
    from sr_model.export import export_onnx
    from sr_model.commands.common import load_model
    from sr_model.paths import DEFAULT_CHECKPOINT

    onnx = export_onnx(tmp_path / "m.onnx", load_model(DEFAULT_CHECKPOINT))
    paths = {name: tmp_path / f"{name}.png" for name in ("torch", "ort_temp", "ort_file")}
    assert cli.main(["upscale", str(small_png), "-o", str(paths["torch"]), "--factor", "2.5"]) == 0
    assert cli.main(["upscale", str(small_png), "-o", str(paths["ort_temp"]), "--factor", "2.5",
                     "--backend", "onnxruntime"]) == 0
    assert cli.main(["upscale", str(small_png), "-o", str(paths["ort_file"]), "--factor", "2.5",
                     "--backend", "onnxruntime", "--onnx", str(onnx)]) == 0
    images = [read_image(path) for path in paths.values()]
    # Rounded to 8 bits, backends within ~1e-3 may differ by one level at a .5 boundary, not more.
    assert all(np.abs(image - images[0]).max() <= 1 for image in images)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--factor", "0.5"], "error: scale_h=0.5 is outside [1, 8]"),
        (["--factor", "2x9"], "error: scale_w=9.0 is outside [1, 8]"),
        (["--onnx", "m.onnx"], "error: --onnx m.onnx is only used with --backend onnxruntime"),
        (["--checkpoint", "nope.pth"], "error: checkpoint 'nope.pth' does not exist"),
    ],
)
def test_upscale_errors_are_one_line_without_traceback(
    small_png: Path, tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["upscale", str(small_png), "-o", str(tmp_path / "o.png"), *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("command", "value"),
    [("upscale", "big"), ("upscale", "0"), ("upscale", "-3"), ("upscale", "2,5"), ("upscale", "nan"),
     ("verify", "big"), ("verify", "0"), ("verify", "-3"), ("verify", "2,5"), ("verify", "nan")],
)
def test_a_malformed_scale_is_a_usage_error_in_every_subcommand(
    small_png: Path, tmp_path: Path, command: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = {
        "upscale": ["upscale", str(small_png), "-o", str(tmp_path / "o.png"), "--factor", value],
        "verify": ["verify", str(tmp_path / "m.onnx"), "--scales", value],
    }[command]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert err.startswith(f"usage: sr-model {command}")
    assert f"scale {value!r} is not a positive number or HxW pair; expected e.g. 2.5 or 2x3" in err


@pytest.mark.parametrize("value", ["2.5", "two", "0", "2,5"])
def test_evaluate_scales_must_be_whole_numbers(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", "--scales", "2", value])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.startswith("usage: sr-model evaluate")
    assert f"scale {value!r} is not a positive whole number" in err and "invalid int value" not in err


def test_verify_parsers_stay_importable_from_the_verify_command() -> None:
    from sr_model.commands import arguments, verify

    assert verify.parse_scale is arguments.parse_scale and verify.parse_size is arguments.parse_size


# --- the output path and format, and images that are not 8-bit RGB ------------------------------


@pytest.mark.parametrize(("name", "magic", "pil_format"), [
    ("out.jpg", b"\xff\xd8\xff", "JPEG"), ("out.JPEG", b"\xff\xd8\xff", "JPEG"),
    ("out.png", b"\x89PNG\r\n\x1a\n", "PNG"), ("out.bmp", b"BM", "BMP"),
])
def test_upscale_writes_the_format_the_extension_names(small_png: Path, tmp_path: Path, name: str, magic: bytes,
                                                       pil_format: str) -> None:
    from PIL import Image

    out = tmp_path / name
    assert cli.main(["upscale", str(small_png), "-o", str(out), "--factor", "2"]) == 0
    assert out.read_bytes().startswith(magic)
    with Image.open(out) as image:
        assert image.format == pil_format and image.size == (18, 24) and image.mode == "RGB"


def test_upscale_never_overwrites_its_input_even_through_a_symlink(small_png: Path, tmp_path: Path, capsys) -> None:
    before = small_png.read_bytes()
    link = tmp_path / "link.png"
    link.symlink_to(small_png)
    for target in (small_png, link, tmp_path / "." / small_png.name):
        assert cli.main(["upscale", str(small_png), "-o", str(target), "--factor", "2"]) == 1
        assert "is the input image; pick another output path" in capsys.readouterr().err
    assert small_png.read_bytes() == before


def test_upscale_refuses_a_missing_output_folder_and_creates_none(small_png: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "missing" / "deeper" / "o.png"
    assert cli.main(["upscale", str(small_png), "-o", str(target)]) == 1
    assert f"output folder '{target.parent}' does not exist" in capsys.readouterr().err
    assert not (tmp_path / "missing").exists()


def _png16(pixels: np.ndarray, color_type: int) -> bytes:
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit RGB): 0 grey, 2 RGB, 6 RGBA."""
    import struct
    import zlib

    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 16, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_16_bit_grey_png_is_scaled_not_clipped_to_white(tmp_path: Path, capsys) -> None:
    # A horizontal ramp over the whole 16-bit range: as 8 bits it is the ramp 0..255, so the
    # upscale must be a ramp too (Pillow's convert("RGB") made 92% of such an image pure white).
    ramp16 = np.tile(np.linspace(0, 65535, 24).round().astype(np.uint16), (16, 1))
    (tmp_path / "in.png").write_bytes(_png16(ramp16, 0))
    assert cli.main(["upscale", str(tmp_path / "in.png"), "-o", str(tmp_path / "o.png"), "--factor", "2"]) == 0
    assert "note:" in (err := capsys.readouterr().err) and "16-bit greyscale scaled to 0..255" in err
    out = read_image(tmp_path / "o.png")
    white = float((out == 255).mean())
    assert white < 0.1, f"{white:.0%} of the output is pure white, but the input is a 0..255 ramp"
    expected = np.linspace(0, 255, 48)
    assert float(np.abs(out[0, 0].mean(axis=0) - expected).mean()) < 8


def test_16_bit_rgb_is_read_as_its_8_bit_values_with_a_note(tmp_path: Path) -> None:
    from sr_model.imageio import load_image

    rgb16 = np.random.default_rng(1).integers(0, 65536, size=(5, 6, 3)).astype(np.uint16)
    (tmp_path / "in.png").write_bytes(_png16(rgb16, 2))
    loaded = load_image(tmp_path / "in.png")
    assert np.abs(loaded.pixels[0].transpose(1, 2, 0) - rgb16 * (255 / 65535)).max() <= 1.0
    assert any("16-bit" in note for note in loaded.notes)


@pytest.mark.parametrize(("mode", "note"), [
    ("RGBA", "alpha channel dropped"), ("LA", "alpha channel dropped"), ("L", "greyscale copied to R, G and B"),
])
def test_upscale_says_what_it_converts(tmp_path: Path, mode: str, note: str, capsys) -> None:
    from PIL import Image

    Image.new(mode, (7, 5)).save(tmp_path / "in.png")
    assert cli.main(["upscale", str(tmp_path / "in.png"), "-o", str(tmp_path / "o.png"), "--factor", "2"]) == 0
    err = capsys.readouterr().err
    assert f"sr-model upscale: note: {tmp_path / 'in.png'}: {note}" in err
    assert read_image(tmp_path / "o.png").shape == (1, 3, 10, 14)


def test_a_plain_rgb_image_gets_no_note(small_png: Path, tmp_path: Path, capsys) -> None:
    assert cli.main(["upscale", str(small_png), "-o", str(tmp_path / "o.png"), "--factor", "2"]) == 0
    assert capsys.readouterr().err == ""


def test_demo_needs_no_arguments_and_writes_a_fresh_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo"]) == 0
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith("sr-model-demo-")]
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        ["srcnn.onnx", "side_by_side.png"]
        + [f"{kind}_x{s}.png" for s in (3, 4) for kind in ("input", "bicubic", "torch", "ort")]
    )
    assert read_image(folder / "input_x3.png").shape == (1, 3, 85, 85)
    assert read_image(folder / "ort_x4.png").shape == (1, 3, 256, 256)
    out = capsys.readouterr().out
    assert "max|torch-ORT|" in out and "ORT" in out and "x4" in out
    # A second run must not reuse (or overwrite) the first folder.
    assert cli.main(["demo", "--out", os.fspath(folder)]) == 1
    assert "already exists" in capsys.readouterr().err
