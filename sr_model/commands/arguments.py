"""argparse `type=` functions shared by every subcommand, so one kind of argument parses one way.

A malformed value (not a number, a decimal comma, zero or negative, not finite) raises
`argparse.ArgumentTypeError`: argparse prints the usage and exits 2 in every subcommand. A well-formed
value outside the supported range (a scale of 0.5 or 9) is checked by the command itself and exits 1
with one line (`sr_model.validation` names the range).
"""

from __future__ import annotations

import argparse
import math


def _comma_hint(text: str) -> str:
    # "2,5" is the most common slip in locales with a decimal comma; say so instead of just "bad".
    return " (use a dot as the decimal separator)" if "," in text else ""


def _pair(text: str) -> list[str]:
    """`2x3` -> ["2", "3"]; `2.5` -> ["2.5"]; either side may carry spaces (`2 x 3`)."""
    return [part.strip() for part in text.lower().split("x")]


def parse_scale(text: str) -> tuple[float, float]:
    """`2.5` (both axes) or `2x3` (height x width) as a pair of positive finite floats."""
    try:
        values = [float(part) for part in _pair(text)]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not all(math.isfinite(v) and v > 0 for v in values):
        raise argparse.ArgumentTypeError(
            f"scale {text!r} is not a positive number or HxW pair; expected e.g. 2.5 or 2x3{_comma_hint(text)}"
        )
    return (values[0], values[-1])


def parse_size(text: str) -> tuple[int, int]:
    """`64` (square) or `17x9` (height x width) as a pair of positive ints."""
    try:
        values = [int(part) for part in _pair(text)]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not all(v > 0 for v in values):
        raise argparse.ArgumentTypeError(
            f"size {text!r} is not a positive integer or HxW pair; expected e.g. 64 or 17x9{_comma_hint(text)}"
        )
    return (values[0], values[-1])


def parse_whole_scale(text: str) -> int:
    """A positive whole-number scale (`3`), for commands that shrink an image by whole factors."""
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"scale {text!r} is not a positive whole number; expected e.g. 2, 3 or 4 (the image is "
            f"shrunk by a whole factor before it is upscaled back){_comma_hint(text)}"
        )
    return value
