"""Filtered resampling in plain torch ops (no compiled extensions): the one ``upfirdn2d``.

StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN")
upsamples with a separable low-pass FIR filter, by default the binomial ``[1, 3, 3, 1]``
normalised to unit DC gain and scaled by ``up**2`` so that zero insertion keeps the
signal's magnitude. This module implements the generic pad / upsample / filter /
downsample operation (``upfirdn2d``, also StyleGAN3's, with separable 1-D or 2-D filters)
and the two patterns StyleGAN2's generator needs:

- :func:`upsample2d`: the skip path that upsamples the RGB image between blocks;
- :func:`conv2d_up2`: a 3x3 convolution at twice the input resolution (a stride-2
  transposed convolution followed by the low-pass filter), lined up as NVIDIA's
  ``conv2d_resample(up=2)`` and rosinality's ``ModulatedConv2d(upsample=True)``.

StyleGAN2's filters are 2-D float32 tensors, prepared once by :func:`make_filter`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

MAX_TAPS = 64
Padding = tuple[int, int, int, int]
"""(x_before, x_after, y_before, y_after) of the upsampled image; negative values crop."""


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


def cpu_channels_last(x: torch.Tensor, fast: bool = True) -> torch.Tensor:
    """``x`` in channels-last memory format on a CPU when ``fast`` (no copy when it already
    is): oneDNN runs depthwise FIR filters 3-4x faster that way, bit for bit the same."""
    if not fast or x.device.type != "cpu" or x.ndim != 4:
        return x
    return x.contiguous(memory_format=torch.channels_last)


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
    fast: bool,
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
        return F.conv2d(cpu_channels_last(x, fast), kernel, stride=(dy, dx), groups=c)
    # A strided transposed convolution is zero insertion followed by a full convolution:
    # y[i] = sum_j x[j] k[i - up * j]; the padded, filtered image starts at y[k - 1 - pad].
    kernel = k[None, None].expand(c, 1, kh, kw)
    start_y, start_x = kh - 1 - py0, kw - 1 - px0
    full_h, full_w = (h - 1) * uy + kh, (w - 1) * ux + kw
    extra_y = out_h - full_h + 2 * start_y  # output_padding that gives the wanted length
    extra_x = out_w - full_w + 2 * start_x
    cropless = min(start_y, start_x) >= 0 and 0 <= extra_y < uy and 0 <= extra_x < ux
    if cropless and fast:
        # The crop as the transposed convolution's own padding: no cropped copy.
        y = F.conv_transpose2d(
            cpu_channels_last(x, fast), kernel, stride=(uy, ux), padding=(start_y, start_x),
            output_padding=(extra_y, extra_x), groups=c,
        )  # fmt: skip
    else:
        y = F.conv_transpose2d(cpu_channels_last(x, fast), kernel, stride=(uy, ux), groups=c)
        y = _crop_or_pad(y, start_y, out_h, start_x, out_w)
    return y[..., ::dy, ::dx]


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: int = 1,
    down: int = 1,
    padding: Padding = (0, 0, 0, 0),
    gain: float = 1.0,
    fast: bool = False,
) -> torch.Tensor:
    """Upsample by zero insertion, pad (or crop), convolve with ``f``, keep every ``down``-th.

    Upsampling runs as a strided transposed convolution and decimation as a strided
    convolution, so no inserted zero is multiplied (the tests check this against the
    direct definition).

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
    fast
        Channels-last tensors on a CPU and the crop folded into the transposed
        convolution's padding (same values, fewer copies); False: plain NCHW steps.

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
        x = _fir(x, f[None], (1, up), (1, down), (px0, px1, 0, 0), fast)
        x = _fir(x, f[:, None], (up, 1), (down, 1), (0, 0, py0, py1), fast)
    else:
        x = _fir(x, f, (up, up), (down, down), padding, fast)
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
