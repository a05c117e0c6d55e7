"""PyTorch vs the runtime on the named grid, on files exported at ONE shape and factor."""

from __future__ import annotations

import pytest

from sr_model.engine.cases import PARITY_GRID, ParityCase
from sr_model.testing import asserts


@pytest.mark.parametrize("case", PARITY_GRID, ids=[case.id for case in PARITY_GRID])
def test_parity_grid(grid_target, case: ParityCase, target_run) -> None:
    asserts.assert_conforms(target_run(grid_target).run_case(case))
