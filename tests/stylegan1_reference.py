"""A deliberately naive numpy ``G_style`` (NVlabs/stylegan ``networks_stylegan.py``) at
lod 0, written op by op from the TensorFlow definitions, to check our network against.

float64 throughout; every op spelled out the way TF defines it (``get_weight``'s runtime
coefficient, 'SAME' convolutions as sums over kernel taps, nearest upscale by
repetition, ``conv2d_transpose`` as a scatter, the depthwise blur, instance norm,
``style_mod``). It shares nothing with ``guiapp`` and reads only the TF variables.
"""

from __future__ import annotations

import numpy as np


def _coef(shape: tuple[int, ...], gain: float, lrmul: float = 1.0) -> float:
    """``get_weight``'s runtime coefficient with ``use_wscale``: he_std * lrmul."""
    return gain / np.sqrt(np.prod(shape[:-1])) * lrmul


def lrelu(x: np.ndarray, alpha: float = 0.2) -> np.ndarray:
    return np.maximum(x, x * alpha)


def conv_same(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``tf.nn.conv2d(x, w, padding='SAME')``, NCHW, w [k, k, in, out] (k odd)."""
    k = w.shape[0]
    p = k // 2
    n, _, h, wd = x.shape
    xp = np.zeros((n, x.shape[1], h + 2 * p, wd + 2 * p))
    xp[:, :, p:p + h, p:p + wd] = x
    out = np.zeros((n, w.shape[3], h, wd))
    for dy in range(k):
        for dx in range(k):
            out += np.einsum("nihw,io->nohw", xp[:, :, dy:dy + h, dx:dx + wd], w[dy, dx])
    return out


def conv_transpose_same(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``tf.nn.conv2d_transpose(x, w, [N, out, 2H, 2W], strides 2, 'SAME')``, w
    [4, 4, out, in]: each input pixel scatters ``w`` onto the output (pad 1 before)."""
    n, _, h, wd = x.shape
    k = w.shape[0]
    big = np.zeros((n, w.shape[2], 2 * h + k, 2 * wd + k))
    for y in range(h):
        for xx in range(wd):
            big[:, :, 2 * y:2 * y + k, 2 * xx:2 * xx + k] += np.einsum(
                "ni,yxoi->noyx", x[:, :, y, xx], w)
    return big[:, :, 1:1 + 2 * h, 1:1 + 2 * wd]


def blur(x: np.ndarray, taps=(1.0, 2.0, 1.0)) -> np.ndarray:
    f = np.outer(taps, taps)
    f = f / f.sum()
    k = f.shape[0]
    p = k // 2
    n, c, h, wd = x.shape
    xp = np.zeros((n, c, h + 2 * p, wd + 2 * p))
    xp[:, :, p:p + h, p:p + wd] = x
    out = np.zeros_like(x)
    for dy in range(k):
        for dx in range(k):
            out += f[dy, dx] * xp[:, :, dy:dy + h, dx:dx + wd]
    return out


def instance_norm(x: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    x = x - x.mean(axis=(2, 3), keepdims=True)
    return x / np.sqrt((x**2).mean(axis=(2, 3), keepdims=True) + eps)


def mapping(v: dict, z: np.ndarray, lrmul: float = 0.01) -> np.ndarray:
    """``G_mapping``: pixel norm, dense layers (gain sqrt 2, lrmul), leaky ReLU."""
    x = z / np.sqrt((z**2).mean(axis=1, keepdims=True) + 1e-8)
    i = 0
    while f"mapping/Dense{i}/weight" in v:
        w = v[f"mapping/Dense{i}/weight"].astype(np.float64)
        x = x @ (w * _coef(w.shape, np.sqrt(2), lrmul)) + v[f"mapping/Dense{i}/bias"] * lrmul
        x = lrelu(x)
        i += 1
    return x


def truncate(v: dict, w: np.ndarray, num_layers: int, psi: float, cutoff: int) -> np.ndarray:
    """``G_style``'s truncation: lerp(dlatent_avg, w, psi) on layers < cutoff."""
    ws = np.repeat(w[:, None, :], num_layers, axis=1)
    avg = v["dlatent_avg"].astype(np.float64)
    coefs = np.where(np.arange(num_layers)[None, :, None] < cutoff, psi, 1.0)
    return avg + (ws - avg) * coefs


def _scope(i: int) -> str:
    r = 4 * 2 ** (i // 2)
    if r == 4:
        return "4x4/Const" if i == 0 else "4x4/Conv"
    return f"{r}x{r}/{'Conv0_up' if i % 2 == 0 else 'Conv1'}"


def synthesis(v: dict, ws: np.ndarray, fused_from: int = 128,
              noise: np.ndarray | None = None) -> np.ndarray:
    """``G_synthesis`` at lod 0 with the file's noise (``randomize_noise=False``).
    Upscaling convs into resolutions >= ``fused_from`` are fused (``fused_scale='auto'``:
    128; True: 8; False: a number above the resolution)."""
    num_layers = ws.shape[1]
    n = ws.shape[0]

    def epilogue(x: np.ndarray, i: int) -> np.ndarray:
        scope = f"synthesis/{_scope(i)}"
        if f"synthesis/noise{i}" in v:
            x = x + v[f"synthesis/noise{i}"] * v[f"{scope}/Noise/weight"].reshape(1, -1, 1, 1)
        x = lrelu(x + v[f"{scope}/bias"].reshape(1, -1, 1, 1))
        x = instance_norm(x)
        sw = v[f"{scope}/StyleMod/weight"].astype(np.float64)
        style = ws[:, i] @ (sw * _coef(sw.shape, 1.0)) + v[f"{scope}/StyleMod/bias"]
        style = style.reshape(n, 2, x.shape[1], 1, 1)
        return x * (style[:, 0] + 1) + style[:, 1]

    x = epilogue(np.tile(v["synthesis/4x4/Const/const"].astype(np.float64), (n, 1, 1, 1)), 0)
    for i in range(1, num_layers):
        w = v[f"synthesis/{_scope(i)}/weight"].astype(np.float64)
        w = w * _coef(w.shape, np.sqrt(2))
        if i % 2:
            x = conv_same(x, w)
        elif 2 * x.shape[2] >= fused_from:
            wt = np.pad(w.transpose(0, 1, 3, 2), ((1, 1), (1, 1), (0, 0), (0, 0)))
            wt = wt[1:, 1:] + wt[:-1, 1:] + wt[1:, :-1] + wt[:-1, :-1]
            x = blur(conv_transpose_same(x, wt))
        else:
            x = blur(conv_same(x.repeat(2, axis=2).repeat(2, axis=3), w))
        x = epilogue(x, i)
    w = v["synthesis/ToRGB_lod0/weight"].astype(np.float64)
    return conv_same(x, w * _coef(w.shape, 1.0)) + v["synthesis/ToRGB_lod0/bias"].reshape(
        1, -1, 1, 1)


def g_style(v: dict, z: np.ndarray, psi: float = 1.0, cutoff: int = 8,
            fused_from: int = 128) -> np.ndarray:
    """Images (N, C, R, R) of latents ``z`` (N, z_dim)."""
    num_layers = sum(1 for k in v if k.endswith("/StyleMod/weight"))
    ws = truncate(v, mapping(v, z.astype(np.float64)), num_layers, psi, cutoff)
    return synthesis(v, ws, fused_from)
