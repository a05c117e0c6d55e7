"""The `sr-model` command line; each subcommand lives in `sr_model.commands.<name>`.

Subcommands are loaded lazily: `sr-model --help` and `--version` read the static table below and
import no subcommand (so no torch); a subcommand's module is imported only when it is the one run.
Failures print one readable line and exit non-zero (2: usage, 1: bad input); `--debug` shows the
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from sr_model.errors import SrModelError


class Subcommand(NamedTuple):
    """One `sr-model` subcommand: its name, its one-line help, and the module that registers it."""

    name: str
    help: str
    module: str


# The one-line helps must equal what each module's `register` passes (tests/test_packaging.py
# checks it), since `sr-model --help` shows these without importing the modules.
SUBCOMMANDS = (
    Subcommand("demo", "upscale the shipped face with PyTorch and ONNX Runtime (one exported file), compare",
               "sr_model.commands.demo"),
    Subcommand("evaluate", "PSNR/SSIM of bicubic vs the model on a held-out image", "sr_model.commands.evaluate"),
    Subcommand("export", "export the dynamic-scale model to ONNX", "sr_model.commands.export"),
    Subcommand("upscale", "upscale an image by any factor with PyTorch or ONNX Runtime", "sr_model.commands.upscale"),
    Subcommand("verify", "check that an exported ONNX file conforms (graph, then PyTorch vs ONNX Runtime)",
               "sr_model.commands.verify"),
)


def version() -> str:
    """The installed distribution's version, or the package's own when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version("sr-model")
    except metadata.PackageNotFoundError:
        from sr_model import __version__

        return __version__


class _VersionAction(argparse.Action):
    """`--version`: reads the metadata only when asked (argparse's own action wants it up front)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any, **__: Any) -> None:
        print(f"sr-model {version()}")  # stdout, as argparse's own version action does
        parser.exit()


def build_parser(load: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The full parser; only the subcommands named in `load` (default: all) import their modules."""
    parser = argparse.ArgumentParser(
        prog="sr-model", description="SRCNN with a live upscale factor in ONNX, and its conformance checks."
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in SUBCOMMANDS:
        if load is None or command.name in load:
            importlib.import_module(command.module).register(subparsers)
        else:
            # A stub, listed in --help; never parsed, since only the chosen subcommand is loaded.
            subparsers.add_parser(command.name, help=command.help)
    return parser


def chosen_subcommand(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names: its first argument that is not an option (no global option takes a value)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sr-model` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = chosen_subcommand(argv)
    args = build_parser(load=() if chosen is None else (chosen,)).parse_args(argv)
    try:
        return int(args.handler(args))
    except SrModelError as error:
        if args.debug:
            raise
        print(f"sr-model {args.command}: error: {error}", file=sys.stderr)
        return 1


def __getattr__(name: str) -> Any:
    """`COMMANDS`: the subcommand modules, imported on access (kept for callers of the old tuple)."""
    if name == "COMMANDS":
        return tuple(importlib.import_module(command.module) for command in SUBCOMMANDS)
    raise AttributeError(f"module 'sr_model.cli' has no attribute {name!r}")


if __name__ == "__main__":
    sys.exit(main())
