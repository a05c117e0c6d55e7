"""The `sr-model` command line; each subcommand lives in `sr_model.commands.<name>`.

Failures print one readable line and exit non-zero (2: usage, 1: bad input); `--debug` shows the
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sr_model.commands import demo, evaluate, export, upscale, verify
from sr_model.errors import SrModelError

COMMANDS = (demo, evaluate, export, upscale, verify)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sr-model", description="SRCNN with a live upscale factor in ONNX, and its conformance checks."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sr-model` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SrModelError as error:
        if args.debug:
            raise
        print(f"sr-model {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
