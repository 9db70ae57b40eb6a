"""Alias-free resampling for StyleGAN3 in plain torch ops (no compiled extensions).

Karras et al., NeurIPS 2021, "Alias-Free Generative Adversarial Networks". Every synthesis
layer of StyleGAN3 treats its feature maps as samples of a band-limited continuous signal:
after the convolution it upsamples by ``up`` (zero insertion and a low-pass FIR filter),
applies the leaky ReLU at the higher rate, low-pass filters again and keeps every
``down``-th sample. This module implements:

- :func:`design_lowpass_filter`: the Kaiser-windowed sinc filters (separable, 1-D taps) and
  the radially symmetric jinc-based filters (2-D) of the paper's appendix C, with the
  Kaiser design rules of Kaiser & Schafer (numpy and torch only);
- the resampling itself is :func:`guiapp.core.models.ops.resample.upfirdn2d` (shared
  with StyleGAN2);
- :func:`filtered_lrelu`: bias, upsampling (gain ``up**2``), leaky ReLU with gain, clamping,
  downsampling, with the padding convention of NVIDIA's reference implementation
  (padding is given with respect to the upsampled image).

Shapes: images are (N, C, H, W); filters are (k,) separable taps, (k, k) 2-D filters, or
None for the identity.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from guiapp.core.models.ops.resample import Padding, upfirdn2d

MAX_TAPS = 1024
"""Longest low-pass filter a file may ask for (StyleGAN3 uses at most 6 x 2 x 2 = 24 taps)."""


def kaiser_beta(attenuation: float) -> float:
    """Kaiser window shape for a stop-band ``attenuation`` in dB (Kaiser's empirical rule)."""
    if attenuation > 50:
        return 0.1102 * (attenuation - 8.7)
    if attenuation > 21:
        return 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21)
    return 0.0


def kaiser_attenuation(numtaps: int, width: float) -> float:
    """Attenuation (dB) a Kaiser filter of ``numtaps`` reaches with transition ``width``
    (a fraction of the Nyquist rate)."""
    return 2.285 * (numtaps - 1) * math.pi * width + 7.95


def design_lowpass_filter(
    numtaps: int, cutoff: float, width: float, fs: float, radial: bool = False
) -> torch.Tensor | None:
    """Windowed low-pass filter, normalised to unit DC gain (float32).

    Parameters
    ----------
    numtaps
        Filter length; 1 gives None (the identity).
    cutoff, width, fs
        Cutoff frequency, transition band width and sampling rate (same units).
    radial
        A radially symmetric 2-D filter (jinc times a separable Kaiser window) instead of
        separable 1-D taps (sinc times a Kaiser window).

    Returns
    -------
    torch.Tensor | None
        (numtaps,), (numtaps, numtaps) when ``radial``, or None.
    """
    if not 1 <= numtaps <= MAX_TAPS:
        raise ValueError(f"a low-pass filter needs 1..{MAX_TAPS} taps, not {numtaps}")
    if numtaps == 1:
        return None
    nyquist = fs / 2
    beta = kaiser_beta(kaiser_attenuation(numtaps, width / nyquist))
    window = np.kaiser(numtaps, beta)
    if not radial:
        m = np.arange(numtaps) - (numtaps - 1) / 2
        taps = (cutoff / nyquist) * np.sinc((cutoff / nyquist) * m) * window
        return torch.as_tensor(taps / taps.sum(), dtype=torch.float32)
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    # On the CPU even inside a meta-device build: the taps go through numpy.
    r = torch.as_tensor(np.hypot(*np.meshgrid(x, x)), dtype=torch.float64, device="cpu")
    safe_r = torch.where(r > 0, r, torch.ones_like(r))
    jinc = torch.special.bessel_j1(2 * math.pi * cutoff * safe_r) / (math.pi * safe_r)
    jinc = torch.where(r > 0, jinc, torch.full_like(r, cutoff))  # the limit at r = 0
    f = jinc.numpy() * np.outer(window, window)
    return torch.as_tensor(f / f.sum(), dtype=torch.float32)


def filtered_lrelu(
    x: torch.Tensor,
    fu: torch.Tensor | None,
    fd: torch.Tensor | None,
    b: torch.Tensor | None,
    up: int = 1,
    down: int = 1,
    padding: Padding = (0, 0, 0, 0),
    gain: float = math.sqrt(2),
    slope: float = 0.2,
    clamp: float | None = None,
    fast: bool = False,
) -> torch.Tensor:
    """Bias, upsample with ``fu``, leaky ReLU times ``gain``, clamp, downsample with ``fd``.

    The order and padding follow NVIDIA's reference ``filtered_lrelu``: ``padding`` applies
    to the upsampled image; the downsampling filter is applied without padding.

    Returns
    -------
    torch.Tensor
        (N, C, H', W') with ``W' = ceil((W * up + x0 + x1 - ku + 1 - kd + 1) / down)``.
    """
    if b is not None:
        x = x + b.reshape(1, -1, 1, 1).to(x.dtype)
    x = upfirdn2d(x, fu, up=up, padding=padding, gain=up * up, fast=fast)
    inplace = not torch.is_grad_enabled()  # x is a fresh intermediate here
    if slope != 1:
        x = F.leaky_relu(x, slope, inplace=inplace)
    if gain != 1:
        x = x.mul_(gain) if inplace else x * gain
    if clamp is not None:
        x = x.clamp_(-clamp, clamp) if inplace else x.clamp(-clamp, clamp)
    return upfirdn2d(x, fd, down=down, fast=fast)
