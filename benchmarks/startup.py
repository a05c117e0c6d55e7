"""Per-worker start-up cost: what a fresh process (an xdist worker) pays before its first test.

Each repeat is a fresh `python` process that times, in the order a worker meets them, the imports
(torch, onnx, onnxruntime, onnxscript, then the rest of sr_model.export), the dynamo capability
probe, and two exports per exporter (the first pays one-time tracing set-up, the second is the
steady cost). Every step is timed alone with perf_counter (the `-X importtime` cumulative figure of
the top-level import, taken in this order), so a step's figure excludes what earlier steps loaded.

    PYTHONPATH=. python -m benchmarks.startup [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from benchmarks.measure import Spread, log
from sr_model.paths import REPO_ROOT

# Runs in the child; prints {step: seconds} as one JSON line.
_CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
steps = {}
def step(name, fn):
    start = time.perf_counter(); fn(); steps[name] = time.perf_counter() - start
step("import torch", lambda: __import__("torch"))
step("import onnx", lambda: __import__("onnx"))
step("import onnxruntime", lambda: __import__("onnxruntime"))
step("import onnxscript", lambda: __import__("onnxscript"))
step("import sr_model.export (the rest)", lambda: __import__("sr_model.export"))
from sr_model import compat
from sr_model.export import export_onnx
from sr_model.model import random_model
model = random_model(0)
step("dynamo probe (compat.data_dependent_conv_export_failure)", compat.data_dependent_conv_export_failure)
with tempfile.TemporaryDirectory() as folder:
    for exporter, opset in (("torchscript", 17), ("dynamo", 20)):
        for nth in ("first", "second"):
            path = Path(folder) / f"{exporter}-{nth}.onnx"
            step(f"{nth} {exporter} export (opset {opset})",
                 lambda: export_onnx(path, model, exporter=exporter, opset=opset))
print(json.dumps(steps))
"""


def measure(repeats: int) -> dict[str, Any]:
    """Each step's spread (seconds) over `repeats` fresh processes."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    samples: dict[str, list[float]] = {}
    for index in range(repeats):
        log(f"startup: fresh process {index + 1}/{repeats}")
        result = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO_ROOT, env=env, capture_output=True,
                                text=True, check=True)
        for name, seconds in json.loads(result.stdout.strip().splitlines()[-1]).items():
            samples.setdefault(name, []).append(seconds)
    return {"steps": {name: Spread.of(values).to_dict() for name, values in samples.items()},
            "repeats": repeats}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    results = measure(args.repeats)
    for name, spread in results["steps"].items():
        print(f"{name:<60} {spread['median']:.2f} s ({spread['min']:.2f}..{spread['max']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
