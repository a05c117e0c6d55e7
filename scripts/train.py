"""Train DynamicSRCNN's weights on scikit-image's bundled photos and write `sr_model/data/srcnn.pth`.

    PYTHONPATH=. python scripts/train.py                       # the committed checkpoint
    PYTHONPATH=. python scripts/train.py --budget-minutes 5    # a hard wall-time cap (stops early)
    PYTHONPATH=. python scripts/train.py --validate-every 1000 -o /tmp/try.pth

What it does, and why:
* Data: scikit-image's bundled photos (offline), grey ones repeated to RGB. `astronaut()` is never
  used: its face is the held-out evaluation image (`sr_model/data/face.png`). `chelsea()` is held out
  too: it is the validation image the settings below were chosen on.
* Each step draws one scale s in [2, 4] (biased toward 2, see `training_pair`), a batch of high-res
  patches (random flips and transposes, flat patches mostly rejected), makes the low-res inputs with
  `sr_model.degrade.downsample` (the degradation the evaluation uses) and runs the model's own
  forward: the deployed op `sr_model.ops.bicubic_resize` with the live factor, then the convolutions.
  Patch sizes are chosen so that high/low is exactly the scale given to the op (`exact_scale`).
* Training runs in 0..1 (inputs and targets divided by 255) because Adam's step sizes suit unit-range
  data. The network is ReLU convolutions, so f_255(x) = 255 * f_1(x / 255) exactly when every bias is
  multiplied by 255: the saved weights take and return 0..255 like the deployed model.
* Initialisation and a training-only constraint (`identity_init`, `identity_path`): an identity path
  through three channels is set and kept fixed, so the network trains as bicubic + a learned
  correction (a global residual, as in VDSR), which plain SRCNN reaches only after far longer.
  The loss is weighted by 2/s so that the large scales, where bicubic errs most, do not dominate.
* Deterministic: fixed seed, deterministic algorithms, a fixed number of steps, one torch thread.
  One thread because the 2 cores are shared: with other jobs running, 2 threads measured 2..6x
  SLOWER per step than 1 (threads wait for each other), and 1 thread leaves a core to the others.
  `--budget-minutes` is a hard cap on the training loop; hitting it stops early and is recorded in
  the checkpoint's meta (`stopped_by_budget`), since the result then depends on the machine's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from sr_model.atomic import atomic_path
from sr_model.checkpoint import MMEDITING_PREFIX, load_checkpoint
from sr_model.degrade import downsample
from sr_model.evaluate import evaluate_image, format_table
from sr_model.model import DynamicSRCNN, make_factor
from sr_model.ops import output_size
from sr_model.paths import DEFAULT_CHECKPOINT

# Bundled, offline, natural (or scientific) photos. Left out: astronaut (held-out test face),
# chelsea/cat (the same photo: validation), synthetic images (checkerboard, blobs, phantom, logo,
# colorwheel, horse) and tiny ones (lfw_subset, microaneurysms).
TRAIN_IMAGES = (
    "camera", "coffee", "rocket", "stereo_motorcycle", "hubble_deep_field", "immunohistochemistry",
    "retina", "coins", "moon", "clock", "grass", "gravel", "brick", "page", "text",
)
VALIDATION_IMAGE = "chelsea"
HELD_OUT_IMAGE = "astronaut"
SCALE_RANGE = (2.0, 4.0)
BIAS_SCALE = 255.0  # 0..1 training range -> 0..255 deployed range
IDENTITY_CHANNELS = 3


@dataclass(frozen=True)
class Config:
    """Everything that determines the weights (recorded in the checkpoint's meta)."""

    seed: int = 0
    steps: int = 8000
    batch: int = 16
    patch: int = 48
    lr: float = 5e-4
    lr_final: float = 2e-5
    threads: int = 1
    min_patch_std: float = 6.0
    scale_bias: float = 2.0


def load_photos() -> list[tuple[str, torch.Tensor]]:
    """The training photos as 1x3xHxW float32 tensors in 0..255 (both views of stereo_motorcycle)."""
    from skimage import data

    photos = []
    for name in TRAIN_IMAGES:
        assert name not in (HELD_OUT_IMAGE, VALIDATION_IMAGE)
        loaded = getattr(data, name)()
        views = loaded[:2] if isinstance(loaded, tuple) else (loaded,)
        for index, pixels in enumerate(views):
            label = f"{name}[{index}]" if len(views) > 1 else name
            photos.append((label, _to_tensor(pixels)))
    return photos


def _to_tensor(pixels: np.ndarray) -> torch.Tensor:
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    assert pixels.dtype == np.uint8 and pixels.shape[2] == 3, (pixels.dtype, pixels.shape)
    return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))[None].float()


def validation_image() -> np.ndarray:
    """`chelsea()` as a 1x3xHxW float32 array in 0..255 (never trained on)."""
    from skimage import data

    return _to_tensor(data.chelsea()).numpy()


def identity_init(model: DynamicSRCNN, generator: torch.Generator) -> None:
    """Initialise so that the network starts as bicubic itself plus a small learned correction.

    Channels 0..2 of conv1 and conv2 and the matching conv3 taps form an identity path carrying
    `x + 0.5` (the offset keeps bicubic undershoot above ReLU's zero; conv3's bias removes it). The
    other conv1 filters start zero-mean, so they respond to edges and texture rather than to
    brightness, and the other conv3 weights start near zero, so the correction starts near zero.
    """
    with torch.no_grad():
        for conv in (model.conv1, model.conv2, model.conv3):
            bound = 1.0 / math.sqrt(conv.weight[0].numel())
            conv.weight.uniform_(-bound, bound, generator=generator)
            conv.bias.uniform_(-bound, bound, generator=generator)
        model.conv1.weight.sub_(model.conv1.weight.mean(dim=(2, 3), keepdim=True))
        model.conv1.bias.zero_()
        model.conv3.weight.mul_(1e-2)
        model.conv3.bias.fill_(-0.5)
        k1, k3 = model.conv1.kernel_size[0] // 2, model.conv3.kernel_size[0] // 2
        for c in range(IDENTITY_CHANNELS):
            model.conv1.weight[c].zero_()
            model.conv1.weight[c, c, k1, k1] = 1.0
            model.conv1.bias[c] = 0.5
            model.conv2.weight[c].zero_()
            model.conv2.weight[c, c] = 1.0
            model.conv2.bias[c] = 0.0
            model.conv3.weight[:, c].zero_()
            model.conv3.weight[c, c, k3, k3] = 1.0


def identity_path(model: DynamicSRCNN) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(parameter view, frozen value) pairs of the identity path, restored after every step.

    Keeping the path fixed makes the network a global residual learner (output = bicubic + learned
    correction), which trains far faster and steadier than plain SRCNN; it is only a training
    constraint: the saved weights are an ordinary SRCNN state dict.
    """
    n = IDENTITY_CHANNELS
    views = [
        model.conv1.weight[:n], model.conv1.bias[:n], model.conv2.weight[:n], model.conv2.bias[:n],
        model.conv3.weight[:, :n],
    ]
    return [(view, view.detach().clone()) for view in views]


def scale_weight(scale: float) -> float:
    """Loss weight at `scale`: bicubic's MSE grows about linearly with the scale (1.8e-3 at x2,
    4.0e-3 at x4 on these patches), so without it the large scales dominate the gradient."""
    return 2.0 / scale


def sample_batch(
    photos: list[tuple[str, torch.Tensor]], size: int, count: int, min_std: float, rng: np.random.Generator
) -> torch.Tensor:
    """`count` random `size`x`size` patches (random photo, place, flip, transpose), flat ones rejected."""
    patches = []
    while len(patches) < count:
        _, photo = photos[rng.integers(len(photos))]
        top = rng.integers(photo.shape[-2] - size + 1)
        left = rng.integers(photo.shape[-1] - size + 1)
        patch = photo[..., top : top + size, left : left + size]
        if float(patch.std()) < min_std and rng.random() < 0.9:
            continue  # mostly skip flat sky and black space: nothing to restore there
        if rng.random() < 0.5:
            patch = patch.flip(-1)
        if rng.random() < 0.5:
            patch = patch.flip(-2)
        if rng.random() < 0.5:
            patch = patch.transpose(-1, -2)
        patches.append(patch)
    return torch.cat(patches)


def exact_scale(wanted: float, patch: int) -> tuple[int, int, float]:
    """(low size, high size, scale) near `wanted` with high / low == scale exactly (in float32).

    The downsample maps `high` pixels onto `low` (ratio high/low) and the op maps back with the
    scale it is given; if the two differed, the target would be shifted by up to a fraction of a
    pixel, a misalignment the network would learn to hide by blurring.
    """
    low = max(1, round(patch / wanted))
    high = min(max(round(low * wanted), 2 * low), 4 * low)
    scale = np.float32(high / low)
    # The op's output size is floor(float32(low) * float32(scale)): nudge up if that rounds below.
    while output_size(low, float(scale)) < high:
        scale = np.nextafter(scale, np.float32(np.inf))
    assert output_size(low, float(scale)) == high, (low, high, scale)
    return low, high, float(scale)


def training_pair(
    photos: list[tuple[str, torch.Tensor]], config: Config, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """(low-res input, factor, high-res target, scale) at a random scale in SCALE_RANGE, 0..255."""
    # s = 2 + 2 * u**scale_bias, u uniform: biased toward x2, where bicubic is already good and
    # gains are hardest (with scale_bias 2, half the steps fall below x2.5).
    smallest, largest = SCALE_RANGE
    wanted = smallest + (largest - smallest) * float(rng.random()) ** config.scale_bias
    low_size, high_size, scale = exact_scale(wanted, config.patch)
    high = sample_batch(photos, high_size, config.batch, config.min_patch_std, rng)
    low = downsample(high, (low_size, low_size))
    return low, make_factor(scale), high, scale


def to_deployed_range(model: DynamicSRCNN) -> dict[str, torch.Tensor]:
    """The state dict of the 0..1-trained model rescaled to take and return 0..255."""
    state = {key: value.detach().clone() for key, value in model.state_dict().items()}
    for key in state:
        if key.endswith(".bias"):
            state[key] *= BIAS_SCALE
    return state


def train(config: Config, budget_seconds: float, validate_every: int = 0) -> tuple[DynamicSRCNN, dict]:
    """Train and return the model (0..1 range) and a record of the run."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    photos = load_photos()
    model = DynamicSRCNN()
    identity_init(model, generator)
    frozen = identity_path(model)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.steps, eta_min=config.lr_final)

    from tqdm import tqdm

    start = time.perf_counter()
    losses: list[float] = []
    steps_done = 0
    stopped_by_budget = False
    progress = tqdm(range(config.steps), desc="training", unit="step", dynamic_ncols=True)
    for step in progress:
        if time.perf_counter() - start > budget_seconds:
            stopped_by_budget = True
            break
        low, factor, high, scale = training_pair(photos, config, rng)
        output = model(low / BIAS_SCALE, factor)
        loss = F.mse_loss(output, high / BIAS_SCALE)
        optimizer.zero_grad(set_to_none=True)
        (loss * scale_weight(scale)).backward()
        optimizer.step()
        with torch.no_grad():
            for view, value in frozen:
                view.copy_(value)
        decay.step()
        losses.append(loss.detach().item())
        steps_done = step + 1
        if steps_done % 100 == 0:
            recent = float(np.mean(losses[-100:]))
            progress.set_postfix(psnr=f"{10 * math.log10(1 / recent):.2f}dB", lr=f"{decay.get_last_lr()[0]:.1e}")
        if validate_every and steps_done % validate_every == 0:
            gains = evaluate_image(_loaded(to_deployed_range(model)), validation_image())
            progress.write(f"step {steps_done}: {VALIDATION_IMAGE} PSNR gain over bicubic "
                           + " ".join(f"x{r.scale} {r.psnr_gain:+.3f} dB" for r in gains))
            model.train()
    progress.close()
    wall = time.perf_counter() - start
    record = {
        "steps_done": steps_done,
        "stopped_by_budget": stopped_by_budget,
        "train_wall_seconds": round(wall, 1),
        "final_train_psnr_db_0_1": round(10 * math.log10(1 / float(np.mean(losses[-200:]))), 3) if losses else None,
        "photos": [name for name, _ in photos],
    }
    return model.eval(), record


def main(argv: list[str] | None = None) -> int:
    defaults = Config()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--steps", type=int, default=defaults.steps, help="optimizer steps (default %(default)s)")
    parser.add_argument("--batch", type=int, default=defaults.batch)
    parser.add_argument("--patch", type=int, default=defaults.patch, help="high-res patch side, px (approx.)")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="Adam learning rate (cosine-decayed)")
    parser.add_argument("--scale-bias", type=float, default=defaults.scale_bias,
                        help="scales are 2 + 2 * u**BIAS, u uniform in 0..1 (1: uniform in [2, 4])")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="torch CPU threads")
    parser.add_argument("--budget-minutes", type=float, default=15.0,
                        help="hard cap on the training loop's wall time; stops early if reached (default 15)")
    parser.add_argument("--validate-every", type=int, default=0, metavar="N",
                        help=f"print the PSNR gain on {VALIDATION_IMAGE} every N steps (0: only at the end)")
    parser.add_argument("-o", "--output", default=str(DEFAULT_CHECKPOINT), help="checkpoint to write")
    args = parser.parse_args(argv)
    config = Config(seed=args.seed, steps=args.steps, batch=args.batch, patch=args.patch, lr=args.lr,
                    threads=args.threads, scale_bias=args.scale_bias)

    began = dt.datetime.now(dt.timezone.utc)
    total_start = time.perf_counter()
    model, record = train(config, budget_seconds=args.budget_minutes * 60.0, validate_every=args.validate_every)
    state = to_deployed_range(model)
    validation = evaluate_image(_loaded(state), validation_image())
    print(f"validation ({VALIDATION_IMAGE}, never trained on):\n{format_table(validation)}")
    meta = {
        "what": "DynamicSRCNN weights for sr_model, trained by scripts/train.py; inputs/outputs in 0..255 RGB",
        "config": asdict(config),
        "scale_range": list(SCALE_RANGE),
        "budget_minutes": args.budget_minutes,
        **record,
        "held_out": [HELD_OUT_IMAGE, VALIDATION_IMAGE],
        "degradation": "sr_model.degrade.downsample: antialiased bicubic (A=-0.5), rounded to 8-bit levels",
        "upsample": "sr_model.ops.bicubic_resize (the deployed op), factor as a live input",
        "validation_psnr_gain_db": {f"x{r.scale}": round(r.psnr_gain, 3) for r in validation},
        "total_wall_seconds": round(time.perf_counter() - total_start, 1),
        "torch": str(torch.__version__),
        "numpy": str(np.__version__),
        "python": platform.python_version(),
        "date_utc": began.isoformat(timespec="seconds"),
    }
    checkpoint = {"state_dict": {MMEDITING_PREFIX + key: value for key, value in state.items()}, "meta": meta}
    with atomic_path(args.output) as tmp:
        torch.save(checkpoint, tmp)
    load_checkpoint(args.output, DynamicSRCNN())  # the package's loader must read what was written
    print(f"wrote {args.output}: {record['steps_done']} steps, training loop {record['train_wall_seconds']} s, "
          f"whole run {meta['total_wall_seconds']} s"
          + (" (STOPPED BY THE BUDGET)" if record["stopped_by_budget"] else ""))
    return 0


def _loaded(state: dict[str, torch.Tensor]) -> DynamicSRCNN:
    model = DynamicSRCNN()
    model.load_state_dict(state)
    return model.eval()


if __name__ == "__main__":
    sys.exit(main())
