"""`sr-model verify FILE --model MODULE:FACTORY` on two models that are not SRCNN-shaped
(examples/own_models.py): their correct exports pass, their broken variants fail naming the cause.

The tolerance is derived per case from a float64 run of each model: nothing here was tuned for them.
"""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
import torch

from sr_model.cli import main
from sr_model.testing import mutations

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
_FAST = ["--scales", "1", "2", "2.5", "3.7", "2x3", "--sizes", "1x1", "17x9", "40x24", "--no-progress"]


@pytest.fixture(autouse=True)
def _examples_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))


@pytest.mark.parametrize("factory", ["own_models:tiny_sr", "own_models:normalized_sr"])
@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_own_model_exports_pass_and_broken_ones_fail_naming_the_cause(factory, exporter, tmp_path, capsys) -> None:
    good = tmp_path / "good.onnx"
    assert main(["export", "-o", str(good), "--model", factory, "--exporter", exporter]) == 0
    assert main(["verify", str(good), "--model", factory, *_FAST]) == 0, capsys.readouterr().out
    capsys.readouterr()

    wrong_a = tmp_path / "a.onnx"
    onnx.save(mutations.set_resize_attribute(onnx.load(good), "cubic_coeff_a", -0.5), wrong_a)
    assert main(["verify", str(wrong_a), "--model", factory, *_FAST]) == 1
    out = capsys.readouterr().out
    assert "graph: Resize cubic_coeff_a=-0.5, but should be -0.75" in out
    assert "max|ort-torch|=" in out and "first to part: upsample" in out

    frozen = tmp_path / "frozen.onnx"
    onnx.save(mutations.freeze_scales(onnx.load(good), (1, 1, 3, 3)), frozen)
    assert main(["verify", str(frozen), "--model", factory, *_FAST]) == 1
    assert "the scale was frozen at export" in capsys.readouterr().out


def test_a_checkpoint_of_an_own_model_loads_into_it(tmp_path, capsys) -> None:
    """Issue 12: a user's checkpoint is loaded into their factory's model, not refused as 'not SRCNN'."""
    import own_models

    trained = own_models.tiny_sr()
    with torch.no_grad():
        for parameter in trained.parameters():
            parameter.add_(0.01)
    checkpoint = tmp_path / "tiny.pth"
    torch.save(trained.state_dict(), checkpoint)
    path = tmp_path / "tiny.onnx"
    args = ["--model", "own_models:tiny_sr", "--checkpoint", str(checkpoint)]
    assert main(["export", "-o", str(path), *args]) == 0
    assert main(["verify", str(path), *args, *_FAST]) == 0, capsys.readouterr().out
    capsys.readouterr()
    # Without the checkpoint the factory's own weights are the reference: one line, no case run.
    assert main(["verify", str(path), "--model", "own_models:tiny_sr", *_FAST]) == 1
    assert "exported from other weights" in capsys.readouterr().out
