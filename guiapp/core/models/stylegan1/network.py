"""StyleGAN (v1)'s generator (``G_style`` = ``G_mapping`` + ``G_synthesis``) at lod 0, in
plain torch.

Karras, Laine & Aila, "A Style-Based Generator Architecture for Generative Adversarial
Networks", CVPR 2019 (NVlabs/stylegan, ``training/networks_stylegan.py``). As NVIDIA's
TensorFlow code computes it once training has grown to full size:

- mapping: pixel norm of z (epsilon 1e-8), then dense layers with leaky ReLU 0.2; the
  equalised learning rate scales each weight by ``sqrt(2) / sqrt(fan_in) * lrmul`` and each
  bias by ``lrmul`` (``mapping_lrmul`` 0.01); the output w is broadcast to every layer;
- synthesis, one style input per conv layer ``i``: a learned 4x4 constant (layer 0), a 3x3
  conv (layer 1), then per resolution ``Conv0_up`` (2x nearest upscale + 3x3 conv, or from
  128 px (``fused_scale='auto'``) the fused transposed conv of the kernel padded and summed
  to 4x4) followed by the [1, 2, 1] blur, and ``Conv1`` (3x3). Each layer then adds
  per-pixel noise times a per-channel weight, adds its bias, applies leaky ReLU 0.2 (conv
  gain sqrt(2)), instance norm, and the style: ``x * (s + 1) + b`` with ``(s, b)`` a dense
  map of ``w_i`` (gain 1);
- ``ToRGB_lod0``: a 1x1 conv with bias (gain 1).

The runtime weight scales are folded in once at construction. Nearest upscale + 3x3 conv
runs as the equal stride-2 transposed conv of a 4x4 kernel
(:func:`~guiapp.core.models.pggan.network.upscale_kernel`), 16/36 of the multiply-adds.
Noise: ``"const"`` reads the file's ``noise{i}`` variables (NVIDIA's ``randomize_noise=False``),
``"random"`` draws fresh noise, ``"none"`` adds none.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from guiapp.core.models.pggan.network import pixel_norm, upscale_kernel
from guiapp.core.models.stylegan1.config import StyleGAN1Weights

EPS = 1e-8
NOISE_MODES = ("const", "random", "none")


def _t(value: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32)).clone()


def _conv(tf_weight: np.ndarray) -> torch.Tensor:
    """TF [k, k, in, out] -> (out, in, k, k)."""
    return _t(tf_weight).permute(3, 2, 0, 1).contiguous()


def fused_up_kernel(weight: torch.Tensor) -> torch.Tensor:
    """(out, in, 3, 3) runtime weight -> the (in, out, 4, 4) kernel of TF's fused
    ``upscale2d_conv2d``: padded by one, the four shifts summed, as a stride-2 transposed
    conv (TF's ``conv2d_transpose`` and torch's scatter the same way: no flip)."""
    p = F.pad(weight, (1, 1, 1, 1))
    summed = p[..., 1:, 1:] + p[..., :-1, 1:] + p[..., 1:, :-1] + p[..., :-1, :-1]
    return summed.transpose(0, 1).contiguous()


def instance_norm(x: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    x = x - x.mean(dim=(2, 3), keepdim=True)
    return x * torch.rsqrt(x.square().mean(dim=(2, 3), keepdim=True) + eps)


class StyleGAN1Net(nn.Module):
    """``G_style`` at lod 0: :meth:`mapping`, :meth:`layers` and :meth:`forward`."""

    def __init__(self, weights: StyleGAN1Weights) -> None:
        super().__init__()
        cfg, v = weights.config, weights.variables
        self.config = cfg
        gain = math.sqrt(2)

        def scale(fan_in: int, g: float, lrmul: float = 1.0) -> float:
            return g / math.sqrt(fan_in) * lrmul if cfg.use_wscale else lrmul

        self.mapping_weights: list[str] = []
        fan_in = cfg.z_dim
        for i in range(cfg.mapping_layers):
            w = _t(v[f"mapping/Dense{i}/weight"]) * scale(fan_in, gain, cfg.mapping_lrmul)
            self.register_buffer(f"map{i}_weight", w.contiguous())
            self.register_buffer(f"map{i}_bias", _t(v[f"mapping/Dense{i}/bias"])
                                 * cfg.mapping_lrmul)
            fan_in = w.shape[1]
        self.register_buffer("w_avg", _t(v["dlatent_avg"]))
        self.register_buffer("const", _t(v["synthesis/4x4/Const/const"]))
        for i in range(cfg.num_layers):
            scope = f"synthesis/{cfg.layer_scope(i)}"
            if i > 0:
                cin = cfg.layer_channels(i - 1)
                w = _conv(v[f"{scope}/weight"]) * scale(9 * cin, gain)
                if i % 2 == 0:  # Conv0_up
                    w = fused_up_kernel(w) if cfg.fused(cfg.layer_resolution(i)) \
                        else upscale_kernel(w)
                self.register_buffer(f"l{i}_weight", w.contiguous())
            if cfg.use_noise:
                self.register_buffer(f"l{i}_noise", _t(v[f"synthesis/noise{i}"]))
                self.register_buffer(f"l{i}_noise_weight",
                                     _t(v[f"{scope}/Noise/weight"]).view(1, -1, 1, 1))
            self.register_buffer(f"l{i}_bias", _t(v[f"{scope}/bias"]).view(1, -1, 1, 1))
            self.register_buffer(f"l{i}_style_weight",
                                 _t(v[f"{scope}/StyleMod/weight"]) * scale(cfg.w_dim, 1.0))
            self.register_buffer(f"l{i}_style_bias", _t(v[f"{scope}/StyleMod/bias"]))
        c = cfg.channels[cfg.resolution]
        self.register_buffer("torgb_weight",
                             _conv(v["synthesis/ToRGB_lod0/weight"]) * scale(c, 1.0))
        self.register_buffer("torgb_bias", _t(v["synthesis/ToRGB_lod0/bias"]))
        if cfg.blur:
            taps = torch.tensor(cfg.blur, dtype=torch.float64)
            kernel = torch.outer(taps, taps)
            self.register_buffer("blur_kernel", (kernel / kernel.sum()).float())
        self.requires_grad_(False)

    # -- mapping -----------------------------------------------------------------------
    def mapping_w(self, z: torch.Tensor) -> torch.Tensor:
        """(N, z_dim) -> (N, w_dim): one w per latent."""
        cfg = self.config
        x = pixel_norm(z, EPS) if cfg.normalize_latents else z
        for i in range(cfg.mapping_layers):
            x = torch.addmm(getattr(self, f"map{i}_bias"), x, getattr(self, f"map{i}_weight"))
            x = F.leaky_relu(x, cfg.mapping_slope)
        return x

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """(N, z_dim) -> (N, num_layers, w_dim), w broadcast to every layer."""
        return self.mapping_w(z)[:, None, :].expand(-1, self.config.num_layers, -1)

    # -- synthesis ---------------------------------------------------------------------
    def styles(self, ws: torch.Tensor, i: int) -> torch.Tensor:
        """(N, 2C) the scale and bias style of layer ``i`` from ``ws[:, i]``."""
        return torch.addmm(getattr(self, f"l{i}_style_bias"), ws[:, i],
                           getattr(self, f"l{i}_style_weight"))

    def _blur(self, x: torch.Tensor) -> torch.Tensor:
        if not self.config.blur:
            return x
        k = self.blur_kernel
        weight = k[None, None].expand(x.shape[1], 1, *k.shape)
        return F.conv2d(x, weight, padding=k.shape[0] // 2, groups=x.shape[1])

    def _conv(self, i: int, x: torch.Tensor) -> torch.Tensor:
        weight = getattr(self, f"l{i}_weight")
        if i % 2:  # layer 1 (4x4/Conv) and every Conv1
            return F.conv2d(x, weight, padding=1)
        return self._blur(F.conv_transpose2d(x, weight, stride=2, padding=1))

    def _noise(self, i: int, x: torch.Tensor, mode: str,
               generator: torch.Generator | None) -> torch.Tensor:
        if not self.config.use_noise or mode == "none":
            return x
        if mode == "const":
            noise = getattr(self, f"l{i}_noise")
        else:
            shape = (x.shape[0], 1, x.shape[2], x.shape[3])
            device = x.device if generator is None else generator.device
            noise = torch.randn(shape, generator=generator, device=device).to(x)
        return x + noise * getattr(self, f"l{i}_noise_weight")

    def layers(self, ws: torch.Tensor, noise_mode: str = "const", upto: int | None = None,
               generator: torch.Generator | None = None) -> Iterator[torch.Tensor]:
        """Yield the output of conv layers ``0..upto`` (all when None), after the style."""
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {', '.join(NOISE_MODES)}, "
                             f"not {noise_mode!r}")
        cfg = self.config
        ws = ws.float()
        stop = cfg.num_layers - 1 if upto is None else upto
        x = self.const.expand(ws.shape[0], -1, -1, -1)
        for i in range(stop + 1):
            if i > 0:
                x = self._conv(i, x)
            x = self._noise(i, x, noise_mode, generator)
            x = F.leaky_relu(x + getattr(self, f"l{i}_bias"), cfg.slope)
            if cfg.use_pixel_norm:
                x = pixel_norm(x, EPS)
            if cfg.use_instance_norm:
                x = instance_norm(x)
            s = self.styles(ws, i)
            c = x.shape[1]
            x = torch.addcmul(s[:, c:, None, None], x, s[:, :c, None, None] + 1)
            yield x

    def to_rgb(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.torgb_weight, self.torgb_bias)

    def forward(self, ws: torch.Tensor, noise_mode: str = "const",
                generator: torch.Generator | None = None) -> torch.Tensor:
        """(N, num_layers, w_dim) -> (N, img_channels, R, R)."""
        *_, x = self.layers(ws, noise_mode, generator=generator)
        return self.to_rgb(x)
