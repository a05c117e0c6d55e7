"""Run one parity case through PyTorch and through ONNX Runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:
    import onnxruntime


def torch_output(model: nn.Module, image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """The eager model's output for an NCHW float32 image and a `[1, 1, sh, sw]` factor."""
    with torch.inference_mode():
        return model(torch.from_numpy(image), torch.from_numpy(factor)).numpy()


def ort_output(
    session: "onnxruntime.InferenceSession", image: np.ndarray, factor: np.ndarray
) -> np.ndarray:
    """The exported model's output under ONNX Runtime for the same inputs."""
    from sr_model.runtime import run_session

    return run_session(session, image, factor)
