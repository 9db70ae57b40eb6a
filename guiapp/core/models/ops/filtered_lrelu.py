"""Alias-free resampling for StyleGAN3 in plain torch ops (no compiled extensions).

Karras et al., NeurIPS 2021, "Alias-Free Generative Adversarial Networks". Every synthesis
layer of StyleGAN3 treats its feature maps as samples of a band-limited continuous signal:
after the convolution it upsamples by ``up`` (zero insertion and a low-pass FIR filter),
applies the leaky ReLU at the higher rate, low-pass filters again and keeps every
``down``-th sample. This module implements:

- :func:`design_lowpass_filter`: the Kaiser-windowed sinc filters (separable, 1-D taps) and
  the radially symmetric jinc-based filters (2-D) of the paper's appendix C, with the
  Kaiser design rules of Kaiser & Schafer (numpy and torch only);
- :func:`upfirdn2d`: zero insertion, padding or cropping, FIR convolution (a true
  convolution, separable for 1-D taps) and decimation. Upsampling runs as a strided
  transposed convolution and decimation as a strided convolution, so no zero is multiplied
  (the direct definition, :func:`guiapp.core.models.ops.resample.upfirdn2d`, is what the tests
  check it against);
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

from guiapp.core.models.stylegan3 import fast as stylegan3_fast
from guiapp.core.models.stylegan3.fast import cpu_channels_last

Padding = tuple[int, int, int, int]
"""(x_before, x_after, y_before, y_after) of the upsampled image; negative values crop."""


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


def _crop_or_pad(x: torch.Tensor, start_y: int, len_y: int, start_x: int, len_x: int):
    """``x[..., start_y : start_y + len_y, start_x : start_x + len_x]`` with zeros outside."""
    h, w = x.shape[-2:]
    pads = [-start_x, start_x + len_x - w, -start_y, start_y + len_y - h]
    if any(pads):
        x = F.pad(x, [max(p, 0) for p in pads])
        x0, y0 = max(start_x, 0), max(start_y, 0)
        x = x[..., y0 : y0 + len_y, x0 : x0 + len_x]
    return x


def _fir(
    x: torch.Tensor,
    k: torch.Tensor,
    up: tuple[int, int],
    down: tuple[int, int],
    padding: Padding,
) -> torch.Tensor:
    """One FIR pass over every channel of (N, C, H, W) with the true-convolution kernel
    ``k`` (kh, kw), as a depthwise convolution."""
    kh, kw = k.shape
    c = x.shape[1]
    (uy, ux), (dy, dx) = up, down
    px0, px1, py0, py1 = padding
    h, w = x.shape[-2:]
    out_h = h * uy + py0 + py1 - kh + 1
    out_w = w * ux + px0 + px1 - kw + 1
    if out_h < 1 or out_w < 1:
        raise ValueError("the padded image is smaller than the filter")
    if uy == ux == 1:
        x = _crop_or_pad(x, -py0, h + py0 + py1, -px0, w + px0 + px1)
        kernel = k.flip([0, 1])[None, None].expand(c, 1, kh, kw)
        return F.conv2d(cpu_channels_last(x), kernel, stride=(dy, dx), groups=c)
    # A strided transposed convolution is zero insertion followed by a full convolution:
    # y[i] = sum_j x[j] k[i - up * j]; the padded, filtered image starts at y[k - 1 - pad].
    kernel = k[None, None].expand(c, 1, kh, kw)
    start_y, start_x = kh - 1 - py0, kw - 1 - px0
    full_h, full_w = (h - 1) * uy + kh, (w - 1) * ux + kw
    extra_y = out_h - full_h + 2 * start_y  # output_padding that gives the wanted length
    extra_x = out_w - full_w + 2 * start_x
    cropless = min(start_y, start_x) >= 0 and 0 <= extra_y < uy and 0 <= extra_x < ux
    if cropless and stylegan3_fast.ENABLED:
        # The crop as the transposed convolution's own padding: no cropped copy.
        y = F.conv_transpose2d(
            cpu_channels_last(x), kernel, stride=(uy, ux), padding=(start_y, start_x),
            output_padding=(extra_y, extra_x), groups=c,
        )  # fmt: skip
    else:
        y = F.conv_transpose2d(cpu_channels_last(x), kernel, stride=(uy, ux), groups=c)
        y = _crop_or_pad(y, start_y, out_h, start_x, out_w)
    return y[..., ::dy, ::dx]


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: int = 1,
    down: int = 1,
    padding: Padding = (0, 0, 0, 0),
    gain: float = 1.0,
) -> torch.Tensor:
    """Upsample by zero insertion, pad (or crop), convolve with ``f``, keep every ``down``-th.

    Parameters
    ----------
    x
        (N, C, H, W) images.
    f
        (k,) separable taps (applied along x, then y), (kh, kw) 2-D filter, or None.
    up, down
        Integer resampling factors, the same along both axes.
    padding
        (x0, x1, y0, y1) padding of the upsampled image; negative values crop.
    gain
        Overall scale (a separable filter gets ``sqrt(gain)`` per pass).

    Returns
    -------
    torch.Tensor
        (N, C, ceil((H * up + y0 + y1 - kh + 1) / down), ... the same along x).
    """
    if f is None:
        f = torch.ones(1, 1, device=x.device)
    f = f.to(x.device, x.dtype) * gain ** (f.ndim / 2)
    px0, px1, py0, py1 = padding
    if f.ndim == 1:
        x = _fir(x, f[None], (1, up), (1, down), (px0, px1, 0, 0))
        x = _fir(x, f[:, None], (up, 1), (down, 1), (0, 0, py0, py1))
    else:
        x = _fir(x, f, (up, up), (down, down), padding)
    return x


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
    x = upfirdn2d(x, fu, up=up, padding=padding, gain=up * up)
    inplace = not torch.is_grad_enabled()  # x is a fresh intermediate here
    if slope != 1:
        x = F.leaky_relu(x, slope, inplace=inplace)
    if gain != 1:
        x = x.mul_(gain) if inplace else x * gain
    if clamp is not None:
        x = x.clamp_(-clamp, clamp) if inplace else x.clamp(-clamp, clamp)
    return upfirdn2d(x, fd, down=down)
