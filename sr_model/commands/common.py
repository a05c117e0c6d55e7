"""Helpers shared by several subcommands: which model and weights, in the words every command uses.

Every command resolves its model through `sr_model.engine.reference.resolve_reference`, so export,
verify, upscale, evaluate, the demo and the pytest plugin share one default: the shipped weights.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

    from sr_model.engine.reference import Reference


def load_model(checkpoint: Path | None) -> "nn.Module":
    """The DynamicSRCNN with `checkpoint`'s weights, or seeded random weights when None."""
    from sr_model.engine.reference import resolve_reference

    return resolve_reference(checkpoint=checkpoint, random_weights=checkpoint is None).model


def add_checkpoint_argument(parser: argparse.ArgumentParser) -> None:
    """`--checkpoint PATH`, defaulting to the shipped trained weights."""
    from sr_model.paths import DEFAULT_CHECKPOINT

    parser.add_argument(
        "--checkpoint", type=Path, default=DEFAULT_CHECKPOINT, metavar="PTH",
        help="weights, MMEditing layout or plain state dict (default: the shipped srcnn.pth)",
    )


def add_reference_arguments(parser: argparse.ArgumentParser) -> None:
    """`--model MODULE:FACTORY`, `--checkpoint PTH` | `--random-weights`: the reference model."""
    parser.add_argument(
        "--model", default=None, metavar="MODULE:FACTORY",
        help="your own model: an importable callable returning the eager module, forward(input, factor) "
             "(default: the shipped SRCNN)",
    )
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument(
        "--checkpoint", type=Path, default=None, metavar="PTH",
        help="weights (MMEditing layout or plain state dict; default: the shipped weights for SRCNN, "
             "the factory's own for --model)",
    )
    weights.add_argument("--random-weights", action="store_true",
                         help="SRCNN with seeded random weights (random_model(0))")


def resolve(args: argparse.Namespace, **extra: object) -> "Reference":
    """The reference the parsed `add_reference_arguments` options name."""
    from sr_model.engine.reference import resolve_reference

    return resolve_reference(checkpoint=args.checkpoint, random_weights=args.random_weights, model=args.model,
                             **extra)  # type: ignore[arg-type]
