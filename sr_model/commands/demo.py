"""`sr-model demo`: export once, run PyTorch and ONNX Runtime at other factors, compare."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sr_model.commands.common import load_model
from sr_model.export import default_opset, export_onnx


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="export once, run PyTorch and ONNX Runtime at other factors, compare",
        description="Export the dynamic model once at x3, then run the same file at several factors.",
        epilog="example: sr-model demo",
    )
    parser.add_argument("--checkpoint", type=Path, default=None, help="weights (default: random, seed 0)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a fresh one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from sr_model.model import make_factor
    from sr_model.runtime import create_session, run_session
    from sr_model.testing.parity import torch_output

    out = args.out or Path(tempfile.mkdtemp(prefix="sr-model-demo-", dir="."))
    model = load_model(args.checkpoint)
    path = export_onnx(out / "srcnn.onnx", model, exporter="torchscript", opset=default_opset("torchscript"))
    session = create_session(path)
    image = (np.random.default_rng(0).random((1, 3, 64, 48), dtype=np.float32) * 255).astype(np.float32)
    print(f"exported {path} once (example factor x3); running it at other factors:")
    print(f"{'factor':>10}  {'torch shape':>16}  {'ORT shape':>16}  {'max|torch-ORT|':>14}")
    for scales in [(2.0, 2.0), (3.0, 3.0), (4.0, 4.0), (2.5, 2.5), (1.5, 3.0)]:
        factor = make_factor(*scales).numpy()
        expected = torch_output(model, image, factor)
        actual = run_session(session, image, factor)
        diff = float(np.abs(actual - expected).max()) if actual.shape == expected.shape else float("nan")
        name = "x".join(f"{s:g}" for s in scales)
        print(f"{name:>10}  {str(expected.shape):>16}  {str(actual.shape):>16}  {diff:>14.2e}")
    return 0
