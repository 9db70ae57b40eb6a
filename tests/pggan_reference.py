"""A deliberately naive numpy ``G_paper`` (lod 0), written from the TensorFlow ops of
progressive_growing_of_gans' ``networks.py``, sharing nothing with guiapp's network.

Float64, NCHW, explicit shifts and scatters: ``conv2d`` is TF's 'SAME' cross-correlation,
``upscale2d`` TF's reshape + tile, ``upscale2d_conv2d`` the 4x4 padded-and-summed kernel
through a scatter-add ``conv2d_transpose`` with TF's 'SAME' output crop.
"""

from __future__ import annotations

import numpy as np


def pixel_norm(x: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)


def leaky_relu(x: np.ndarray, alpha: float = 0.2) -> np.ndarray:
    return np.maximum(x * alpha, x)


def wscale(shape: tuple[int, ...], gain: float, fan_in: float | None = None) -> float:
    fan_in = np.prod(shape[:-1]) if fan_in is None else fan_in
    return gain / np.sqrt(fan_in)


def conv2d_same(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x (N, Cin, H, W), w [k, k, Cin, Cout]: stride 1, zero 'SAME' padding."""
    k = w.shape[0]
    p = k // 2
    n, _, h, wd = x.shape
    xp = np.zeros((n, x.shape[1], h + 2 * p, wd + 2 * p))
    xp[:, :, p:p + h, p:p + wd] = x
    out = np.zeros((n, w.shape[3], h, wd))
    for dy in range(k):
        for dx in range(k):
            patch = xp[:, :, dy:dy + h, dx:dx + wd]
            out += np.einsum("nihw,io->nohw", patch, w[dy, dx])
    return out


def upscale2d(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    x = x.reshape(n, c, h, 1, w, 1)
    x = np.tile(x, (1, 1, 1, 2, 1, 2))
    return x.reshape(n, c, 2 * h, 2 * w)


def conv2d_transpose_same(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """TF ``conv2d_transpose`` stride 2 'SAME' to (2H, 2W); w [k, k, Cout, Cin]."""
    k = w.shape[0]
    n, _, h, wd = x.shape
    full = np.zeros((n, w.shape[2], 2 * (h - 1) + k, 2 * (wd - 1) + k))
    for y in range(h):
        for xx in range(wd):
            full[:, :, 2 * y:2 * y + k, 2 * xx:2 * xx + k] += np.einsum(
                "ni,abOi->nOab", x[:, :, y, xx], w)
    pad_total = full.shape[2] - 2 * h
    before = pad_total // 2
    return full[:, :, before:before + 2 * h, before:before + 2 * wd]


def upscale2d_conv2d(x: np.ndarray, w: np.ndarray, gain: float) -> np.ndarray:
    """w [k, k, Cout, Cin]; fan_in k*k*Cin."""
    k, cin = w.shape[0], x.shape[1]
    w = w * wscale(w.shape, gain, fan_in=k * k * cin)
    w = np.pad(w, [[1, 1], [1, 1], [0, 0], [0, 0]])
    w = w[1:, 1:] + w[:-1, 1:] + w[1:, :-1] + w[:-1, :-1]
    return conv2d_transpose_same(x, w)


def g_paper(v: dict[str, np.ndarray], z: np.ndarray, fused: bool) -> np.ndarray:
    """``G_paper`` at lod 0 on latents ``z`` (N, latent_size) -> (N, C, R, R)."""
    v = {k: np.asarray(a, dtype=np.float64) for k, a in v.items()}
    relu = np.sqrt(2)
    res = max(int(k.split("x")[0]) for k in v if k[0].isdigit())
    x = pixel_norm(z.astype(np.float64))
    w = v["4x4/Dense/weight"]
    x = x @ (w * wscale(w.shape, relu / 4))
    c = w.shape[1] // 16
    x = x.reshape(-1, c, 4, 4) + v["4x4/Dense/bias"].reshape(1, -1, 1, 1)
    x = pixel_norm(leaky_relu(x))
    w = v["4x4/Conv/weight"]
    x = conv2d_same(x, w * wscale(w.shape, relu)) + v["4x4/Conv/bias"].reshape(1, -1, 1, 1)
    x = pixel_norm(leaky_relu(x))
    r = 8
    while r <= res:
        s = f"{r}x{r}"
        if fused:
            x = upscale2d_conv2d(x, v[f"{s}/Conv0_up/weight"], relu)
            x = x + v[f"{s}/Conv0_up/bias"].reshape(1, -1, 1, 1)
        else:
            x = upscale2d(x)
            w = v[f"{s}/Conv0/weight"]
            x = conv2d_same(x, w * wscale(w.shape, relu))
            x = x + v[f"{s}/Conv0/bias"].reshape(1, -1, 1, 1)
        x = pixel_norm(leaky_relu(x))
        w = v[f"{s}/Conv1/weight"]
        x = conv2d_same(x, w * wscale(w.shape, relu)) + v[f"{s}/Conv1/bias"].reshape(1, -1, 1, 1)
        x = pixel_norm(leaky_relu(x))
        r *= 2
    w = v["ToRGB_lod0/weight"]
    return conv2d_same(x, w * wscale(w.shape, 1.0)) + v["ToRGB_lod0/bias"].reshape(1, -1, 1, 1)
