"""`sr-model evaluate`: PSNR/SSIM of bicubic vs the model on a held-out image (the README table)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sr_model.commands.arguments import parse_whole_scale
from sr_model.commands.common import add_checkpoint_argument

EXAMPLES = """examples:
  sr-model evaluate                               # shipped weights on sr_model/data/face.png, x2 x3 x4
  sr-model evaluate --scales 3 --image photo.png --checkpoint my.pth

Each image is cropped to a multiple of the scale, shrunk by it (antialiased bicubic, rounded to
8 bits: the training degradation), upscaled back with bicubic and with the model, and scored
against the original on the Y channel (BT.601) with `scale` pixels of border cropped.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="PSNR/SSIM of bicubic vs the model on a held-out image",
        description="Score bicubic and the trained model on a downsampled image (Markdown table).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_checkpoint_argument(parser)
    parser.add_argument("--image", type=Path, default=None, help="high-res image (default: sr_model/data/face.png)")
    parser.add_argument(
        "--scales", type=parse_whole_scale, nargs="+", default=[2, 3, 4], metavar="S",
        help="whole-number scales, each in 1..8 (default 2 3 4)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sr_model.commands.common import load_model
    from sr_model.evaluate import evaluate_image, format_table
    from sr_model.imageio import read_image
    from sr_model.paths import FACE_IMAGE
    from sr_model.validation import validate_scales

    for scale in args.scales:  # out of range is bad input (exit 1), as in upscale and verify
        validate_scales(scale, scale)
    image_path = args.image or FACE_IMAGE
    results = evaluate_image(load_model(args.checkpoint), read_image(image_path), tuple(args.scales))
    print(f"{image_path} ({args.checkpoint}); PSNR/SSIM on Y, border = scale:\n")
    print(format_table(results))
    return 0
