"""Image-quality metrics as the SR literature reports them, and the bicubic-vs-model evaluation.

PSNR and SSIM are computed on the luma (Y of ITU-R BT.601 YCbCr, MATLAB's `rgb2ycbcr`) of images
quantised to 8-bit levels, with `border` pixels cropped from every side (the scale, by convention:
the border is where zero padding and missing context dominate). SSIM is Wang et al. (2004): an 11x11
Gaussian window with sigma 1.5, K1=0.01, K2=0.03, over the valid region. Needs only numpy and torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sr_model.degrade import degrade
from sr_model.errors import InputImageError
from sr_model.model import make_factor
from sr_model.ops import bicubic_resize

_DATA_RANGE = 255.0


def quantise(image: np.ndarray) -> np.ndarray:
    """An image rounded and clipped to 0..255 levels (what a PNG of it would hold), as float64."""
    return np.clip(np.rint(np.asarray(image, dtype=np.float64)), 0.0, 255.0)


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """The BT.601 luma (16..235) of an Nx3xHxW RGB image in 0..255, as Nx1xHxW float64."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 4 or image.shape[1] != 3:
        raise InputImageError(f"image shape {image.shape} is not Nx3xHxW; expected an RGB batch")
    r, g, b = image[:, 0:1], image[:, 1:2], image[:, 2:3]
    return 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def _luma_pair(a: np.ndarray, b: np.ndarray, border: int) -> tuple[np.ndarray, np.ndarray]:
    if np.shape(a) != np.shape(b):
        raise InputImageError(f"image shapes {np.shape(a)} and {np.shape(b)} differ; expected equal shapes")
    ya, yb = rgb_to_y(quantise(a)), rgb_to_y(quantise(b))
    if border:
        ya, yb = ya[..., border:-border, border:-border], yb[..., border:-border, border:-border]
    if ya.size == 0:
        raise InputImageError(f"border={border} crops away all of {np.shape(a)}; pass a smaller border")
    return ya, yb


def psnr(a: np.ndarray, b: np.ndarray, border: int = 0) -> float:
    """PSNR in dB between two Nx3xHxW RGB images (0..255) on the Y channel, `border` px cropped."""
    ya, yb = _luma_pair(a, b, border)
    mse = float(np.mean((ya - yb) ** 2))
    return math.inf if mse == 0.0 else 10.0 * math.log10(_DATA_RANGE**2 / mse)


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    kernel = torch.exp(-(coords**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    return (kernel[:, None] * kernel[None, :])[None, None]


def ssim(a: np.ndarray, b: np.ndarray, border: int = 0) -> float:
    """Mean SSIM between two Nx3xHxW RGB images (0..255) on the Y channel, `border` px cropped."""
    ya, yb = (torch.from_numpy(y) for y in _luma_pair(a, b, border))
    window = _gaussian_window()
    if min(ya.shape[-2:]) < window.shape[-1]:
        raise InputImageError(f"image of {tuple(ya.shape[-2:])} after cropping is smaller than the 11x11 SSIM window")
    c1, c2 = (0.01 * _DATA_RANGE) ** 2, (0.03 * _DATA_RANGE) ** 2

    def blur(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, window)

    mu_a, mu_b = blur(ya), blur(yb)
    var_a = blur(ya * ya) - mu_a**2
    var_b = blur(yb * yb) - mu_b**2
    cov = blur(ya * yb) - mu_a * mu_b
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(index.mean())


@dataclass(frozen=True)
class ScaleResult:
    """Bicubic vs model at one integer scale on one image."""

    scale: int
    psnr_bicubic: float
    psnr_model: float
    ssim_bicubic: float
    ssim_model: float

    @property
    def psnr_gain(self) -> float:
        return self.psnr_model - self.psnr_bicubic


def upscale_pair(model: nn.Module, low: torch.Tensor, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(bicubic, model) upscales of an NCHW 0..255 image by `scale`, both through the model's own op."""
    factor = make_factor(float(scale))
    with torch.inference_mode():
        return bicubic_resize(low, factor).numpy(), model(low, factor).numpy()


def evaluate_image(model: nn.Module, image: np.ndarray, scales: tuple[int, ...] = (2, 3, 4)) -> list[ScaleResult]:
    """Downsample `image` (Nx3xHxW, 0..255) by each scale, upscale it back, score both against it."""
    results = []
    for scale in scales:
        high, low = degrade(torch.from_numpy(np.asarray(image, dtype=np.float32)), scale)
        bicubic, restored = upscale_pair(model, low, scale)
        reference = high.numpy()
        results.append(
            ScaleResult(
                scale=scale,
                psnr_bicubic=psnr(bicubic, reference, border=scale),
                psnr_model=psnr(restored, reference, border=scale),
                ssim_bicubic=ssim(bicubic, reference, border=scale),
                ssim_model=ssim(restored, reference, border=scale),
            )
        )
    return results


def format_table(results: list[ScaleResult]) -> str:
    """A Markdown table of `results` (PSNR in dB, SSIM, both on Y with the scale as border)."""
    lines = [
        "| scale | bicubic PSNR | SRCNN PSNR | gain | bicubic SSIM | SRCNN SSIM |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| x{r.scale} | {r.psnr_bicubic:.2f} dB | {r.psnr_model:.2f} dB | {r.psnr_gain:+.2f} dB "
            f"| {r.ssim_bicubic:.4f} | {r.ssim_model:.4f} |"
        )
    return "\n".join(lines)
