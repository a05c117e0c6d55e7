"""The derived tolerance: a bound from float32 vs float64 eager runs passes correct files and fails a wrong kernel.

Expectations are stated independently of the bound's constants: correct files must pass with the
2x margin the measurement script shows (shared/FACTS-style figures in the module's comments), a
wrong Keys coefficient is a pixel-level error (far above any float32 rounding), and the float64
run must size its output with the float32 rule (floor(float32(H) * float32(s))).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from examples.own_models import normalized_sr, tiny_sr
from sr_model import ops
from sr_model.engine.derived_tolerance import DerivedBound, derived_bound, with_overrides
from sr_model.errors import InputImageError
from sr_model.export import export_onnx
from sr_model.model import make_factor, random_model
from sr_model.runtime import create_session, run_session
from sr_model.testing import broken

MODELS = {"srcnn-random": lambda: random_model(0), "tiny_sr": tiny_sr, "normalized_sr": normalized_sr}
# Non-dyadic scales (where ORT and torch round the source coordinate differently), an anisotropic
# pair and 1.3, whose float32 output size differs from the float64 one at 10 px.
CASES = [((17, 9), (2.5, 2.5)), ((10, 10), (1.3, 1.3)), ((24, 32), (2.0, 3.0)), ((40, 40), (3.7, 3.7))]


def _noise(h: int, w: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((1, 3, h, w)) * 255).astype(np.float32)


@pytest.fixture(scope="module", params=list(MODELS))
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    model = MODELS[request.param]()
    path = export_onnx(tmp_path_factory.mktemp("derived") / f"{request.param}.onnx", model, exporter="torchscript")
    return model, create_session(path, threads=1)


@pytest.mark.parametrize(("size", "scales"), CASES, ids=[f"{h}x{w}-x{sh:g}x{sw:g}" for (h, w), (sh, sw) in CASES])
def test_correct_export_passes_with_margin(exported, size, scales) -> None:
    model, session = exported
    image, factor = _noise(*size), make_factor(*scales).numpy()
    bound = derived_bound(model, image, factor)
    ratio = bound.ratio(run_session(session, image, factor))
    assert ratio <= 0.5, f"max|ort-torch|/atol={ratio:.3f}, but should be <= 0.5 (2x margin) [{bound.reason}]"


def test_wrong_cubic_coefficient_fails_by_a_wide_factor(tmp_path: Path) -> None:
    entry = next(b for b in broken.BROKEN_EXPORTERS if b.name == "wrong_cubic_coeff_a")
    model = random_model(0)
    with entry.inject() as contract:
        path = export_onnx(tmp_path / "wrong_a.onnx", model, exporter="torchscript", contract=contract)
    session = create_session(path, threads=1)
    image, factor = _noise(17, 9), make_factor(2.5).numpy()
    bound = derived_bound(model, image, factor)
    ratio = bound.ratio(run_session(session, image, factor))
    # A=-0.5 vs -0.75 moves pixels by whole grey levels on noise; float32 rounding is ~1e-4.
    assert ratio >= 100, f"max|ort-torch|/atol={ratio:.3g}, but should be >= 100 for A=-0.5 [{bound.reason}]"
    assert not bound.passes(run_session(session, image, factor))


@pytest.mark.parametrize("scale", [1.3, 10 / 3, 4.1, 2.5])
def test_float64_run_uses_the_float32_output_size(scale: float) -> None:
    image = torch.as_tensor(_noise(10, 30))
    factor = make_factor(scale)
    out64 = ops.bicubic_resize(image.double(), factor)
    expected = tuple(math.floor(float(np.float32(n) * np.float32(scale))) for n in (10, 30))
    assert out64.dtype == torch.float64
    assert tuple(out64.shape[-2:]) == expected == tuple(ops.bicubic_resize(image, factor).shape[-2:])


def test_bound_shape_yardstick_and_reason() -> None:
    model = random_model(0)
    image, factor = _noise(10, 10), make_factor(1.3).numpy()
    bound = derived_bound(model, image, factor)
    assert bound.expected.shape == (1, 3, 13, 13)  # float32 rule: 13, not float64's 12
    assert bound.expected.dtype == np.float32 and bound.rtol == 0.0
    assert 0 < bound.yardstick < bound.atol < 1e-2
    assert f"{bound.atol:.3g}" in bound.reason
    # The same model call in float32 is what ORT is compared with.
    with torch.no_grad():
        plain = model(torch.as_tensor(image), torch.as_tensor(factor)).numpy()
    np.testing.assert_array_equal(bound.expected, plain)


def test_ratio_refuses_a_shape_mismatch_and_overrides_replace_the_bound() -> None:
    bound = DerivedBound(expected=np.zeros((1, 3, 2, 2), np.float32), atol=1e-3, rtol=0.0, yardstick=1e-4, reason="r")
    with pytest.raises(ValueError, match="shape"):
        bound.ratio(np.zeros((1, 3, 3, 3), np.float32))
    assert not bound.passes(np.zeros((1, 3, 3, 3), np.float32))
    assert bound.ratio(np.full((1, 3, 2, 2), 5e-4, np.float32)) == pytest.approx(0.5, rel=1e-4)
    loose = with_overrides(bound, atol=1.0)
    assert loose.atol == 1.0 and loose.rtol == 0.0 and "overridden" in loose.reason
    assert with_overrides(bound, rtol=0.5).ratio(np.full((1, 3, 2, 2), 5e-4, np.float32)) == pytest.approx(0.5, rel=1e-4)
    with pytest.raises(ValueError, match="atol=-1"):
        with_overrides(bound, atol=-1)


def test_the_eager_op_still_refuses_other_dtypes() -> None:
    with pytest.raises(InputImageError, match="dtype=float16, but should be float32 or float64"):
        ops.bicubic_resize(torch.zeros(1, 3, 4, 4, dtype=torch.float16), make_factor(2.0))
