"""`sr-model export`: write the dynamic-scale model as ONNX."""

from __future__ import annotations

import argparse
from pathlib import Path

from sr_model.commands.common import add_reference_arguments, resolve

EXAMPLES = """examples:
  sr-model export -o srcnn.onnx                                   # shipped weights, torchscript, opset 17
  sr-model export -o srcnn.onnx --exporter dynamo --opset 18
  sr-model export -o random.onnx --random-weights                 # seeded random weights (tests)
  sr-model export -o mine.onnx --model my_models:build_sr         # your own model

The file takes `input` [N,3,H,W] float32 in 0..255 and `factor` [1,1,sh,sw] float32: one file
serves every scale and size (see `sr-model upscale --backend onnxruntime --onnx FILE`). It records
which weights it came from, so `sr-model verify` can tell a weights mismatch from a broken export.
"""

EXPORTERS = ("torchscript", "dynamo")  # sr_model.export.EXPORTERS, without importing torch for --help
FORMS = ("resize", "decomposed")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export the dynamic-scale model to ONNX",
        description="Export the dynamic-scale model to ONNX with `factor` as a live input.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="ONNX file to write")
    parser.add_argument("--exporter", choices=EXPORTERS, default="torchscript")
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset (default: per exporter)")
    add_reference_arguments(parser)
    parser.add_argument(
        "--resize", choices=FORMS, default="resize",
        help="ONNX form of the bicubic upsample: one Resize node (default), or 'decomposed' into "
             "MatMuls (multi-threaded in ORT; no Resize node)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sr_model.export import default_opset, export_onnx

    opset = args.opset if args.opset is not None else default_opset(args.exporter)
    reference = resolve(args)
    path = export_onnx(args.output, reference.model, exporter=args.exporter, opset=opset, resize=args.resize,
                       weights=reference.label)
    print(f"wrote {path} ({args.exporter}, opset {opset}, {args.resize} form, {reference.label})")
    return 0
