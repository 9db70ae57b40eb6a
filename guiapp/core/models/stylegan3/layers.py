"""StyleGAN3 synthesis layers in plain torch: Fourier-feature input, modulated convolution
with input gain, and the filtered leaky ReLU.

Karras et al., NeurIPS 2021, "Alias-Free Generative Adversarial Networks". Implemented here,
for inference in float32, as trained by NVlabs/stylegan3:

- :class:`SynthesisInput`: Fourier features of fixed random frequencies and phases inside
  a band ``bandwidth``, sampled on a ``size`` x ``size`` grid at ``sampling_rate``. An
  affine of ``w[0]`` gives a rotation ``(r_c, r_s)`` and translation ``(t_x, t_y)``
  (normalised by ``|(r_c, r_s)|``) applied before the user ``transform`` buffer;
  frequencies pushed out of band by a user transform are attenuated; a learned 1x1 mixing
  ``weight / sqrt(channels)`` follows.
- :func:`modulated_conv2d`: weights and styles pre-normalised to unit RMS, modulation,
  demodulation by ``rsqrt(sum(w^2) + 1e-8)`` and the input gain ``magnitude_ema**-0.5``.
- :class:`SynthesisLayer`: affine -> modulated conv (padding ``k - 1``) -> bias,
  ``up``x upsampling, leaky ReLU (slope 0.2, gain sqrt(2)), clamp, ``down``x
  downsampling (:mod:`guiapp.core.models.ops.filtered_lrelu`). The last layer is ToRGB: a 1x1
  conv without demodulation, styles scaled by ``1 / sqrt(in_channels)``, linear.

Parameter and buffer names follow NVlabs/stylegan3 (``affine``, ``weight``, ``bias``,
``magnitude_ema``, ``up_filter``, ``down_filter``, ``freqs``, ``phases``, ``transform``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from guiapp.core.models.ops.filtered_lrelu import design_lowpass_filter, filtered_lrelu
from guiapp.core.models.ops.modulated_conv import modulated_conv2d
from guiapp.core.models.ops.resample import Padding
from guiapp.core.models.stylegan2.layers import FullyConnectedLayer
from guiapp.core.models.stylegan3 import fast as stylegan3_fast


@dataclass(frozen=True)
class LayerSpec:
    """Geometry of one synthesis layer (sizes in samples, rates and frequencies in cycles
    per image unit), as derived by
    :class:`~guiapp.core.models.stylegan3.network.StyleGAN3Config`."""

    name: str
    in_channels: int
    out_channels: int
    in_size: int
    out_size: int
    in_sampling_rate: int
    out_sampling_rate: int
    tmp_sampling_rate: int
    in_cutoff: float
    out_cutoff: float
    in_half_width: float
    out_half_width: float
    is_torgb: bool
    is_critically_sampled: bool
    conv_kernel: int
    up: int
    down: int
    up_taps: int
    down_taps: int
    down_radial: bool
    padding: Padding
    conv_clamp: float | None


class SynthesisInput(nn.Module):
    """w[0] (N, w_dim) -> Fourier features (N, channels, size, size)."""

    def __init__(
        self, w_dim: int, channels: int, size: int, sampling_rate: float, bandwidth: float
    ) -> None:
        super().__init__()
        self.w_dim, self.channels, self.size = w_dim, channels, size
        self.sampling_rate, self.bandwidth = float(sampling_rate), float(bandwidth)
        freqs = torch.randn(channels, 2)  # uniform on the disc of radius bandwidth
        radii = freqs.square().sum(dim=1, keepdim=True).sqrt()
        freqs = freqs / (radii * radii.square().exp().pow(0.25)) * bandwidth
        self.weight = nn.Parameter(torch.randn(channels, channels))
        self.affine = FullyConnectedLayer(w_dim, 4)
        with torch.no_grad():
            self.affine.weight.zero_()
            self.affine.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))
        self.register_buffer("transform", torch.eye(3, 3))
        self.register_buffer("freqs", freqs)
        self.register_buffer("phases", torch.rand(channels) - 0.5)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        n = w.shape[0]
        t = self.affine(w)  # (r_c, r_s, t_x, t_y)
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        eye = torch.eye(3, device=w.device, dtype=w.dtype)
        rot = eye.unsqueeze(0).repeat(n, 1, 1)  # inverse rotation of the image
        rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1] = t[:, 0], -t[:, 1], t[:, 1], t[:, 0]
        shift = eye.unsqueeze(0).repeat(n, 1, 1)  # inverse translation of the image
        shift[:, 0, 2], shift[:, 1, 2] = -t[:, 2], -t[:, 3]
        transforms = rot @ shift @ self.transform.unsqueeze(0)
        freqs = self.freqs.unsqueeze(0)
        phases = self.phases.unsqueeze(0) + (freqs @ transforms[:, :2, 2:]).squeeze(2)
        freqs = freqs @ transforms[:, :2, :2]  # (N, C, 2)
        band = self.sampling_rate / 2 - self.bandwidth
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) / band).clamp(0, 1)
        theta = torch.eye(2, 3, device=w.device)
        theta[0, 0] = theta[1, 1] = 0.5 * self.size / self.sampling_rate
        size = [1, 1, self.size, self.size]
        grid = F.affine_grid(theta.unsqueeze(0), size, align_corners=False)  # (1, H, W, 2)
        x = (grid.unsqueeze(3) @ freqs.permute(0, 2, 1)[:, None, None]).squeeze(3)
        x = torch.sin((x + phases[:, None, None]) * (2 * math.pi))
        x = x * amplitudes[:, None, None]
        x = x @ (self.weight / math.sqrt(self.channels)).t()
        return x.permute(0, 3, 1, 2)


class SynthesisLayer(nn.Module):
    """Modulated conv + filtered leaky ReLU (or, for the last layer, ToRGB)."""

    def __init__(self, spec: LayerSpec, w_dim: int) -> None:
        super().__init__()
        self.spec = spec
        self.is_torgb = spec.is_torgb
        self.conv_kernel = spec.conv_kernel
        self.affine = FullyConnectedLayer(w_dim, spec.in_channels, bias_init=1)
        k = spec.conv_kernel
        self.weight = nn.Parameter(torch.randn(spec.out_channels, spec.in_channels, k, k))
        self.bias = nn.Parameter(torch.zeros(spec.out_channels))
        self.register_buffer("magnitude_ema", torch.ones([]))
        up_filter = design_lowpass_filter(
            spec.up_taps, spec.in_cutoff, spec.in_half_width * 2, spec.tmp_sampling_rate
        )
        down_filter = design_lowpass_filter(
            spec.down_taps, spec.out_cutoff, spec.out_half_width * 2, spec.tmp_sampling_rate,
            radial=spec.down_radial,
        )  # fmt: skip
        self.register_buffer("up_filter", up_filter)
        self.register_buffer("down_filter", down_filter)

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, fused: bool = False, fast: bool = True
    ) -> torch.Tensor:
        """(N, in_channels, in_size, in_size) -> (N, out_channels, out_size, out_size).
        ``fast``: the CPU speed paths of :mod:`stylegan3.fast` where they apply; False:
        the reference ops (NCHW tensors, direct convolutions)."""
        spec = self.spec
        styles = self.affine(w)
        if self.is_torgb:
            styles = styles * (1 / math.sqrt(spec.in_channels * self.conv_kernel**2))
        gain = self.magnitude_ema.rsqrt()
        if not self.is_torgb and stylegan3_fast.use_winograd(self, x, fast):
            x = stylegan3_fast.modulated_conv3x3(self, x, styles, gain)
        else:
            x = modulated_conv2d(
                x, self.weight, styles, demodulate=not self.is_torgb,
                padding=self.conv_kernel - 1, fused=fused, input_gain=gain, normalize=True,
                channels_last=fast,
            )  # fmt: skip
        return filtered_lrelu(
            x, self.up_filter, self.down_filter, self.bias, spec.up, spec.down, spec.padding,
            gain=1.0 if self.is_torgb else math.sqrt(2), slope=1.0 if self.is_torgb else 0.2,
            clamp=spec.conv_clamp, fast=fast,
        )  # fmt: skip
