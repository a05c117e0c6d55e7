"""The golden snapshot of every file this suite exports, in fixtures/goldens/ (update: --update-goldens).

Repository-specific (the goldens describe this repository's exports on its pinned stack), so it lives
in tests/, not in the shipped suite. Named `test_parity_*`: the fast gate (`-k parity`) runs it.
"""

from __future__ import annotations

import onnx
import torch

from sr_model.engine.golden import golden_diff, write_golden
from sr_model.paths import GOLDENS


def test_parity_golden_graph(own_export_target, exported, pytestconfig) -> None:
    model = onnx.load(exported(own_export_target))
    golden = GOLDENS / f"{own_export_target.id}.json"
    if pytestconfig.getoption("--update-goldens"):
        import onnxruntime
        import onnxscript

        write_golden(golden, model, {"torch": torch.__version__, "onnx": onnx.__version__,
                                     "onnxruntime": onnxruntime.__version__, "onnxscript": onnxscript.__version__})
        return
    assert golden.is_file(), f"golden {golden} is missing; run pytest --update-goldens and review the diff"
    diff = golden_diff(golden, model)
    assert not diff, f"graph differs from its golden [{own_export_target.id}] (if intended: --update-goldens):\n{diff}"
