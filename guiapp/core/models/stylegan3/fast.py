"""StyleGAN3 on a CPU, faster: channels-last tensors and Winograd convolutions.

- :func:`~guiapp.core.models.ops.resample.cpu_channels_last`: oneDNN runs StyleGAN3's
  depthwise FIR filters 3-4x faster on channels-last tensors, bit for bit the same.
- :func:`~guiapp.core.models.ops.resample.upfirdn2d` crops an upsampled image through the
  transposed convolution's own padding where it can, instead of copying the cropped view
  (all three on with the synthesis network's ``fast`` argument, the default).
- Winograd F(4x4, 3x3) (:mod:`winograd`) for StyleGAN3-T's 3x3 convolutions (padding 2)
  with at least :data:`~stylegan2_fast.WINOGRAD_MIN_CHANNELS` channels, most of a CPU
  render once the filters run channels-last. NVIDIA's modulated convolution (weight and
  styles pre-normalised, demodulated, input gain) is one shared convolution between a
  per-input-channel and a per-output-channel scale, which is what
  :func:`winograd.conv3x3` computes (with padding 1: the input gets one more pixel of
  zeros on every side, and bottom and right rows up to a whole 4x4 tile, cropped after).

One edited StyleGAN3-T image on 2 cores: 9.0 s -> 3.8 s at 256 px, 36.9 s -> 11.6 s at
1024 px; R: 10.8 -> 6.8 s, 50.8 -> 22.8 s (``python -m benchmarks.bench_stylegan --parts
stylegan3 --sg3-sizes 256,1024``); images within ~1e-6 of the reference path.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from guiapp.core.models.ops import winograd
from guiapp.core.models.stylegan2.fast import (
    WINOGRAD_MIN_CHANNELS,
    WINOGRAD_MIN_RESOLUTION,
    derived,
    fast_enabled,
)


def use_winograd(layer: torch.nn.Module, x: torch.Tensor, fast: bool = True) -> bool:
    """Whether ``layer``'s convolution of ``x`` runs as Winograd: ``fast``, on a CPU,
    without autograd, a 3x3 kernel and wide enough channels and image."""
    out_ch, in_ch, kh, kw = layer.weight.shape
    return (
        fast
        and x.device.type == "cpu"
        and (kh, kw) == (3, 3)
        and min(in_ch, out_ch) >= WINOGRAD_MIN_CHANNELS
        and min(x.shape[2:]) >= WINOGRAD_MIN_RESOLUTION
        and fast_enabled(None, x, layer.weight)
    )


def _normalised_weight(weight: torch.Tensor) -> torch.Tensor:
    return weight * weight.square().mean(dim=[1, 2, 3], keepdim=True).rsqrt()


def modulated_conv3x3(
    layer: torch.nn.Module, x: torch.Tensor, styles: torch.Tensor, input_gain: torch.Tensor
) -> torch.Tensor:
    """``modulated_conv2d(x, layer.weight, styles, demodulate=True, padding=2,
    input_gain=input_gain)`` by Winograd: (N, I, H, W) -> (N, O, H + 2, W + 2)."""
    weight, cache = layer.weight, derived(layer)
    wn = cache.get("wn3", (weight,), (), lambda: _normalised_weight(weight))
    u = cache.get("wino3", (weight,), (), lambda: winograd.transform_weight(wn))
    wsq = cache.get("wsq3", (weight,), (), lambda: wn.square().sum(dim=[2, 3]))
    n, in_ch = styles.shape
    styles = styles * styles.square().mean().rsqrt()
    dcoefs = (styles.square() @ wsq.t() + 1e-8).rsqrt()
    scale = styles * input_gain.expand(n, in_ch)
    h, w = x.shape[2:]
    out_h, out_w = h + 2, w + 2
    extra_h, extra_w = -out_h % 4, -out_w % 4
    xp = F.pad(x, [1, 1 + extra_w, 1, 1 + extra_h])
    bias = torch.zeros(weight.shape[0], device=x.device, dtype=x.dtype)
    y = winograd.conv3x3(xp, u, scale, dcoefs, bias)
    return y[:, :, :out_h, :out_w] if extra_h or extra_w else y
