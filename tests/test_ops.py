"""The eager op's contract: ORT's float32 output size and same-shape shortcut, aten's pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sr_model import ops
from sr_model.model import SRCNN, make_factor, random_model


@pytest.mark.parametrize(
    ("size", "scale", "expected"),
    [(10, 1.3, 13), (10, 2.0, 20), (9, 10 / 3, 30), (4, 1.2, 4), (1, 8.0, 8), (17, 2.5, 42)],
)
def test_output_size_is_computed_in_float32(size, scale, expected) -> None:
    assert ops.output_size(size, scale) == expected


def test_float32_size_differs_from_float64_where_documented() -> None:
    # The factor tensor holds float32(1.3) = 1.29999995: times 10 it rounds to 13.0 in float32 (ORT)
    # but is 12.9999995 in torch's double arithmetic, so F.interpolate gives 12.
    scale = float(np.float32(1.3))
    out = ops.bicubic_resize(torch.rand(1, 3, 10, 10), make_factor(1.3))
    reference = F.interpolate(torch.rand(1, 3, 10, 10), scale_factor=scale, mode="bicubic", align_corners=False)
    assert tuple(out.shape[2:]) == (13, 13) and tuple(reference.shape[2:]) == (12, 12)


def test_unchanged_shape_returns_the_input_like_ort() -> None:
    image = torch.arange(48, dtype=torch.float32).reshape(1, 3, 4, 4)
    out = ops.bicubic_resize(image, make_factor(1.2))
    assert torch.equal(out, image) and out.data_ptr() != image.data_ptr()


@pytest.mark.parametrize(("scale_h", "scale_w", "shape"), [(2.0, 2.0, (1, 3, 9, 7)), (2.5, 3.0, (2, 3, 17, 9))])
def test_pixels_equal_torch_bicubic_where_sizes_agree(scale_h, scale_w, shape) -> None:
    image = torch.rand(shape) * 255
    out = ops.bicubic_resize(image, make_factor(scale_h, scale_w))
    reference = F.interpolate(image, scale_factor=(scale_h, scale_w), mode="bicubic", align_corners=False)
    torch.testing.assert_close(out, reference, rtol=0, atol=0)


def test_static_and_dynamic_models_share_weights_and_agree() -> None:
    dynamic = random_model(seed=3)
    static = SRCNN(upscale_factor=2).eval()
    static.load_state_dict(dynamic.state_dict())
    image = torch.rand(1, 3, 12, 10) * 255
    with torch.inference_mode():
        np.testing.assert_array_equal(static(image).numpy(), dynamic(image, make_factor(2.0)).numpy())


def test_random_model_is_reproducible_and_leaves_the_global_rng_alone() -> None:
    state = torch.random.get_rng_state()
    first, second = random_model(seed=5), random_model(seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    for key, value in first.state_dict().items():
        assert torch.equal(value, second.state_dict()[key])
