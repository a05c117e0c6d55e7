"""The reference-device context: TF32 set as stated during the reference, the user's settings back after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from sr_model.device import reference_device
from sr_model.errors import UsageError
from sr_model.model import random_model


@pytest.fixture
def user_tf32_on() -> Iterator[None]:
    """A user who enabled TF32 everywhere (cuDNN's is PyTorch's default; matmul's is opt-in)."""
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def test_tf32_is_off_during_the_reference_and_restored_after(user_tf32_on) -> None:
    model = random_model()
    with reference_device(model, "cpu") as report:
        assert torch.backends.cuda.matmul.allow_tf32 is False
        assert torch.backends.cudnn.allow_tf32 is False
        assert report == {"device": "cpu", "tf32": False, "cuda_matmul_allow_tf32": False, "cudnn_allow_tf32": False}
    assert torch.backends.cudnn.allow_tf32 is True
    assert torch.backends.cuda.matmul.allow_tf32 is True


def test_user_flags_off_stay_off() -> None:
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    try:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = False, True
        with reference_device(random_model(), "cpu", allow_tf32=True):
            assert torch.backends.cuda.matmul.allow_tf32 is True
        assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == (False, True)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def test_allow_tf32_is_stated_in_the_report() -> None:
    with reference_device(random_model(), "cpu", allow_tf32=True) as report:
        assert torch.backends.cudnn.allow_tf32 is True and torch.backends.cuda.matmul.allow_tf32 is True
        assert report["tf32"] is True and report["cudnn_allow_tf32"] is True


def test_settings_are_restored_when_the_reference_fails(user_tf32_on) -> None:
    with pytest.raises(ZeroDivisionError):
        with reference_device(random_model(), "cpu"):
            1 / 0
    assert torch.backends.cudnn.allow_tf32 is True and torch.backends.cuda.matmul.allow_tf32 is True


def test_model_goes_back_to_its_device() -> None:
    model = random_model().to(torch.float32)
    with reference_device(model, "cpu"):
        assert next(model.parameters()).device.type == "cpu"
    assert next(model.parameters()).device.type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this torch sees a CUDA device")
def test_cuda_without_a_gpu_is_a_usage_error(user_tf32_on) -> None:
    with pytest.raises(UsageError, match=r"reference device='cuda', but this torch .* sees no CUDA device"):
        with reference_device(random_model(), "cuda"):
            pass
    assert torch.backends.cudnn.allow_tf32 is True  # nothing was touched


def test_bad_device_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"reference device='gpu7' is not a torch device"):
        with reference_device(random_model(), "gpu7"):
            pass
