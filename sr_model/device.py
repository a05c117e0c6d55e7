"""Running the PyTorch reference on another device (a GPU) without TF32 silently in the way.

Why: PyTorch's default `torch.backends.cudnn.allow_tf32 = True` lets cuDNN run float32 convolutions
in TF32 (10-bit mantissa). Measured on torch 2.11 + CUDA, 28 face cases vs ONNX Runtime on the CPU:
27 of 28 exceed the trained-weights tolerance with TF32 on (worst 143x atol), 0 of 28 with it off
(worst 0.42x) (shared/FACTS.md section 7). So the reference disables TF32 by default, says so, and
restores the user's settings afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TypedDict

import torch
from torch import nn

from sr_model.errors import UsageError


class DeviceReport(TypedDict):
    """What the reference ran on, for reports."""

    device: str  # e.g. "cuda:0 (NVIDIA H100 80GB HBM3)" or "cpu"
    tf32: bool  # whether TF32 was allowed (cuBLAS matmul and cuDNN convolutions) during the reference
    cuda_matmul_allow_tf32: bool
    cudnn_allow_tf32: bool


def _resolve(device: str) -> torch.device:
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise UsageError(f"reference device={device!r} is not a torch device ({error}); expected 'cpu' or 'cuda[:N]'") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(
            f"reference device={device!r}, but this torch ({torch.__version__}) sees no CUDA device; "
            "use --reference-device cpu or a CUDA build of torch on a machine with a GPU"
        )
    return resolved


def check_device(device: str) -> str:
    """Raise UsageError unless this torch can run on `device`; returns its description."""
    return describe_device(_resolve(device))


def describe_device(device: torch.device) -> str:
    """A device name for reports: "cpu", or "cuda:0 (<GPU name>)"."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)


@contextlib.contextmanager
def reference_device(model: nn.Module, device: str, *, allow_tf32: bool = False) -> Iterator[DeviceReport]:
    """Run `model` on `device` for the duration, TF32 off unless `allow_tf32`; yields what was set.

    On exit the model goes back to the device it came from and the caller's two TF32 flags
    (`torch.backends.cuda.matmul.allow_tf32`, `torch.backends.cudnn.allow_tf32`) are restored; a
    matmul precision of "medium" comes back as "high" (the legacy flag cannot say "medium").
    """
    resolved = _resolve(device)
    previous_device = next((p.device for p in model.parameters()), torch.device("cpu"))
    # Only the two legacy flags are read and written: torch >= 2.9 raises when a caller reads the
    # global float32 matmul precision after mixing them with its newer per-backend API.
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    try:
        torch.backends.cuda.matmul.allow_tf32 = allow_tf32
        torch.backends.cudnn.allow_tf32 = allow_tf32
        model.to(resolved)
        yield DeviceReport(
            device=describe_device(resolved),
            tf32=allow_tf32,
            cuda_matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
            cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
        )
    finally:
        model.to(previous_device)
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
