"""Drag previews for StyleGAN (v1): a lower layer's output read out by a fitted linear map.

A finished StyleGAN (lod 0) has one trained RGB output, ``ToRGB_lod0``, at full size: the
``ToRGB_lod{k}`` of lower resolutions stopped training when their resolution faded out
(and ``structure='fixed'`` networks have none), so no trained weights give a lower
resolution image. Instead, once (when the model is loaded in the window, through
``prepare_previews``, else on the first preview), this module renders a few seeded images
in full (at the model's default truncation, where a user starts), area-downscales them to
each stop ``R`` and fits, by ridge-regularised least squares, a 1x1 map plus bias from the
``R x R`` output of the last layer at ``R`` (after its style) to those pixels. A preview
then costs the layers up to ``R`` and one 1x1 conv; the layers above ``R`` (and their
styles) are skipped. :meth:`PreviewReadout.quality` measures it against the true
downscaled image on seeds the fit never saw (PSNR; the benchmark reports it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from guiapp.core.models.stylegan1.adapter import StyleGAN1Model

FIT_SAMPLES = 4
FIT_SEED = 20190101
CHECK_SEED = 20190102
RIDGE = 0.5
"""Ridge weight, relative to the mean feature energy (the bias is not penalised)."""


def fits(stop: int, channels: int) -> bool:
    """Whether the fit at ``stop`` has at least two target pixels per read-out weight (a
    512-channel layer: from 16 px)."""
    return FIT_SAMPLES * stop * stop >= 2 * channels


def last_layer(stop: int) -> int:
    """Index of the last conv layer at resolution ``stop`` (``Conv1``; ``4x4/Conv``)."""
    return 2 * int(math.log2(stop // 4)) + 1


class PreviewReadout:
    """Fitted read-outs of one model at every stop below full size, fitted together, once."""

    def __init__(self, model: StyleGAN1Model) -> None:
        self.model = model
        self._maps: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def clear(self) -> None:
        self._maps.clear()

    def stops(self) -> tuple[int, ...]:
        return tuple(r for r in self.model.preview_resolutions() if r < self.model.resolution)

    def _ws(self, seed: int, n: int) -> torch.Tensor:
        z = torch.from_numpy(self.model.sample_z(n, seed)).to(self.model.device, torch.float32)
        return self.model.truncate(self.model.map(z), *self.model.default_truncation)

    def fit(self) -> None:
        net = self.model.net
        wanted = {last_layer(s): s for s in self.stops()}
        with torch.inference_mode():
            feats, x = {}, None
            for i, x in enumerate(net.layers(self._ws(FIT_SEED, FIT_SAMPLES))):
                if i in wanted:
                    feats[wanted[i]] = x
            image = net.to_rgb(x)
            for stop, f in feats.items():
                target = F.adaptive_avg_pool2d(image, stop)
                xs = f.permute(0, 2, 3, 1).reshape(-1, f.shape[1]).double()
                design = torch.cat([xs, torch.ones_like(xs[:, :1])], dim=1)
                ys = target.permute(0, 2, 3, 1).reshape(-1, target.shape[1]).double()
                gram = design.T @ design
                penalty = torch.full((len(gram),), RIDGE * float(gram.diagonal()[:-1].mean()),
                                     dtype=gram.dtype, device=gram.device)
                penalty[-1] = 0  # the bias
                gram += torch.diag(penalty)
                coef = torch.linalg.solve(gram, design.T @ ys)  # (C + 1, img_channels)
                self._maps[stop] = (coef[:-1].T.float()[:, :, None, None].contiguous(),
                                    coef[-1].float().contiguous())

    def render(self, ws: torch.Tensor, stop: int, noise_mode: str = "const") -> torch.Tensor:
        """(N, img_channels, stop, stop) from ``ws`` (the layers above ``stop`` unused)."""
        if stop not in self.stops():
            raise ValueError(f"no preview read-out at {stop}; stops are {self.stops()}")
        if stop not in self._maps:
            self.fit()
        weight, bias = self._maps[stop]
        *_, x = self.model.net.layers(ws, noise_mode, upto=last_layer(stop))
        return F.conv2d(x, weight, bias)

    def quality(self, stop: int, n: int = 4) -> dict[str, Any]:
        """PSNR (dB, images in [-1, 1]) of the preview against the full image downscaled
        to ``stop``, on ``n`` seeds the fit never saw."""
        ws = self._ws(CHECK_SEED, n)
        with torch.inference_mode():
            preview = self.render(ws, stop)
            truth = F.adaptive_avg_pool2d(self.model.net(ws), stop)
        mse = float(((preview.clamp(-1, 1) - truth.clamp(-1, 1)) ** 2).mean())
        return {"stop": stop, "psnr_db": float(10 * np.log10(4.0 / max(mse, 1e-12))),
                "fit_samples": FIT_SAMPLES}
