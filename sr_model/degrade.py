"""The degradation that makes low-resolution inputs: an antialiased bicubic downsample.

Training and evaluation use this one function, so the model is evaluated on the degradation it was
trained on. It is the SR literature's usual "BI" degradation (MATLAB `imresize`: bicubic with A=-0.5
and the kernel widened by the factor, i.e. antialiased), followed by rounding to 8-bit levels, as a
low-resolution PNG would store it. The upsample is NOT this function: it is the model's own op.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from sr_model.errors import FactorError, InputImageError


def downsample(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """An NCHW 0..255 image shrunk to `size` (height, width), antialiased, rounded to 0..255 levels."""
    if image.ndim != 4:
        raise InputImageError(f"image shape {tuple(image.shape)} is not NCHW; expected a 4-D tensor")
    height, width = size
    if not (1 <= height <= image.shape[-2] and 1 <= width <= image.shape[-1]):
        raise FactorError(
            f"downsample size {size} is not within 1..{tuple(image.shape[-2:])}; expected a smaller size"
        )
    small = F.interpolate(image, size=(height, width), mode="bicubic", align_corners=False, antialias=True)
    return small.round().clamp(0.0, 255.0)


def modcrop(image: torch.Tensor, scale: int) -> torch.Tensor:
    """The top-left crop of an NCHW image whose height and width are multiples of `scale`."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise FactorError(f"modcrop scale={scale!r} is not a positive integer; pass 2, 3, 4, ...")
    height, width = image.shape[-2] // scale * scale, image.shape[-1] // scale * scale
    if height == 0 or width == 0:
        raise InputImageError(
            f"image of {tuple(image.shape[-2:])} is smaller than the scale {scale}; pass a larger image"
        )
    return image[..., :height, :width]


def degrade(image: torch.Tensor, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(high-res, low-res): `image` cropped to a multiple of `scale`, and that crop shrunk by `scale`."""
    high = modcrop(image, scale)
    low = downsample(high, (high.shape[-2] // scale, high.shape[-1] // scale))
    return high, low
