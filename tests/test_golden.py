"""Every export matches its golden graph snapshot in fixtures/goldens/ (update: --update-goldens)."""

from __future__ import annotations

import onnx
import pytest
import torch

from sr_model.paths import GOLDENS
from sr_model.testing.golden import golden_diff, write_golden


def test_graph_matches_golden(export_target, onnx_path, pytestconfig) -> None:
    if export_target.path:
        pytest.skip("goldens describe the files this suite exports, not an --onnx-model file")
    model = onnx.load(onnx_path)
    golden = GOLDENS / f"{export_target.id}.json"
    if pytestconfig.getoption("--update-goldens"):
        import onnxruntime
        import onnxscript

        write_golden(golden, model, {"torch": torch.__version__, "onnx": onnx.__version__,
                                     "onnxruntime": onnxruntime.__version__, "onnxscript": onnxscript.__version__})
        return
    assert golden.is_file(), f"golden {golden} is missing; run pytest --update-goldens and review the diff"
    diff = golden_diff(golden, model)
    assert not diff, f"graph differs from its golden [{export_target.id}] (if intended: --update-goldens):\n{diff}"
