"""Helpers shared by several subcommands."""

from __future__ import annotations

from pathlib import Path

from torch import nn


def load_model(checkpoint: Path | None) -> nn.Module:
    """The DynamicSRCNN with `checkpoint`'s weights, or seeded random weights when None."""
    from sr_model.checkpoint import load_checkpoint
    from sr_model.model import DynamicSRCNN, random_model

    return random_model(seed=0) if checkpoint is None else load_checkpoint(checkpoint, DynamicSRCNN())
