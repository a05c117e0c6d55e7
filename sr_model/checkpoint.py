"""Checkpoint loading: MMEditing layout (`generator.`-prefixed keys under `state_dict`) and plain."""

from __future__ import annotations

import os
import pickle
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sr_model.errors import CheckpointError

# MMEditing saves the restorer, whose SRCNN lives under `generator`.
MMEDITING_PREFIX = "generator."


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint file with `weights_only=True` (no arbitrary pickle code runs)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {os.fspath(path)!r} does not exist; pass a .pth file path")
    with open(path, "rb") as handle:
        head = handle.read(2)
    # torch.save writes a zip archive (torch >= 1.6) or, legacy, a pickle (protocol byte 0x80).
    if head == b"PK" and not zipfile.is_zipfile(path):
        raise CheckpointError(
            f"checkpoint {os.fspath(path)!r} is a truncated or damaged torch checkpoint (a zip archive "
            "without its directory); copy or save it again"
        )
    if not zipfile.is_zipfile(path) and head[:1] != b"\x80":
        raise CheckpointError(
            f"checkpoint {os.fspath(path)!r} is not a readable torch checkpoint (neither a zip archive "
            "nor a pickle); expected a file written by torch.save"
        )
    try:
        with warnings.catch_warnings():
            # A damaged file can announce a bogus pickle protocol; the error below says it better.
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        # torch's own text goes on about re-running with weights_only=False: keep its first sentence.
        reason = str(error).strip().splitlines()[0].split(". ")[0]
        raise CheckpointError(
            f"checkpoint {os.fspath(path)!r} was refused by the safe loader (weights_only=True: "
            f"{reason}); only tensors and plain containers are accepted, so re-save the weights "
            "with torch.save(model.state_dict(), path)"
        ) from error
    except Exception as error:  # noqa: BLE001 - a damaged archive makes torch.load raise anything
        # (fuzzing found UnicodeDecodeError, IndexError, RuntimeError, EOFError, BadZipFile...)
        raise CheckpointError(
            f"checkpoint {os.fspath(path)!r} is not a readable torch checkpoint "
            f"({type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else 'truncated?'}); "
            "expected a file written by torch.save"
        ) from error
    if not isinstance(loaded, Mapping):
        raise CheckpointError(
            f"checkpoint {os.fspath(path)!r} holds a {type(loaded).__name__}; expected a dict "
            "(a state dict, or {'state_dict': ...} in the MMEditing layout)"
        )
    return dict(loaded)


def extract_state_dict(checkpoint: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """The model's state dict from a checkpoint in the MMEditing layout or a plain state dict."""
    state = checkpoint.get("state_dict", checkpoint)
    if not isinstance(state, Mapping):
        raise CheckpointError(
            f"checkpoint['state_dict'] is a {type(state).__name__}; expected a dict of tensors"
        )
    tensors = {key: value for key, value in state.items() if isinstance(value, torch.Tensor)}
    if any(key.startswith(MMEDITING_PREFIX) for key in tensors):
        tensors = {
            key[len(MMEDITING_PREFIX):]: value
            for key, value in tensors.items()
            if key.startswith(MMEDITING_PREFIX)
        }
    return tensors


def load_into(model: nn.Module, state: Mapping[str, torch.Tensor]) -> nn.Module:
    """Load `state` strictly into `model`, with one error listing every key and shape problem."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = [
        f"{key}: got {tuple(state[key].shape)}, expected {tuple(expected[key].shape)}"
        for key in sorted(set(expected) & set(state))
        if state[key].shape != expected[key].shape
    ]
    problems = []
    if missing:
        problems.append(f"missing keys {missing}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected}")
    if mismatched:
        problems.append(f"shape mismatches [{'; '.join(mismatched)}]")
    if problems:
        name = type(model).__name__
        expected_keys = ", ".join(list(expected)[:6]) + (", ..." if len(expected) > 6 else "")
        raise CheckpointError(
            f"checkpoint does not fit {name}: " + ", ".join(problems)
            + f"; expected the keys of {name}.state_dict() ({expected_keys}), optionally prefixed "
            "'generator.'; pass the model it was trained for (--model MODULE:FACTORY)"
        )
    model.load_state_dict(dict(state), strict=True)
    return model


def load_checkpoint(path: str | os.PathLike[str], model: nn.Module) -> nn.Module:
    """Read `path` safely and load its weights into `model` (returned, in eval mode)."""
    return load_into(model, extract_state_dict(read_checkpoint(path))).eval()
