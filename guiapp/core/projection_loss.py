"""What projection minimises: a perceptual distance plus a multi-scale pixel error.

LPIPS alone matches textures and shapes but lets colours drift; pixel error alone gives
blurry matches. The pixel term is the mean squared error at full, half and quarter size
(average pooling), so coarse colour counts as much as fine detail. Images larger than
:data:`LOSS_SIDE` are compared after an area downsampling to it (NVIDIA's projector does the
same at 256 px), which keeps a step affordable on a CPU; images under
:data:`MIN_LOSS_SIDE` are upsampled to it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from guiapp.core.perceptual import load_lpips

LOSS_SIDE = 256
MIN_LOSS_SIDE = 64
"""Smaller images are upsampled to this for the loss (LPIPS needs room for its poolings)."""
PIXEL_SCALES = 3


def image_tensor(rgb: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) float32 in [-1, 1]."""
    t = torch.from_numpy(np.array(rgb, dtype=np.uint8, copy=True)).to(device)
    return t.permute(2, 0, 1)[None].float() / 127.5 - 1.0


def image_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) in [-1, 1] -> (N, H, W, 3) uint8, rounded like the renderer."""
    x = (images.detach().float().clamp(-1, 1) + 1) * 127.5
    return x.round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images, in dB (inf when equal)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def _for_loss(x: torch.Tensor) -> torch.Tensor:
    if x.shape[-1] > LOSS_SIDE:
        x = F.adaptive_avg_pool2d(x, (LOSS_SIDE, LOSS_SIDE))
    elif x.shape[-1] < MIN_LOSS_SIDE:
        x = F.interpolate(x, size=(MIN_LOSS_SIDE, MIN_LOSS_SIDE), mode="bilinear",
                          align_corners=False)
    return x


def _pyramid(x: torch.Tensor) -> list[torch.Tensor]:
    levels = [x]
    for _ in range(PIXEL_SCALES - 1):
        if levels[-1].shape[-1] < 8:
            break
        levels.append(F.avg_pool2d(levels[-1], 2))
    return levels


class ReconstructionLoss:
    """Loss of generated images against one fixed target photo.

    ``target`` is (H, W, 3) uint8 at the generator's resolution. Calling with (N, 3, H, W)
    images in [-1, 1] returns (N,) losses: LPIPS + ``pixel_weight`` x multi-scale MSE.
    """

    def __init__(self, target: np.ndarray, *, net: str = "alex", pixel_weight: float = 1.0,
                 device: torch.device | str = "cpu") -> None:
        self.lpips = load_lpips(net, device)
        self.pixel_weight = float(pixel_weight)
        t = _for_loss(image_tensor(target, device))
        with torch.no_grad():
            self.target_features = self.lpips.features(t)
        self.target_levels = _pyramid(t)

    def perceptual(self, images: torch.Tensor) -> torch.Tensor:
        """(N,) LPIPS distances to the target."""
        return self.lpips.distance(self.lpips.features(_for_loss(images)), self.target_features)

    def pixel(self, images: torch.Tensor) -> torch.Tensor:
        """(N,) multi-scale mean squared error to the target (images in [-1, 1])."""
        levels = _pyramid(_for_loss(images))
        terms = [(a - b).square().mean((1, 2, 3))
                 for a, b in zip(levels, self.target_levels, strict=True)]
        return torch.stack(terms).mean(0)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = _for_loss(images)
        dist = self.lpips.distance(self.lpips.features(x), self.target_features)
        levels = _pyramid(x)
        pix = torch.stack([(a - b).square().mean((1, 2, 3))
                           for a, b in zip(levels, self.target_levels, strict=True)]).mean(0)
        return dist + self.pixel_weight * pix
