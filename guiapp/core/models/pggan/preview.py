"""Fast drag previews for PGGAN: a lower block's features read out by a fitted linear map.

A finished PGGAN (lod 0) has one trained output layer, ``ToRGB_lod0``, at full resolution;
the lower ``ToRGB_lod{k}`` layers stopped training when their resolution was faded out
(and GAN Dissection files do not keep them), so an image cannot honestly be read at a
lower block with trained weights. Instead, the first time a preview at resolution ``R`` is
asked for, this module renders a few seeded images in full, area-downscales them to ``R``
and fits, by ridge-regularised least squares, a 1x1 map (plus bias) from the pixel-normed
``R x R`` block output to those pixels. A preview then costs the blocks up to ``R`` and
one 1x1 convolution. The fit (a few full renders) is paid once per loaded model: in the
window's load job (:meth:`PreviewReadout.prepare`), else at the first preview. It shows
the edit's effect at ``R x R`` (blurred by the upscale to full size) as well as a linear
read-out of those features can; :meth:`quality` measures the difference from the true
downscaled image on other seeds (PSNR, benchmarks report it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from guiapp.core.models.pggan.adapter import PGGANModel

FIT_SAMPLES = 6
FIT_SEED = 20180430
CHECK_SEED = 20180501
RIDGE = 0.1


class PreviewReadout:
    """Fitted ``R x R`` read-outs of one model, fitted lazily, all stops at once."""

    def __init__(self, model: PGGANModel) -> None:
        self.model = model
        self._maps: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def clear(self) -> None:
        self._maps.clear()

    def _last_layer(self, stop: int) -> int:
        return 2 * int(math.log2(stop // 4)) + 1

    def _block_outputs(self, z: torch.Tensor, stops: tuple[int, ...]) -> tuple[dict, torch.Tensor]:
        """Pixel-normed block outputs at ``stops`` and the full image, one forward pass."""
        net = self.model.net
        wanted = {self._last_layer(s): s for s in stops}
        feats, x = {}, None
        for i, (_, x) in enumerate(net.layers(z)):
            if i in wanted:
                feats[wanted[i]] = x
        return feats, net.to_rgb(x)

    def _latents(self, seed: int, n: int) -> torch.Tensor:
        z = self.model.sample_z(n, seed)
        return torch.from_numpy(z).to(self.model.device, torch.float32)

    def stops(self) -> tuple[int, ...]:
        return tuple(r for r in self.model.preview_resolutions() if r < self.model.resolution)

    def prepare(self) -> None:
        """Fit every stop's read-out unless they are fitted already."""
        if self.stops() and not self._maps:
            self.fit()

    def fit(self) -> None:
        stops = self.stops()
        with torch.inference_mode():
            feats, image = self._block_outputs(self._latents(FIT_SEED, FIT_SAMPLES), stops)
            for stop, x in feats.items():
                target = F.adaptive_avg_pool2d(image, stop)
                xs = x.permute(0, 2, 3, 1).reshape(-1, x.shape[1]).double()
                ys = target.permute(0, 2, 3, 1).reshape(-1, target.shape[1]).double()
                design = torch.cat([xs, torch.ones_like(xs[:, :1])], dim=1)
                gram = design.T @ design
                gram += RIDGE * gram.diagonal().mean() * torch.eye(len(gram), dtype=gram.dtype,
                                                                    device=gram.device)
                coef = torch.linalg.solve(gram, design.T @ ys)  # (C + 1, img_channels)
                weight = coef[:-1].T.float()[:, :, None, None].contiguous()
                self._maps[stop] = (weight, coef[-1].float().contiguous())

    def render(self, z: torch.Tensor, stop: int) -> torch.Tensor:
        if stop not in self.stops():
            raise ValueError(f"no preview read-out at {stop}; stops are {self.stops()}")
        if stop not in self._maps:
            self.fit()
        weight, bias = self._maps[stop]
        return F.conv2d(self.model.net.run(z, self._last_layer(stop))[1], weight, bias)

    def quality(self, stop: int, n: int = 4) -> dict[str, Any]:
        """PSNR (dB, images in [-1, 1]) of the preview against the full image downscaled
        to ``stop``, on ``n`` seeds the fit never saw."""
        z = self._latents(CHECK_SEED, n)
        with torch.inference_mode():
            preview = self.render(z, stop)
            truth = F.adaptive_avg_pool2d(self.model.net(z), stop)
        mse = float(((preview.clamp(-1, 1) - truth.clamp(-1, 1)) ** 2).mean())
        return {"stop": stop, "psnr_db": float(10 * np.log10(4.0 / max(mse, 1e-12))),
                "fit_samples": FIT_SAMPLES}
