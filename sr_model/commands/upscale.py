"""`sr-model upscale`: one image in, one upscaled image out, with PyTorch or ONNX Runtime."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from sr_model.commands.arguments import parse_scale
from sr_model.commands.common import add_checkpoint_argument, load_model

BACKENDS = ("torch", "onnxruntime")

EXAMPLES = """examples:
  sr-model upscale sr_model/data/face.png -o face_x3.png --factor 3
  sr-model upscale photo.png -o wide.png --factor 2x3            # height x2, width x3
  sr-model upscale photo.png -o out.png --factor 2.5 --backend onnxruntime
  sr-model upscale photo.png -o out.jpg --factor 2                # JPEG (quality 95), by the extension
  sr-model export -o srcnn.onnx && sr-model upscale photo.png -o out.png --backend onnxruntime --onnx srcnn.onnx
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "upscale",
        help="upscale an image by any factor with PyTorch or ONNX Runtime",
        description=(
            "Upscale an image (PNG/JPEG/...) with the trained SRCNN. The model works on RGB:\n"
            "a grey image is copied to R, G and B, an alpha channel is dropped, 16-bit samples\n"
            "are scaled to 8 bits, and each such conversion is said on stderr. The output format\n"
            "follows the -o extension; the input file is never overwritten."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("image", type=Path, help="input image (PNG or JPEG; alpha is dropped, with a note)")
    parser.add_argument(
        "-o", "--output", type=Path, required=True,
        help="image to write, in the format its extension names (.png, .jpg, ...); its folder must exist",
    )
    parser.add_argument(
        "--factor", type=parse_scale, default=(3.0, 3.0), metavar="F|HxW",
        help="upscale factor: one number for both axes or HxW, each in 1..8 (default 3)",
    )
    parser.add_argument("--backend", choices=BACKENDS, default="torch", help="default: torch")
    add_checkpoint_argument(parser)
    parser.add_argument(
        "--onnx", type=Path, default=None, metavar="MODEL",
        help="onnxruntime only: run this exported file (default: export the checkpoint to a temp file)",
    )
    parser.set_defaults(handler=run)


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)  # also catches hard links and symlinks
    return a.resolve() == b.resolve()


def run(args: argparse.Namespace) -> int:
    from sr_model.errors import UsageError
    from sr_model.imageio import check_output_path, load_image, write_image
    from sr_model.upscale import check_scales, upscale_onnxruntime, upscale_torch

    scales = check_scales(*args.factor)
    if args.onnx is not None and args.backend != "onnxruntime":
        raise UsageError(f"--onnx {args.onnx} is only used with --backend onnxruntime; add that option or drop --onnx")
    # Every check on -o runs before the model does, so a bad path costs no upscale.
    if _same_file(args.image, args.output):
        raise UsageError(
            f"-o {args.output} is the input image; pick another output path (the input is never overwritten)"
        )
    output_format = check_output_path(args.output)
    loaded = load_image(args.image)
    for note in loaded.notes:
        print(f"sr-model upscale: note: {args.image}: {note}", file=sys.stderr)
    image = loaded.pixels
    if args.backend == "torch":
        output = upscale_torch(load_model(args.checkpoint), image, scales)
        how = f"PyTorch, {args.checkpoint}"
    elif args.onnx is not None:
        from sr_model.upscale import onnx_session_for

        output = upscale_onnxruntime(onnx_session_for(args.onnx), image, scales)
        how = f"ONNX Runtime, {args.onnx}"
    else:
        from sr_model.export import export_onnx
        from sr_model.runtime import create_session

        with tempfile.TemporaryDirectory(prefix="sr-model-") as folder:
            path = export_onnx(Path(folder) / "srcnn.onnx", load_model(args.checkpoint))
            output = upscale_onnxruntime(create_session(path), image, scales)
        how = f"ONNX Runtime, {args.checkpoint} exported to a temporary file"
    write_image(output, args.output)
    factor = f"{scales[0]:g}" if scales[0] == scales[1] else f"{scales[0]:g}x{scales[1]:g}"
    print(f"wrote {args.output} ({output_format}): {image.shape[3]}x{image.shape[2]} -> {output.shape[3]}x{output.shape[2]} "
          f"(x{factor}, {how})")
    return 0
