"""`sr-model demo`: the tutorial end to end on the shipped face and weights, PyTorch vs ONNX Runtime."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sr_model.commands.common import add_checkpoint_argument

EXAMPLES = """examples:
  sr-model demo                                  # shipped weights and face, writes ./sr-model-demo-<time>/
  sr-model demo --out demo-run                   # a folder of your choice (must not exist yet)
  sr-model demo --image photo.png --checkpoint my.pth

What it does: shrinks the face by x3 and x4 (antialiased bicubic, as in training), exports the model
ONCE to ONNX, upscales with PyTorch and with ONNX Runtime from that one file, writes every image and
side_by_side.png, and prints shapes, max |torch-ORT| and PSNR against the original.
"""

DEMO_SCALES = (3, 4)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="upscale the shipped face with PyTorch and ONNX Runtime (one exported file), compare",
        description="Export the trained model once, upscale the face x3 and x4 with both backends.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_checkpoint_argument(parser)
    parser.add_argument("--image", type=Path, default=None, help="high-res image (default: sr_model/data/face.png)")
    parser.add_argument("--out", type=Path, default=None, help="new output folder (default: ./sr-model-demo-<time>)")
    parser.set_defaults(handler=run)


def fresh_folder(requested: Path | None) -> Path:
    """Create and return a folder that did not exist: `requested`, or ./sr-model-demo-<time>[-n]."""
    from sr_model.errors import UsageError

    if requested is not None:
        try:
            requested.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise UsageError(f"--out {requested} already exists; pass a new folder name") from None
        return requested
    stem = f"sr-model-demo-{time.strftime('%Y%m%d-%H%M%S')}"
    for attempt in range(1, 100):
        folder = Path(stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            folder.mkdir(exist_ok=False)
            return folder
        except FileExistsError:
            continue
    raise UsageError(f"could not create a fresh folder named {stem}[-n] here; pass --out")


def _size(array) -> str:
    """WxH of an NCHW array, as image viewers write it."""
    return f"{array.shape[3]}x{array.shape[2]}"


def run(args: argparse.Namespace) -> int:
    import torch

    from sr_model.commands.common import load_model
    from sr_model.degrade import degrade
    from sr_model.evaluate import psnr
    from sr_model.export import default_opset, export_onnx
    from sr_model.imageio import nchw_to_image, read_image, write_image
    from sr_model.montage import amplified_difference, nearest_enlarge, write_side_by_side
    from sr_model.paths import FACE_IMAGE
    from sr_model.runtime import create_session
    from sr_model.upscale import bicubic, upscale_onnxruntime, upscale_torch

    image = read_image(args.image or FACE_IMAGE)  # read first: a bad path must not leave a folder
    model = load_model(args.checkpoint)
    out = fresh_folder(args.out)
    opset = default_opset("torchscript")
    onnx_path = export_onnx(out / "srcnn.onnx", model, exporter="torchscript", opset=opset)
    session = create_session(onnx_path)
    print(f"exported {onnx_path} once (torchscript, opset {opset}, weights {args.checkpoint}); "
          f"the same file runs every factor below")

    table = [("method", "factor", "input", "output", "PSNR-Y vs original", "max|torch-ORT|")]
    rows = []
    for scale in DEMO_SCALES:
        high, low = (t.numpy() for t in degrade(torch.from_numpy(image), scale))
        scales = (float(scale), float(scale))
        results = {
            "bicubic": bicubic(low, scales),
            "torch": upscale_torch(model, low, scales),
            "ORT": upscale_onnxruntime(session, low, scales),
        }
        difference, largest = amplified_difference(results["torch"], results["ORT"])
        write_image(low, out / f"input_x{scale}.png")
        for name, result in results.items():
            write_image(result, out / f"{name.lower()}_x{scale}.png")
        for name, result in results.items():
            table.append((name, f"x{scale}", _size(low), _size(result),
                          f"{psnr(result, high, border=scale):.2f} dB", f"{largest:.2e}" if name == "ORT" else ""))
        size = high.shape[2:]
        rows.append([
            (f"input x{scale} ({_size(low)})", nearest_enlarge(nchw_to_image(low), *size)),
            (f"bicubic x{scale}", nchw_to_image(results["bicubic"])),
            (f"PyTorch x{scale}", nchw_to_image(results["torch"])),
            (f"ORT x{scale}", nchw_to_image(results["ORT"])),
            (f"|torch-ORT| white={largest:.1e}", difference),
            ("original", nchw_to_image(high)),
        ])
    picture = write_side_by_side(rows, out / "side_by_side.png")

    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(f"wrote {len(list(out.iterdir()))} files to {out}/, the comparison is {picture}")
    return 0
