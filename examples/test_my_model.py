"""Your own parity cases, on the sr_model plugin's fixtures: run next to my_models.py with
`pytest test_my_model.py --onnx-model mine.onnx --model my_models:factory`."""
import numpy as np
import pytest

from sr_model.engine.cases import ParityCase
from sr_model.testing import asserts

# The scales and sizes this product serves (scale_h, scale_w, NCHW shape): a 2.2x preview,
# a batch of 3x thumbnails, an anisotropic 1.5x2 crop.
MY_CASES = [ParityCase(2.2, 2.2, (1, 3, 54, 96)), ParityCase(3.0, 3.0, (4, 3, 32, 32)),
            ParityCase(1.5, 2.0, (1, 3, 40, 30))]


@pytest.mark.parametrize("case", MY_CASES, ids=[case.id for case in MY_CASES])
def test_parity_my_cases(grid_target, target_run, case: ParityCase) -> None:
    asserts.assert_conforms(target_run(grid_target).run_case(case))


def test_parity_my_gradient(grid_target, target_run) -> None:
    """Any image of your own: here a smooth 0..255 ramp at x2.5."""
    ramp = np.linspace(0.0, 255.0, 48 * 64, dtype=np.float32).reshape(1, 1, 48, 64).repeat(3, axis=1)
    factor = np.array([1.0, 1.0, 2.5, 2.5], dtype=np.float32)
    asserts.assert_conforms(target_run(grid_target).run_image("ramp-x2.5", ramp, factor, "gradient"))
