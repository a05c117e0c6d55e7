"""A super-resolution model that is not SRCNN, gated with sr_model (docs/gate-your-own-model.md)."""
import torch
from torch import nn

from sr_model.ops import bicubic_resize


class MySR(nn.Module):
    """Upsample by the live `factor`, then 3x3 convs 3 -> 32 -> 16 -> 3 with LeakyReLU (SRCNN: 9-5-5, ReLU)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.LeakyReLU(0.1),
                                  nn.Conv2d(32, 16, 3, padding=1), nn.LeakyReLU(0.1), nn.Conv2d(16, 3, 3, padding=1))

    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        upsampled = bicubic_resize(input, factor)  # the exported op: `factor` stays an ONNX input
        return self.body(upsampled)


def factory() -> nn.Module:
    """The eager model with its weights (seeded here; yours would load a checkpoint), in eval mode."""
    torch.manual_seed(0)
    return MySR().eval()
