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
        (["--factor", "0"], "error: scale_h=0.0 is outside [1, 8]"),
        (["--factor", "big"], "error: factor='big' is not a number or HxW pair"),
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
