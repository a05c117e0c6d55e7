"""`sr-model export`: write the dynamic-scale model as ONNX."""

from __future__ import annotations

import argparse
from pathlib import Path

from sr_model.commands.common import add_checkpoint_argument, load_model
from sr_model.export import EXPORTERS, default_opset, export_onnx
from sr_model.ops import RESIZE_FORMS

EXAMPLES = """examples:
  sr-model export -o srcnn.onnx                                   # shipped weights, torchscript, opset 17
  sr-model export -o srcnn.onnx --exporter dynamo --opset 18
  sr-model export -o random.onnx --random-weights                 # seeded random weights (tests)

The file takes `input` [N,3,H,W] float32 in 0..255 and `factor` [1,1,sh,sw] float32: one file
serves every scale and size (see `sr-model upscale --backend onnxruntime --onnx FILE`).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export the dynamic-scale model to ONNX",
        description="Export DynamicSRCNN to ONNX with `factor` as a live input.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="ONNX file to write")
    parser.add_argument("--exporter", choices=EXPORTERS, default="torchscript")
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset (default: per exporter)")
    add_checkpoint_argument(parser)
    parser.add_argument("--random-weights", action="store_true", help="ignore --checkpoint: random weights, seed 0")
    parser.add_argument(
        "--resize", choices=RESIZE_FORMS, default="resize",
        help="ONNX form of the bicubic upsample: one Resize node (default), or 'decomposed' into "
             "MatMuls (multi-threaded in ORT; no Resize, for engines like TensorRT)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    opset = args.opset if args.opset is not None else default_opset(args.exporter)
    model = load_model(None if args.random_weights else args.checkpoint)
    path = export_onnx(args.output, model, exporter=args.exporter, opset=opset, resize=args.resize)
    weights = "random weights, seed 0" if args.random_weights else f"weights {args.checkpoint}"
    print(f"wrote {path} ({args.exporter}, opset {opset}, {args.resize} form, {weights})")
    return 0
