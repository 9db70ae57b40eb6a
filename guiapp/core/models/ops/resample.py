"""Filtered resampling for StyleGAN2 in plain torch ops (no compiled extensions).

StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN")
upsamples with a separable low-pass FIR filter, by default the binomial ``[1, 3, 3, 1]``
normalised to unit DC gain and scaled by ``up**2`` so that zero insertion keeps the
signal's magnitude. This module implements the generic pad / upsample / filter /
downsample operation (``upfirdn2d``) and the two patterns the generator needs:

- :func:`upsample2d`: the skip path that upsamples the RGB image between blocks;
- :func:`conv2d_up2`: a 3x3 convolution at twice the input resolution (a stride-2
  transposed convolution followed by the low-pass filter), lined up as NVIDIA's
  ``conv2d_resample(up=2)`` and rosinality's ``ModulatedConv2d(upsample=True)``.

Filters are 2-D float32 tensors, prepared once by :func:`make_filter`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

MAX_TAPS = 64
Padding = tuple[int, int, int, int]
"""(x_before, x_after, y_before, y_after); negative values crop."""


def make_filter(taps: Sequence[float] = (1, 3, 3, 1)) -> torch.Tensor:
    """(k, k) float32 outer product of ``taps`` with itself, normalised to sum 1.

    Computed on the CPU even inside a meta-device build (a meta ``outer`` would import
    torch's compiler stack, seconds of start-up, to check a 4x4 buffer)."""
    taps = list(taps)
    if not 1 <= len(taps) <= MAX_TAPS:
        raise ValueError(f"a resampling filter needs 1..{MAX_TAPS} taps, not {len(taps)}")
    f = torch.as_tensor(taps, dtype=torch.float32, device="cpu")
    if f.ndim != 1 or f.numel() == 0:
        raise ValueError("filter taps must be a non-empty 1-D sequence")
    f2 = torch.outer(f, f)
    return f2 / f2.sum()


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor,
    up: int = 1,
    down: int = 1,
    padding: Padding = (0, 0, 0, 0),
    gain: float = 1.0,
) -> torch.Tensor:
    """Upsample by zero insertion, pad, convolve with ``f``, then keep every ``down``-th pixel.

    Parameters
    ----------
    x
        (N, C, H, W) images.
    f
        (kh, kw) FIR filter; applied as a true convolution (flipped) to every channel.
    up, down
        Integer resampling factors.
    padding
        (x0, x1, y0, y1) padding of the upsampled image; negative values crop.
    gain
        Overall scale of the output (``up**2`` keeps the magnitude when upsampling).

    Returns
    -------
    torch.Tensor
        (N, C, (H*up + y0 + y1 - kh) // down + 1, (W*up + x0 + x1 - kw) // down + 1).
    """
    n, c, h, w = x.shape
    if up > 1:
        grid = x.new_zeros(n, c, h, up, w, up)
        grid[:, :, :, 0, :, 0] = x
        x = grid.reshape(n, c, h * up, w * up)
    x0, x1, y0, y1 = padding
    x = F.pad(x, [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)])
    x = x[:, :, max(-y0, 0) : x.shape[2] - max(-y1, 0), max(-x0, 0) : x.shape[3] - max(-x1, 0)]
    kernel = (f * gain).to(x.dtype).flip([0, 1])
    kernel = kernel[None, None].expand(c, 1, *kernel.shape)
    x = F.conv2d(x, kernel, groups=c)
    if down > 1:
        x = x[:, :, ::down, ::down]
    return x


def upsample2d(x: torch.Tensor, f: torch.Tensor, up: int = 2) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, H*up, W*up): zero insertion and the low-pass ``f``, gain up**2."""
    fh, fw = f.shape
    pad = ((fw + up - 1) // 2, (fw - up) // 2, (fh + up - 1) // 2, (fh - up) // 2)
    return upfirdn2d(x, f, up=up, padding=pad, gain=up * up)


def conv2d_up2(
    x: torch.Tensor, w: torch.Tensor, f: torch.Tensor, padding: int, groups: int = 1
) -> torch.Tensor:
    """Convolve with ``w`` at twice the resolution of ``x``, low-pass filtered by ``f``.

    Equivalent to upsampling ``x`` by zero insertion, padding by ``padding`` plus the
    filter's own padding, filtering with ``f`` (gain 4) and convolving with ``w`` (a true
    convolution: ``F.conv2d`` with ``w`` flipped), done as one stride-2 transposed
    convolution followed by the filter. This is what NVIDIA's upsampling layers
    (``flip_weight=False``) and rosinality's transposed convolution compute.

    Parameters
    ----------
    x
        (N, groups * I, H, W) input.
    w
        (groups * O, I, k, k) weight, laid out as for ``torch.nn.functional.conv2d``.
    f
        (kh, kw) low-pass filter.
    padding
        Padding of the upsampled image (``k // 2`` keeps the size at 2H x 2W).
    groups
        Independent groups (one per sample for per-sample modulated weights).

    Returns
    -------
    torch.Tensor
        (N, groups * O, 2H, 2W) for ``padding == k // 2``.
    """
    out_ch, in_per_group, kh, kw = w.shape
    fh, fw = f.shape
    px0 = padding + (fw + 1) // 2 - (kw - 1)
    px1 = padding + (fw - 2) // 2 - (kw - 2)
    py0 = padding + (fh + 1) // 2 - (kh - 1)
    py1 = padding + (fh - 2) // 2 - (kh - 2)
    # conv_transpose2d wants (in, out/groups, k, k): swap the channel axes within groups.
    wt = w.reshape(groups, out_ch // groups, in_per_group, kh, kw).transpose(1, 2)
    wt = wt.reshape(groups * in_per_group, out_ch // groups, kh, kw)
    pxt = max(min(-px0, -px1), 0)
    pyt = max(min(-py0, -py1), 0)
    x = F.conv_transpose2d(x, wt, stride=2, padding=[pyt, pxt], groups=groups)
    return upfirdn2d(x, f, padding=(px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt), gain=4.0)
