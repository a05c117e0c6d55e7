"""`sr-model export`: write the dynamic-scale model as ONNX."""

from __future__ import annotations

import argparse
from pathlib import Path

from sr_model.commands.common import load_model
from sr_model.export import EXPORTERS, default_opset, export_onnx
from sr_model.ops import RESIZE_FORMS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export the dynamic-scale model to ONNX",
        description="Export DynamicSRCNN to ONNX with `factor` as a live input.",
        epilog="example: sr-model export --exporter dynamo --opset 18 -o srcnn.onnx",
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="ONNX file to write")
    parser.add_argument("--exporter", choices=EXPORTERS, default="torchscript")
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset (default: per exporter)")
    parser.add_argument("--checkpoint", type=Path, default=None, help="weights (default: random, seed 0)")
    parser.add_argument(
        "--resize", choices=RESIZE_FORMS, default="resize",
        help="ONNX form of the bicubic upsample: one Resize node (default), or 'decomposed' into "
             "MatMuls (multi-threaded in ORT; no Resize, for engines like TensorRT)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    opset = args.opset if args.opset is not None else default_opset(args.exporter)
    path = export_onnx(
        args.output, load_model(args.checkpoint), exporter=args.exporter, opset=opset, resize=args.resize
    )
    print(f"wrote {path} ({args.exporter}, opset {opset}, {args.resize} form)")
    return 0
