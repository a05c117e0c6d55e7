"""`sr-model verify`: does an exported ONNX file conform? Graph checks, then a parity sweep."""

from __future__ import annotations

import argparse
from pathlib import Path

# parse_scale/parse_size stay importable from here; they live in the shared arguments module.
from sr_model.commands.arguments import parse_scale, parse_size
from sr_model.commands.common import add_reference_arguments, resolve
from sr_model.engine.cases import VERIFY_SCALES as DEFAULT_SCALES
from sr_model.engine.cases import VERIFY_SIZES as DEFAULT_SIZES


def _fmt_scale(scale: tuple[float, float]) -> str:
    return f"{scale[0]:g}" if scale[0] == scale[1] else f"{scale[0]:g}x{scale[1]:g}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check that an exported ONNX file conforms (graph, then PyTorch vs ONNX Runtime)",
        description=(
            "Run the graph checks and a parity sweep (scales x sizes) on MODEL against the PyTorch "
            "model. Exit status: 0 conforms, 1 does not conform (or unreadable input), 2 usage error."
        ),
        epilog="example: sr-model verify srcnn.onnx --scales 2 3 2x3 --sizes 64 17x9 --report out/",
    )
    parser.add_argument("onnx_file", type=Path, metavar="MODEL.onnx", help="the exported file to verify")
    add_reference_arguments(parser)
    parser.add_argument("--form", choices=("resize", "decomposed"), default=None,
                        help="the bicubic's ONNX form (default: detected from the graph)")
    parser.add_argument("--runtime", action="append", default=None, metavar="NAME",
                        help="runtime(s) to run the file in, repeatable (default: onnxruntime)")
    parser.add_argument("--reference-device", default="cpu", metavar="DEVICE",
                        help="run the PyTorch reference on this device, e.g. cuda (TF32 disabled for it)")
    parser.add_argument("--reference-tf32", action="store_true",
                        help="allow TF32 on a GPU reference (the tolerance then says the gate is weakened)")
    parser.add_argument("--atol", type=float, default=None,
                        help="override the tolerance: absolute bound (default: the tolerance policy's)")
    parser.add_argument("--rtol", type=float, default=None, help="override the tolerance: relative bound")
    parser.add_argument(
        "--scales", nargs="+", type=parse_scale, default=None, metavar="S",
        help=f"scales, S or HxW (default: {' '.join(map(_fmt_scale, DEFAULT_SCALES))}, plus the contract's "
             "edge cases 10x10 at 1.3 and 4x4 at 1.2)",
    )
    parser.add_argument(
        "--sizes", nargs="+", type=parse_size, default=None, metavar="HxW",
        help=f"input sizes (default: {' '.join(f'{h}x{w}' for h, w in DEFAULT_SIZES)})",
    )
    parser.add_argument("--repro", type=Path, default=None, metavar="DIR",
                        help="write each failing case into DIR as an onnx backend-test folder (model.onnx, "
                             "test_data_set_0/*.pb, README.md with the command that reproduces it)")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR",
                        help="write report.md, report.json and the worst case's PNGs into DIR")
    parser.add_argument("--no-progress", action="store_true", help="no progress feedback on stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sr_model.engine.cases import sweep_cases, verify_cases
    from sr_model.engine.run import verify_file
    from sr_model.engine.target import load_onnx
    from sr_model.engine.tolerance import override_tolerance
    from sr_model.report import format_text, render_worst_images, write_report
    from sr_model.validation import check_memory, validate_scales

    load_onnx(args.onnx_file)  # an unreadable file is one error line before any model is built
    # Scales outside the supported range and sweeps too big for memory are input errors (exit 1,
    # one line), raised before any case runs.
    custom = args.scales is not None or args.sizes is not None
    cases = sweep_cases(args.scales or DEFAULT_SCALES, args.sizes or DEFAULT_SIZES) if custom else verify_cases()
    for case in cases:
        validate_scales(case.scale_h, case.scale_w)
        check_memory(case.shape, case.scale_h, case.scale_w)
    reference = resolve(args, tolerance_override=override_tolerance(args.atol, args.rtol),
                        device=args.reference_device, allow_tf32=args.reference_tf32)
    report = verify_file(
        args.onnx_file, reference, cases, runtimes=args.runtime or ["onnxruntime"],
        form=args.form, show_progress=not args.no_progress, images=args.report is not None, repro_dir=args.repro,
    )
    render_worst_images(report)
    print(format_text(report))
    if args.report is not None:
        written = write_report(report, args.report)
        print(f"report: {', '.join(str(path) for path in written)}")
    return 0 if report.passed else 1
