"""`sr-model upscale`: one image in, one upscaled image out, with PyTorch or ONNX Runtime."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sr_model.commands.common import add_checkpoint_argument, load_model

BACKENDS = ("torch", "onnxruntime")

EXAMPLES = """examples:
  sr-model upscale fixtures/face.png -o face_x3.png --factor 3
  sr-model upscale photo.png -o wide.png --factor 2x3            # height x2, width x3
  sr-model upscale photo.png -o out.png --factor 2.5 --backend onnxruntime
  sr-model export -o srcnn.onnx && sr-model upscale photo.png -o out.png --backend onnxruntime --onnx srcnn.onnx
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "upscale",
        help="upscale an image by any factor with PyTorch or ONNX Runtime",
        description="Upscale an RGB image (PNG/JPEG) with the trained SRCNN; writes a PNG.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("image", type=Path, help="input image (PNG or JPEG; alpha is dropped)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="PNG file to write")
    parser.add_argument(
        "--factor", default="3", metavar="F|HxW",
        help="upscale factor: one number for both axes or HxW, each in 1..8 (default 3)",
    )
    parser.add_argument("--backend", choices=BACKENDS, default="torch", help="default: torch")
    add_checkpoint_argument(parser)
    parser.add_argument(
        "--onnx", type=Path, default=None, metavar="MODEL",
        help="onnxruntime only: run this exported file (default: export the checkpoint to a temp file)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sr_model.errors import UsageError
    from sr_model.imageio import read_image, write_image
    from sr_model.upscale import parse_factor, upscale_onnxruntime, upscale_torch

    scales = parse_factor(args.factor)
    if args.onnx is not None and args.backend != "onnxruntime":
        raise UsageError(f"--onnx {args.onnx} is only used with --backend onnxruntime; add that option or drop --onnx")
    image = read_image(args.image)
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
    print(f"wrote {args.output}: {image.shape[3]}x{image.shape[2]} -> {output.shape[3]}x{output.shape[2]} "
          f"(x{factor}, {how})")
    return 0
