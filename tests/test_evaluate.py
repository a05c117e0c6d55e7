"""PSNR/SSIM as the SR literature computes them (Y channel, border cropped), and the degradation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sr_model.degrade import degrade, downsample, modcrop
from sr_model.errors import FactorError, InputImageError
from sr_model.evaluate import psnr, rgb_to_y, ssim


def _image(seed: int, shape: tuple[int, ...] = (1, 3, 40, 36)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype(np.float32)


def test_luma_of_black_and_white_is_the_bt601_range() -> None:
    black, white = np.zeros((1, 3, 1, 1)), np.full((1, 3, 1, 1), 255.0)
    assert rgb_to_y(black).item() == pytest.approx(16.0)
    assert rgb_to_y(white).item() == pytest.approx(235.0)


def test_psnr_is_infinite_for_equal_images_and_matches_the_definition() -> None:
    a = _image(0)
    assert psnr(a, a) == math.inf
    b = a.copy()
    b[:, :, 10, 10] = np.clip(a[:, :, 10, 10] + 20, 0, 255)  # one pixel differs
    ya, yb = rgb_to_y(a), rgb_to_y(b)
    expected = 10 * math.log10(255**2 / np.mean((ya - yb) ** 2))
    assert psnr(a, b) == pytest.approx(expected)


def test_psnr_ignores_the_cropped_border() -> None:
    a = _image(1)
    b = a.copy()
    b[:, :, :3, :] = 255 - b[:, :, :3, :]  # damage only the top 3 rows
    assert psnr(a, b, border=3) == math.inf
    assert psnr(a, b, border=2) < 35  # one damaged row of 32 is visible again


def test_metrics_quantise_like_saved_images() -> None:
    a = _image(2)
    assert psnr(a, a + 0.3) == math.inf  # rounds to the same 8-bit levels
    assert psnr(a, a + 0.7) < 60


def test_ssim_is_one_for_equal_images_and_below_for_noise() -> None:
    ramp = np.broadcast_to(np.linspace(30, 220, 36, dtype=np.float32), (1, 3, 40, 36)).copy()
    assert ssim(ramp, ramp) == pytest.approx(1.0)
    noisy = np.clip(ramp + np.random.default_rng(4).normal(0, 25, ramp.shape), 0, 255)
    assert 0.0 < ssim(ramp, noisy, border=2) < 0.5


def test_ssim_matches_scikit_image_gaussian_ssim() -> None:
    metrics = pytest.importorskip("skimage.metrics", reason="scikit-image is the train extra")
    a = _image(5, (1, 3, 48, 40))
    b = np.clip(a + np.random.default_rng(6).normal(0, 12, a.shape), 0, 255)
    ya = rgb_to_y(np.rint(a))[0, 0, 4:-4, 4:-4]
    yb = rgb_to_y(np.rint(b))[0, 0, 4:-4, 4:-4]
    expected = metrics.structural_similarity(
        ya, yb, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert ssim(b, a, border=4) == pytest.approx(expected, abs=1e-9)


def test_metric_errors_name_the_problem() -> None:
    with pytest.raises(InputImageError, match=r"shapes \(1, 3, 40, 36\) and \(1, 3, 40, 35\) differ"):
        psnr(_image(0), _image(0)[..., :35])
    with pytest.raises(InputImageError, match="border=20 crops away all"):
        psnr(_image(0), _image(0), border=20)


def test_degrade_crops_to_a_multiple_and_shrinks_by_the_scale() -> None:
    image = torch.from_numpy(_image(7, (1, 3, 31, 29)))
    high, low = degrade(image, 3)
    assert tuple(high.shape) == (1, 3, 30, 27) and tuple(low.shape) == (1, 3, 10, 9)
    assert torch.equal(high, image[..., :30, :27])
    assert torch.equal(low, low.round()) and float(low.min()) >= 0 and float(low.max()) <= 255


def test_downsample_of_a_flat_image_stays_flat() -> None:
    flat = torch.full((1, 3, 24, 24), 77.0)
    assert torch.equal(downsample(flat, (8, 8)), torch.full((1, 3, 8, 8), 77.0))


def test_degradation_errors_name_the_value() -> None:
    image = torch.zeros(1, 3, 8, 8)
    with pytest.raises(FactorError, match="modcrop scale=0 is not a positive integer"):
        modcrop(image, 0)
    with pytest.raises(FactorError, match=r"downsample size \(9, 4\) is not within"):
        downsample(image, (9, 4))
    with pytest.raises(InputImageError, match="smaller than the scale 9"):
        modcrop(image, 9)
