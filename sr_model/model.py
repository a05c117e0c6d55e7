"""SRCNN (Dong et al., 2014) with a bicubic pre-upsample, in a static and a dynamic-scale form.

Both forms own the same three convolutions under the same names (`conv1`, `conv2`, `conv3`), so
one state dict serves both. This module imports no onnx or onnxruntime.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sr_model import ops


class _SRCNNLayers(nn.Module):
    """The learned part: feature extraction, non-linear mapping, reconstruction."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=9, padding=4)
        self.conv2 = nn.Conv2d(64, 32, kernel_size=1, padding=0)
        self.conv3 = nn.Conv2d(32, 3, kernel_size=5, padding=2)
        self.relu = nn.ReLU()

    def refine(self, upsampled: torch.Tensor) -> torch.Tensor:
        """Map a bicubic-upsampled image to the restored image (same size)."""
        out = self.relu(self.conv1(upsampled))
        out = self.relu(self.conv2(out))
        return self.conv3(out)


class SRCNN(_SRCNNLayers):
    """SRCNN with its upscale factor fixed at construction (a Python number, per axis or both)."""

    def __init__(self, upscale_factor: float | tuple[float, float] = 3.0) -> None:
        super().__init__()
        if isinstance(upscale_factor, (int, float)):
            upscale_factor = (float(upscale_factor), float(upscale_factor))
        self.upscale_factor: tuple[float, float] = (float(upscale_factor[0]), float(upscale_factor[1]))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        upsampled = F.interpolate(
            input, scale_factor=self.upscale_factor, mode="bicubic", align_corners=False
        )
        return self.refine(upsampled)


class DynamicSRCNN(_SRCNNLayers):
    """SRCNN whose upscale factor is a second input: a float32 tensor `[1, 1, sh, sw]`.

    The upsample is the custom op `sr_model::bicubic_resize`, which exports to one ONNX `Resize`
    whose `scales` input is the graph input `factor`.
    """

    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        return self.refine(ops.bicubic_resize(input, factor))


def make_factor(scale_h: float, scale_w: float | None = None) -> torch.Tensor:
    """The `factor` input for (scale_h, scale_w); one number means the same scale on both axes."""
    if scale_w is None:
        scale_w = scale_h
    return torch.tensor([1.0, 1.0, scale_h, scale_w], dtype=torch.float32)


def random_model(seed: int = 0) -> DynamicSRCNN:
    """A DynamicSRCNN with PyTorch's default initialisation drawn from a fixed seed, in eval mode."""
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = DynamicSRCNN()
    finally:
        torch.random.set_rng_state(generator_state)
    return model.eval()
