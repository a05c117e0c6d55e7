"""Two dynamic-scale models that are not SRCNN-shaped, for gating "your own model" with the suite.

Each takes `forward(input, factor)` like `DynamicSRCNN` and upsamples with the exported op
`sr_model.ops.bicubic_resize`, so the factor stays a live ONNX input. The weights are PyTorch's
default initialisation from a fixed seed: the point is a network the tolerance was never tuned on,
not a good picture.
"""

from __future__ import annotations

import torch
from torch import nn

from sr_model import ops


def _seeded(seed: int, build: type[nn.Module]) -> nn.Module:
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = build()
    finally:
        torch.random.set_rng_state(state)
    return model.eval()


class TinySR(nn.Module):
    """3x3 convolutions 32 -> 16 -> 3 predicting a residual added to the bicubic upsample."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 3, kernel_size=3, padding=1),
        )

    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        upsampled = ops.bicubic_resize(input, factor)
        return upsampled + self.body(upsampled)


class NormalizedSR(nn.Module):
    """Works in 0..1: a 1x1 expansion, a 7x7 depthwise and a 5x5 mixing conv with LeakyReLU, in between."""

    def __init__(self) -> None:
        super().__init__()
        self.expand = nn.Conv2d(3, 24, kernel_size=1)
        self.depthwise = nn.Conv2d(24, 24, kernel_size=7, padding=3, groups=24)
        self.mix = nn.Conv2d(24, 3, kernel_size=5, padding=2)
        self.act = nn.LeakyReLU(0.1)

    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        upsampled = ops.bicubic_resize(input / 255.0, factor)
        out = self.act(self.expand(upsampled))
        out = self.act(self.depthwise(out))
        return (upsampled + self.mix(out)) * 255.0


def tiny_sr() -> nn.Module:
    """TinySR with default-initialised weights from seed 1, in eval mode."""
    return _seeded(1, TinySR)


def normalized_sr() -> nn.Module:
    """NormalizedSR with default-initialised weights from seed 2, in eval mode."""
    return _seeded(2, NormalizedSR)
