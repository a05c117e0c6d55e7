"""Every bad input in the "Bad input" table (docs/bad-inputs.md) gets its typed, self-explaining error.

Each row: an id (listed in that table), the boundary, the call, the expected error type and a
fragment of the message (which names the value, what was expected, and how to fix it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import onnx
import pytest
import torch

from sr_model import errors, ops
from sr_model.checkpoint import load_checkpoint
from sr_model.export import export_onnx
from sr_model.imageio import read_image
from sr_model.paths import FACE_IMAGE
from sr_model.model import DynamicSRCNN, random_model
from sr_model.runtime import create_session, run_session

REPO = Path(__file__).resolve().parents[1]


class BadInput(NamedTuple):
    id: str
    call: Callable[[Path], object]
    error: type[Exception]
    message: str


def _image(shape=(1, 3, 8, 8), dtype=np.float32) -> np.ndarray:
    return np.full(shape, 100, dtype=dtype)


def _factor(*values: float, dtype=np.float32) -> np.ndarray:
    return np.array(values, dtype=dtype)


def _resize(image: np.ndarray, factor: np.ndarray):
    return ops.bicubic_resize(torch.from_numpy(image), torch.from_numpy(factor))


def _good_onnx(tmp: Path) -> Path:
    return export_onnx(tmp / "good.onnx", random_model(0), opset=17)


def _run_file(path: Path, image=None, factor=None):
    return run_session(create_session(path), _image() if image is None else image,
                       _factor(1, 1, 2, 2) if factor is None else factor)


def _write(tmp: Path, name: str, data: bytes) -> Path:
    (tmp / name).write_bytes(data)
    return tmp / name


def _checkpoint(tmp: Path, state) -> Path:
    torch.save(state, tmp / "c.pth")
    return tmp / "c.pth"


def _truncated_checkpoint(tmp: Path) -> Path:
    data = _checkpoint(tmp, random_model().state_dict()).read_bytes()
    return _write(tmp, "t.pth", data[: len(data) // 2])


def _edited_onnx(tmp: Path, edit: Callable[[onnx.ModelProto], None]) -> Path:
    model = onnx.load(_good_onnx(tmp))
    edit(model)
    return _write(tmp, "edited.onnx", model.SerializeToString())


def _drop_factor(model: onnx.ModelProto) -> None:
    (resize,) = [n for n in model.graph.node if n.op_type == "Resize"]
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.array([1, 1, 3, 3], np.float32), "frozen"))
    resize.input[2] = "frozen"
    del model.graph.input[1]


def _set_opset(version: int) -> Callable[[onnx.ModelProto], None]:
    def edit(model: onnx.ModelProto) -> None:
        model.opset_import[0].version = version
    return edit


class _Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


ROWS: tuple[BadInput, ...] = (
    # factor: the eager op and the ORT runtime helper validate the same way
    BadInput("factor-shape", lambda t: _resize(_image(), _factor(2, 2)), errors.FactorError, "factor shape=(2,), but should be (4,)"),
    BadInput("factor-dtype", lambda t: _resize(_image(), _factor(1, 1, 2, 2, dtype=np.float64)), errors.FactorError, "factor dtype=float64, but should be float32"),
    BadInput("factor-nan", lambda t: _resize(_image(), _factor(1, 1, np.nan, 2)), errors.FactorError, "has a NaN or inf"),
    BadInput("factor-inf", lambda t: _run_file(_good_onnx(t), factor=_factor(1, 1, 2, np.inf)), errors.FactorError, "has a NaN or inf"),
    BadInput("factor-zero", lambda t: _resize(_image(), _factor(1, 1, 0, 2)), errors.FactorError, "scale_h=0.0 is outside [1, 8]"),
    BadInput("factor-negative", lambda t: _resize(_image(), _factor(1, 1, 2, -3)), errors.FactorError, "scale_w=-3.0 is outside [1, 8]"),
    BadInput("factor-batch-entry", lambda t: _run_file(_good_onnx(t), factor=_factor(2, 1, 2, 2)), errors.FactorError, "scales the batch/channel axes"),
    BadInput("factor-too-large", lambda t: _resize(_image(), _factor(1, 1, 9, 2)), errors.FactorError, "scale_h=9.0 is outside [1, 8]"),
    BadInput("factor-below-one", lambda t: _resize(_image(), _factor(1, 1, 0.5, 2)), errors.FactorError, "scale_h=0.5 is outside [1, 8]: SRCNN upscales"),
    # image tensors
    BadInput("image-rank", lambda t: _resize(_image((3, 8, 8)), _factor(1, 1, 2, 2)), errors.InputImageError, "has rank 3, but should be rank 4"),
    BadInput("image-channels", lambda t: _run_file(_good_onnx(t), image=_image((1, 4, 8, 8))), errors.InputImageError, "has 4 channels, but should have 3"),
    BadInput("image-empty", lambda t: _resize(_image((1, 3, 0, 8)), _factor(1, 1, 2, 2)), errors.InputImageError, "is empty"),
    BadInput("image-non-finite", lambda t: _resize(np.where(_image() > 0, np.nan, 0).astype(np.float32), _factor(1, 1, 2, 2)), errors.InputImageError, "NaN or inf"),
    BadInput("image-dtype", lambda t: _run_file(_good_onnx(t), image=_image(dtype=np.uint8)), errors.InputImageError, "image dtype=uint8, but should be float32"),
    BadInput("image-file-missing", lambda t: read_image(t / "none.png"), errors.InputImageError, "does not exist"),
    BadInput("image-file-not-an-image", lambda t: read_image(_write(t, "x.png", b"hello, not a picture")), errors.InputImageError, "cannot be decoded"),
    BadInput("image-file-truncated", lambda t: read_image(_write(t, "x.png", (REPO / "sr_model/data/face.png").read_bytes()[:4000])), errors.InputImageError, "cannot be decoded"),
    # checkpoints
    BadInput("checkpoint-missing", lambda t: load_checkpoint(t / "none.pth", DynamicSRCNN()), errors.CheckpointError, "does not exist"),
    BadInput("checkpoint-not-a-checkpoint", lambda t: load_checkpoint(_write(t, "x.pth", b"plain text"), DynamicSRCNN()), errors.CheckpointError, "is not a readable torch checkpoint"),
    BadInput("checkpoint-truncated", lambda t: load_checkpoint(_truncated_checkpoint(t), DynamicSRCNN()), errors.CheckpointError, "is a truncated or damaged torch checkpoint"),
    BadInput("checkpoint-wrong-keys", lambda t: load_checkpoint(_checkpoint(t, {"state_dict": {"generator.conv9.weight": torch.zeros(1)}}), DynamicSRCNN()), errors.CheckpointError, "unexpected keys ['conv9.weight']"),
    BadInput("checkpoint-wrong-shapes", lambda t: load_checkpoint(_checkpoint(t, {**random_model().state_dict(), "conv3.bias": torch.zeros(4)}), DynamicSRCNN()), errors.CheckpointError, "conv3.bias: got (4,), expected (3,)"),
    BadInput("checkpoint-code-execution", lambda t: load_checkpoint(_checkpoint(t, {"state_dict": _Exploit()}), DynamicSRCNN()), errors.CheckpointError, "refused by the safe loader"),
    # ONNX files
    BadInput("onnx-missing", lambda t: create_session(t / "none.onnx"), errors.OnnxModelError, "does not exist"),
    BadInput("onnx-not-onnx", lambda t: create_session(_write(t, "x.onnx", b"not a protobuf at all")), errors.OnnxModelError, "ONNX Runtime cannot load"),
    BadInput("onnx-truncated", lambda t: create_session(_write(t, "x.onnx", _good_onnx(t).read_bytes()[:20000])), errors.OnnxModelError, "ONNX Runtime cannot load"),
    BadInput("onnx-no-factor-input", lambda t: _run_file(_edited_onnx(t, _drop_factor)), errors.OnnxModelError, "the scale was frozen at export"),
    BadInput("onnx-unsupported-opset", lambda t: create_session(_edited_onnx(t, _set_opset(10))), errors.OnnxModelError, "INVALID_GRAPH"),
    # memory
    BadInput("memory-over-limit", lambda t: _run_file(_good_onnx(t), image=_image((4, 3, 2048, 2048)), factor=_factor(1, 1, 8, 8)), errors.MemoryLimitError, "over the limit of"),
    # export
    BadInput("export-opset", lambda t: export_onnx(t / "m.onnx", opset=10), errors.UnsupportedOpsetError, "opset=10 is not supported"),
    BadInput("export-exporter", lambda t: export_onnx(t / "m.onnx", exporter="onnx"), errors.UnknownExporterError, "exporter='onnx' is not known"),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input_gets_a_typed_clear_error(row: BadInput, tmp_path: Path) -> None:
    with pytest.raises(row.error, match=re.escape(row.message)) as info:
        row.call(tmp_path)
    assert isinstance(info.value, errors.SrModelError)
    assert "\n" not in str(info.value), "errors are one line (the CLI prints them as such)"


def test_every_row_is_in_the_docs_table() -> None:
    table = (REPO / "docs" / "bad-inputs.md").read_text()
    missing = [row.id for row in ROWS if f"`{row.id}`" not in table]
    assert not missing, f"docs/bad-inputs.md's table lacks rows {missing}"


# --- the CLI: usage errors exit 2, input errors exit 1 with one line, --debug shows the traceback --

class CliCase(NamedTuple):
    id: str
    argv: list[str]
    exit_code: int
    stderr: str


CLI_ROWS: tuple[CliCase, ...] = (
    CliCase("cli-unknown-option", ["export", "-o", "m.onnx", "--frobnicate"], 2, "unrecognized arguments: --frobnicate"),
    CliCase("cli-missing-argument", ["upscale"], 2, "the following arguments are required"),
    CliCase("cli-malformed-scale", ["verify", "m.onnx", "--scales", "2y3"], 2, "is not a positive number or HxW pair"),
    CliCase("cli-factor-out-of-range", ["upscale", "{face}", "--factor", "9", "-o", "{tmp}/o.png"], 1,
            "sr-model upscale: error: scale_h=9.0 is outside [1, 8]"),
    CliCase("cli-scale-out-of-range", ["verify", "{onnx}", "--scales", "0.5"], 1,
            "sr-model verify: error: scale_h=0.5 is outside [1, 8]"),
    CliCase("cli-missing-onnx", ["verify", "{tmp}/none.onnx"], 1, "sr-model verify: error: ONNX file"),
    CliCase("cli-bad-checkpoint", ["export", "-o", "{tmp}/m.onnx", "--checkpoint", "{tmp}/none.pth"], 1,
            "sr-model export: error: checkpoint"),
    CliCase("cli-bad-opset", ["export", "-o", "{tmp}/m.onnx", "--opset", "10"], 1,
            "sr-model export: error: opset=10 is not supported"),
    # One parser for one kind of argument: a malformed scale is a usage error in every subcommand.
    CliCase("cli-factor-decimal-comma", ["upscale", "{face}", "-o", "{tmp}/o.png", "--factor", "2,5"], 2,
            "argument --factor: scale '2,5' is not a positive number or HxW pair; expected e.g. 2.5 or 2x3 "
            "(use a dot as the decimal separator)"),
    CliCase("cli-scales-decimal-comma", ["verify", "m.onnx", "--scales", "2,5"], 2,
            "argument --scales: scale '2,5' is not a positive number or HxW pair"),
    CliCase("cli-evaluate-fractional-scale", ["evaluate", "--scales", "2.5"], 2,
            "argument --scales: scale '2.5' is not a positive whole number; expected e.g. 2, 3 or 4"),
    CliCase("cli-evaluate-scale-out-of-range", ["evaluate", "--scales", "9"], 1,
            "sr-model evaluate: error: scale_h=9 is outside [1, 8]"),
    # -o: checked before the model runs; the input is never overwritten, no folder is created.
    CliCase("cli-output-is-input", ["upscale", "{png}", "-o", "{png}", "--factor", "2"], 1,
            "sr-model upscale: error: -o {png} is the input image; pick another output path"),
    CliCase("cli-output-folder-missing", ["upscale", "{face}", "-o", "{tmp}/no_such_dir/o.png"], 1,
            "sr-model upscale: error: output folder '{tmp}/no_such_dir' does not exist"),
    CliCase("cli-output-extension-unknown", ["upscale", "{face}", "-o", "{tmp}/o.gif"], 1,
            "sr-model upscale: error: output '{tmp}/o.gif' has extension '.gif', but the format is chosen by it; "
            "expected one of"),
)


@pytest.mark.parametrize("row", CLI_ROWS, ids=[row.id for row in CLI_ROWS])
def test_cli_bad_input_exit_code_and_one_line(row: CliCase, tmp_path: Path, capsys) -> None:
    from sr_model.cli import main

    onnx_file = tmp_path / "good.onnx"
    if any("{onnx}" in arg for arg in row.argv):
        export_onnx(onnx_file, random_model(0), opset=17)
    png = tmp_path / "in.png"  # a copy: a case that writes to its input must not touch the shipped face
    png.write_bytes(FACE_IMAGE.read_bytes())
    names = {"tmp": tmp_path, "onnx": onnx_file, "face": FACE_IMAGE, "png": png}
    argv = [arg.format(**names) for arg in row.argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == row.exit_code, err
    assert row.stderr.format(**names) in err, err
    assert "Traceback" not in err
    if row.exit_code == 1:
        assert err.count("\n") == 1, f"one line expected, got:\n{err}"
    if row.exit_code == 2:
        assert err.startswith("usage: sr-model "), f"usage text expected, got:\n{err}"
    assert png.read_bytes() == FACE_IMAGE.read_bytes(), "the input image was modified"
    assert not (tmp_path / "no_such_dir").exists(), "a missing output folder was created"


def test_cli_debug_shows_the_traceback(tmp_path: Path) -> None:
    from sr_model.cli import main

    with pytest.raises(errors.UnsupportedOpsetError):
        main(["--debug", "export", "-o", str(tmp_path / "m.onnx"), "--opset", "10"])


def test_every_cli_row_is_in_the_docs_table() -> None:
    table = (REPO / "docs" / "bad-inputs.md").read_text()
    missing = [row.id for row in CLI_ROWS if f"`{row.id}`" not in table]
    assert not missing, f"docs/bad-inputs.md's table lacks CLI rows {missing}"
