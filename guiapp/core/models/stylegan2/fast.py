"""Inference fast paths for the StyleGAN2 layers (same function, fewer passes over memory).

The reference ops in :mod:`stylegan2_layers` and :mod:`resample` follow the official code
step by step, which is right for checking parity and for autograd but slow on a CPU
(zero insertion, generic padding and filtering, and separate passes for demodulation,
noise, bias, activation and gain over every activation). Used only where autograd records
nothing (under ``torch.no_grad`` or ``torch.inference_mode``, or when no input or weight
requires grad), these helpers compute the same images (max abs difference 1e-5 to 3e-5
on a config-f generator's images, whose range is about +-10) with:

- batch 1: one convolution with the modulated, demodulated weight, with the activation
  gain folded in (``g * lrelu(z) == lrelu(g * z)`` for ``g > 0``) and the bias fused into
  the convolution (or into the blur after an upsampling convolution);
- batch > 1: the shared weight between a per-input-channel scale and one ``addcmul``
  (demodulation, gain and bias); demodulation coefficients from the cached ``sum_k w^2``;
- 2x upsampling convolution: ``conv_transpose2d`` at stride 2 on the low-resolution input,
  then the FIR as one depthwise 4x4 convolution (no zero insertion, no generic padding);
- the RGB skip upsampling with the ``[1, 3, 3, 1]`` filter as bilinear interpolation of the
  zero-padded image (the two are the same linear map, see :func:`upsample2d_fast`);
- Winograd F(4x4, 3x3) (:mod:`winograd`) for the wide stride-1 layers on a CPU;
- constants (scaled noise, weights, blur kernels, weight squares) cached and recomputed
  only when a source tensor changes (its storage or version counter moves).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from guiapp.core.models.ops import winograd
from guiapp.core.models.ops.resample import make_filter, upsample2d

_BINOMIAL = make_filter((1, 3, 3, 1))
WINOGRAD_MIN_CHANNELS = 128
"""Stride-1 3x3 layers with at least this many input and output channels, and at least
:data:`WINOGRAD_MIN_RESOLUTION` pixels wide, use Winograd convolution (faster there on a
CPU; narrower layers are bound by the tile transforms). CUDA keeps cuDNN's convolution."""
WINOGRAD_MIN_RESOLUTION = 16


def fast_enabled(fast: bool | None, *tensors: torch.Tensor | None) -> bool:
    """Whether to take the fast path: not refused (``fast=False``) and autograd will not
    record, because it is off or none of ``tensors`` requires grad."""
    if fast is False:
        return False
    return not torch.is_grad_enabled() or not any(
        t is not None and t.requires_grad for t in tensors)


def synthesis_fast(fast: bool | None, ws: torch.Tensor, *params: torch.Tensor) -> bool:
    """:func:`fast_enabled` for a whole synthesis pass: by default on a CPU only. On a CUDA
    GPU the reference ops measured faster (config-f 1024 px, one image: 13.4 ms against
    24.4 ms on an H200, ``benchmarks/bench_cuda.py``); ``fast=True`` forces the fast paths
    anywhere (to test them)."""
    return fast_enabled(fast, ws, *params) and (fast is True or ws.device.type == "cpu")


def _version(t: torch.Tensor) -> int:
    try:
        return t._version
    except RuntimeError:  # inference tensors have no version counter
        return -1


class DerivedCache:
    """Values derived from tensors, recomputed when one of them changes in place or moves."""

    def __init__(self) -> None:
        self._store: dict[str, tuple[tuple, torch.Tensor]] = {}

    def get(
        self,
        name: str,
        sources: tuple[torch.Tensor, ...],
        extra: tuple,
        compute: Callable[[], torch.Tensor],
    ) -> torch.Tensor:
        key = (tuple((t.data_ptr(), _version(t), t.device, t.dtype) for t in sources), extra)
        hit = self._store.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = compute()
        self._store[name] = (key, value)
        return value


def up2_blur_padding(kernel: int, padding: int, f: torch.Tensor) -> tuple[int, int, int, int]:
    """(x0, x1, y0, y1) padding of the FIR after a stride-2 transposed convolution without
    padding, as in :func:`resample.conv2d_up2` (negative values crop)."""
    fh, fw = f.shape
    return (
        padding + (fw + 1) // 2 - (kernel - 1),
        padding + (fw - 2) // 2 - (kernel - 2),
        padding + (fh + 1) // 2 - (kernel - 1),
        padding + (fh - 2) // 2 - (kernel - 2),
    )


def blur_kernel(f: torch.Tensor, channels: int, gain: float) -> torch.Tensor:
    """(C, 1, kh, kw) depthwise kernel applying ``f * gain`` as a true convolution."""
    return (f * gain).flip([0, 1])[None, None].expand(channels, 1, *f.shape).contiguous()


def blur(
    x: torch.Tensor,
    kernel: torch.Tensor,
    pad: tuple[int, int, int, int],
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Depthwise FIR with (x0, x1, y0, y1) padding, optionally adding a per-channel bias."""
    x0, x1, y0, y1 = pad
    if x0 == x1 == y0 == y1 and x0 >= 0:
        return F.conv2d(x, kernel, bias, padding=x0, groups=x.shape[1])
    if min(pad) < 0:
        x = x[:, :, max(-y0, 0) : x.shape[2] - max(-y1, 0), max(-x0, 0) : x.shape[3] - max(-x1, 0)]
    x = F.pad(x, [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)])
    return F.conv2d(x, kernel, bias, groups=x.shape[1])


def is_binomial(f: torch.Tensor) -> bool:
    """Whether ``f`` is the normalised ``[1, 3, 3, 1]`` filter (the bilinear shortcut)."""
    return f.shape == _BINOMIAL.shape and bool(torch.allclose(f.cpu(), _BINOMIAL, atol=1e-7))


def upsample2d_fast(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, 2H, 2W): :func:`resample.upsample2d` with ``up=2``.

    For the binomial filter, zero insertion and ``[1, 3, 3, 1] / 4`` per axis give
    ``out[2i] = x[i-1] / 4 + 3 x[i] / 4`` and ``out[2i+1] = 3 x[i] / 4 + x[i+1] / 4`` with
    ``x`` zero outside: bilinear upsampling (half-pixel centres) of ``x`` padded by one
    zero, cropped by two. Other filters take the generic path.
    """
    if not is_binomial(f):
        return upsample2d(x, f)
    h, w = x.shape[2:]
    y = F.interpolate(F.pad(x, [1, 1, 1, 1]), scale_factor=2, mode="bilinear")
    return y[:, :, 2 : 2 * h + 2, 2 : 2 * w + 2]


def modulated_conv_fast(
    x: torch.Tensor,
    weight: torch.Tensor,
    weight_sq: torch.Tensor | None,
    styles: torch.Tensor,
    bias: torch.Tensor,
    gain: float,
    padding: int,
    up: int = 1,
    blur_k: torch.Tensor | None = None,
    blur_pad: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> torch.Tensor:
    """``gain * (modulated_conv2d(x, W, styles, up=up) + bias)``, without noise.

    Parameters
    ----------
    x
        (N, I, H, W) activations.
    weight
        The shared weight ``W`` in the layout its convolution reads: (O, I, k, k) for
        ``up == 1``, (I, O, k, k) for the transposed convolution of ``up == 2``; best in
        channels-last memory format (:func:`conv_weight`), which oneDNN reads directly.
    weight_sq
        (O, I) squares of ``W`` summed over the kernel; None: no demodulation.
    styles
        (N, I) input-channel scales.
    bias
        (O,) added before the gain.
    up, blur_k, blur_pad
        ``up == 2``: stride-2 transposed convolution, then the depthwise ``blur_k`` with
        ``blur_pad`` (:func:`up2_blur_padding`); ``padding`` is then unused.

    Returns
    -------
    torch.Tensor
        (N, O, H', W').
    """
    n, in_ch = styles.shape
    out_ch = weight.shape[0] if up == 1 else weight.shape[1]
    if weight_sq is not None:
        dcoefs = (styles.square() @ weight_sq.t() + 1e-8).rsqrt() * gain  # (N, O)
    else:
        dcoefs = styles.new_full((n, out_ch), gain)
    b = bias * gain
    h, w = x.shape[2:]
    if n == 1 and (in_ch + out_ch * up * up) * h * w > weight.numel():
        # Large images, small weight: modulate the weight (fold everything into one conv).
        if up == 1:
            scale = styles.reshape(1, in_ch, 1, 1) * dcoefs.reshape(out_ch, 1, 1, 1)
            return F.conv2d(x, weight * scale, b, padding=padding)
        scale = styles.reshape(in_ch, 1, 1, 1) * dcoefs.reshape(1, out_ch, 1, 1)
        return blur(F.conv_transpose2d(x, weight * scale, stride=2), blur_k, blur_pad, b)
    # Small images, large weight: scale the activations around the shared weight.
    x = x * styles.reshape(n, in_ch, 1, 1)
    if up == 1:
        x = F.conv2d(x, weight, padding=padding)
    else:
        x = F.conv_transpose2d(x, weight, stride=2)
        if n == 1:
            return blur(x, blur_k * dcoefs.reshape(out_ch, 1, 1, 1), blur_pad, b)
        x = blur(x, blur_k, blur_pad)
    return torch.addcmul(b.reshape(1, -1, 1, 1), x, dcoefs.reshape(n, out_ch, 1, 1))


def conv_weight(weight: torch.Tensor, transposed: bool) -> torch.Tensor:
    """(O, I, k, k) -> a channels-last copy, as (I, O, k, k) for a transposed convolution."""
    w = weight.transpose(0, 1) if transposed else weight
    return w.contiguous(memory_format=torch.channels_last)


def derived(module: torch.nn.Module) -> DerivedCache:
    """The module's cache of derived tensors (kept out of its state dict)."""
    cache = module.__dict__.get("_fast_cache")
    if cache is None:
        cache = module.__dict__["_fast_cache"] = DerivedCache()
    return cache


def _use_winograd(layer: torch.nn.Module, x: torch.Tensor) -> bool:
    out_ch, in_ch, kh, kw = layer.weight.shape
    return (
        x.device.type == "cpu"
        and layer.up == 1
        and (kh, kw, layer.padding) == (3, 3, 1)
        and min(in_ch, out_ch) >= WINOGRAD_MIN_CHANNELS
        and min(x.shape[2:]) >= WINOGRAD_MIN_RESOLUTION
        and x.shape[2] % 4 == 0
        and x.shape[3] % 4 == 0
    )


def synthesis_layer_fast(
    layer: torch.nn.Module,
    x: torch.Tensor,
    styles: torch.Tensor,
    noise_mode: str,
    act_gain: float,
    clamp: float | None,
    generator: torch.Generator | None,
    noise_map: torch.Tensor | None = None,
) -> torch.Tensor:
    """``SynthesisLayer.forward`` without autograd: (N, I, H, W) -> (N, O, H', W').

    ``act_gain`` (> 0) is the gain after the leaky ReLU and ``clamp`` the clamp after it;
    the gain is folded into the convolution, the bias and the noise.
    """
    cache, weight, f = derived(layer), layer.weight, layer.resample_filter
    wsq = cache.get("wsq", (weight,), (), lambda: weight.square().sum(dim=[2, 3]))
    if _use_winograd(layer, x):
        u = cache.get("wino", (weight,), (), lambda: winograd.transform_weight(weight))
        dcoefs = (styles.square() @ wsq.t() + 1e-8).rsqrt() * act_gain
        x = winograd.conv3x3(x, u, styles, dcoefs, layer.bias * act_gain)
    elif layer.up == 1:
        w = cache.get("w", (weight,), (), lambda: conv_weight(weight, False))
        x = modulated_conv_fast(x, w, wsq, styles, layer.bias, act_gain, layer.padding)
    elif layer.up == 2:
        blur_k = cache.get("blur", (f,), (), lambda: blur_kernel(f, weight.shape[0], 4.0))
        pad = up2_blur_padding(weight.shape[-1], layer.padding, f)
        w = cache.get("w", (weight,), (), lambda: conv_weight(weight, True))
        x = modulated_conv_fast(x, w, wsq, styles, layer.bias, act_gain, 0, 2, blur_k, pad)
    else:
        raise ValueError("only 2x upsampling with a resample filter is supported")
    if noise_mode == "const" and layer.use_noise and noise_map is not None:
        noise = layer.noise(x, "const", noise_map=noise_map).mul_(act_gain)
    elif noise_mode == "const" and layer.use_noise:
        sources = (layer.noise_const, layer.noise_strength)
        noise = cache.get("noise", sources, (act_gain,), lambda: layer.noise(x, "const") * act_gain)
    else:
        noise = layer.noise(x, noise_mode, generator)
        noise = None if noise is None else noise.mul_(act_gain)
    if noise is not None:
        x.add_(noise)
    x = F.leaky_relu(x, 0.2, inplace=True)
    return x if clamp is None or clamp < 0 else x.clamp_(-clamp, clamp)


def torgb_fast(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    bias: torch.Tensor,
    clamp: float | None,
) -> torch.Tensor:
    """``ToRGBLayer.forward`` without autograd (``styles`` include the weight gain)."""
    x = modulated_conv_fast(x, weight, None, styles, bias, 1.0, 0)
    return x if clamp is None or clamp < 0 else x.clamp_(-clamp, clamp)


def linear_fast(layer: torch.nn.Module, x: torch.Tensor, gain: float) -> torch.Tensor:
    """``FullyConnectedLayer.forward`` without autograd: one ``addmm`` with the cached scaled
    weight and bias, then the activation in place. (N, in) -> (N, out)."""
    cache, weight, bias = derived(layer), layer.weight, layer.bias
    wt = cache.get("wt", (weight,), (), lambda: (weight * layer.weight_gain).t())
    if bias is None:
        x = x.matmul(wt)
    else:
        b = cache.get("b", (bias,), (), lambda: bias * layer.bias_gain)
        x = torch.addmm(b, x, wt)
    if layer.activation == "lrelu":
        x = F.leaky_relu(x, 0.2, inplace=True)
    elif layer.activation != "linear":
        raise ValueError(f"unsupported activation {layer.activation!r}")
    return x if gain == 1.0 else x.mul_(gain)
