"""The eager op's contract: ORT's float32 output size and same-shape shortcut, aten's pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sr_model import ops
from sr_model.model import SRCNN, make_factor, random_model

# The exporter's own contract (opset ranges, defaults, the form switch): part of the fast gate.
pytestmark = pytest.mark.gate


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


# --- the TorchScript form switch: process-global state that every block must restore ------------


class _ResizeOnly(torch.nn.Module):
    def forward(self, image: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        return ops.bicubic_resize(image, factor)


def _plain_legacy_export_ops() -> set[str]:
    """Op types of a plain `torch.onnx.export(dynamo=False)` of the op alone (no sr_model wrapper)."""
    import io
    import warnings

    import onnx

    ops.register_torchscript_symbolic()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notices
        torch.onnx.export(_ResizeOnly(), (torch.rand(1, 3, 4, 5), make_factor(2.0)), buffer,
                          opset_version=17, dynamo=False)
    return {node.op_type for node in onnx.load_from_string(buffer.getvalue()).graph.node}


def _writes_resize() -> bool:
    return "Resize" in _plain_legacy_export_ops()


def test_torchscript_form_is_restored_after_nested_blocks() -> None:
    assert _writes_resize(), "a plain legacy export writes no Resize before any block: a form leaked"
    with ops.torchscript_form("decomposed"):
        assert not _writes_resize()
        with ops.torchscript_form("resize"):
            assert _writes_resize()
        assert not _writes_resize(), "leaving the inner block must restore the outer 'decomposed'"
    assert _writes_resize(), "leaving the outer block must restore the default 'resize'"


def test_torchscript_form_is_restored_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError, match="simulated failure inside the block"):
        with ops.torchscript_form("decomposed"):
            raise RuntimeError("simulated failure inside the block")
    assert _writes_resize(), "a block that raised left the 'decomposed' form selected"


def test_unknown_torchscript_form_is_refused_and_changes_nothing() -> None:
    with pytest.raises(ValueError, match="form='cubic'"):
        with ops.torchscript_form("cubic"):  # type: ignore[arg-type]
            pass
    assert _writes_resize(), "a refused form changed the selected form"


def test_plain_legacy_export_after_a_decomposed_export_onnx_writes_a_resize(tmp_path) -> None:
    # export_onnx selects the form only for its own export; a user's plain export afterwards gets
    # the default form (the registration itself is process-global and stays).
    from sr_model.export import export_onnx

    export_onnx(tmp_path / "d.onnx", random_model(), opset=17, resize="decomposed")
    assert _writes_resize(), "after export_onnx(resize='decomposed') a plain legacy export wrote no Resize"
