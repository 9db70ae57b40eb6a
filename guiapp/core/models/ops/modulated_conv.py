"""The modulated / demodulated convolution of StyleGAN2 and StyleGAN3, one function.

Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN": each sample's
input channels are scaled by its styles, then each output channel is demodulated by
``rsqrt(sum(w^2) + 1e-8)`` over its modulated weight. StyleGAN3 (Karras et al. 2021,
"Alias-Free Generative Adversarial Networks") first scales the weight and the styles to
unit RMS (``normalize``) and scales the input channels by a gain after demodulation
(``input_gain``). The fused form (one grouped convolution with per-sample weights, as
NVIDIA runs it) and the unfused form (scale the activations around one shared
convolution) compute the same function.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from guiapp.core.models.ops.resample import conv2d_up2, cpu_channels_last


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    noise: torch.Tensor | None = None,
    up: int = 1,
    padding: int = 0,
    resample_filter: torch.Tensor | None = None,
    demodulate: bool = True,
    fused: bool = False,
    input_gain: torch.Tensor | None = None,
    normalize: bool = False,
    channels_last: bool = False,
) -> torch.Tensor:
    """Convolve each sample with ``weight`` modulated by its styles.

    Parameters
    ----------
    x
        (N, I, H, W) activations.
    weight
        (O, I, k, k) shared weight (correlation layout).
    styles
        (N, I) per-sample input-channel scales.
    noise
        Optional, broadcastable to (N, O, H', W'); added after (de)modulation.
    up
        1, or 2 to correlate at twice the resolution with ``resample_filter``.
    padding
        Padding (of the upsampled image when ``up == 2``).
    demodulate
        Normalise each output channel's modulated weight to unit L2 norm.
    fused
        Use one grouped convolution with per-sample weights instead of scaling the
        activations around a shared convolution; the result is the same.
    input_gain
        Scalar (or (N, I)) scale of the input channels after demodulation (StyleGAN3).
    normalize
        With ``demodulate``, first scale the weight and the styles (over the whole batch)
        to unit RMS, as StyleGAN3 does.
    channels_last
        Convolve channels-last tensors on a CPU (faster there, same values).

    Returns
    -------
    torch.Tensor
        (N, O, H', W') with H' = H * up for ``padding == k // 2``.
    """
    n = x.shape[0]
    out_ch, in_ch, kh, kw = weight.shape
    if demodulate and normalize:
        weight = weight * weight.square().mean(dim=[1, 2, 3], keepdim=True).rsqrt()
        styles = styles * styles.square().mean().rsqrt()
    gain = None if input_gain is None else input_gain.expand(n, in_ch)
    dcoefs = None
    if fused:
        w = weight.unsqueeze(0) * styles.reshape(n, 1, in_ch, 1, 1)  # (N, O, I, k, k)
        if demodulate:
            dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()  # (N, O)
            w = w * dcoefs.reshape(n, out_ch, 1, 1, 1)
        if gain is not None:
            w = w * gain.reshape(n, 1, in_ch, 1, 1)
        xg = x.reshape(1, n * in_ch, *x.shape[2:])
        xg = cpu_channels_last(xg, channels_last)
        wg = w.reshape(n * out_ch, in_ch, kh, kw)
        x = _conv(xg, wg, up, padding, resample_filter, groups=n)
        x = x.reshape(n, out_ch, *x.shape[2:])
    else:
        if demodulate:
            # The same sum over (i, k) of (w_oik * s_ni)^2, without forming the per-sample
            # weights (N * O * I * k * k floats: 9.7 GB for a batch of 1024 at 512 channels).
            dcoefs = (styles.square() @ weight.square().sum(dim=[2, 3]).T + 1e-8).rsqrt()
        scale = styles if gain is None else styles * gain
        x = cpu_channels_last(x * scale.reshape(n, in_ch, 1, 1), channels_last)
        x = _conv(x, weight, up, padding, resample_filter, groups=1)
        if dcoefs is not None:
            x = x * dcoefs.reshape(n, out_ch, 1, 1)
    if noise is not None:
        x = x + noise
    return x


def _conv(
    x: torch.Tensor, w: torch.Tensor, up: int, padding: int, f: torch.Tensor | None, groups: int
) -> torch.Tensor:
    if up == 1:
        return F.conv2d(x, w, padding=padding, groups=groups)
    if up != 2 or f is None:
        raise ValueError("only 2x upsampling with a resample filter is supported")
    return conv2d_up2(x, w, f, padding, groups)
