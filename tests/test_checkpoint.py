"""Checkpoint loading: MMEditing layout, plain state dicts, safe loading, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from sr_model.checkpoint import load_checkpoint
from sr_model.errors import CheckpointError
from sr_model.model import DynamicSRCNN, SRCNN, random_model


def _assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key


def test_mmediting_layout_loads_after_the_prefix_is_stripped(tmp_path: Path) -> None:
    source = random_model(seed=1)
    path = tmp_path / "mm.pth"
    torch.save({"meta": {"note": "x"}, "state_dict": {f"generator.{k}": v for k, v in source.state_dict().items()}}, path)
    _assert_same_weights(load_checkpoint(path, DynamicSRCNN()), source)


def test_plain_state_dict_loads_into_both_forms(tmp_path: Path) -> None:
    source = random_model(seed=2)
    path = tmp_path / "plain.pth"
    torch.save(source.state_dict(), path)
    _assert_same_weights(load_checkpoint(path, SRCNN(3)), source)


def test_error_lists_missing_unexpected_and_mismatched_keys(tmp_path: Path) -> None:
    state = random_model().state_dict()
    del state["conv1.bias"]
    state["conv4.weight"] = torch.zeros(1)
    state["conv2.weight"] = torch.zeros(32, 64, 3, 3)
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, DynamicSRCNN())
    message = str(info.value)
    assert "missing keys ['conv1.bias']" in message
    assert "unexpected keys ['conv4.weight']" in message
    assert "conv2.weight: got (32, 64, 3, 3), expected (32, 64, 1, 1)" in message


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_a_pickle_that_would_run_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": _Exploit()}, path)
    with pytest.raises(CheckpointError, match="refused by the safe loader"):
        load_checkpoint(path, DynamicSRCNN())


def test_missing_and_non_checkpoint_files_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pth", DynamicSRCNN())
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a readable torch checkpoint|refused by the safe loader"):
        load_checkpoint(junk, DynamicSRCNN())
