"""Helpers shared by several subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path

from torch import nn


def load_model(checkpoint: Path | None) -> nn.Module:
    """The DynamicSRCNN with `checkpoint`'s weights, or seeded random weights when None."""
    from sr_model.checkpoint import load_checkpoint
    from sr_model.model import DynamicSRCNN, random_model

    return random_model(seed=0) if checkpoint is None else load_checkpoint(checkpoint, DynamicSRCNN())


def add_checkpoint_argument(parser: argparse.ArgumentParser) -> None:
    """`--checkpoint PATH`, defaulting to the shipped trained weights (fixtures/srcnn.pth)."""
    from sr_model.paths import DEFAULT_CHECKPOINT

    parser.add_argument(
        "--checkpoint", type=Path, default=DEFAULT_CHECKPOINT, metavar="PTH",
        help="weights, MMEditing layout or plain state dict (default: the shipped fixtures/srcnn.pth)",
    )
