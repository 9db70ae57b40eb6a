"""Winograd F(4x4, 3x3) convolution for the wide, stride-1 layers of a CPU generator.

Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks" (CVPR). Each 4x4
output tile is ``A^T [(G g G^T) * (B^T d B)] A`` for the 6x6 input tile ``d``: 36
multiplications per (input, output) channel pair instead of 144, so the channel-mixing
work becomes 36 batched matrix products that are 4x smaller than the direct convolution.
The tile transforms are two more small matrix products. On a CPU this beats oneDNN's
direct convolution by 1.2x (128 channels) to 2.5x (512 channels) and loses below that,
where the tile transforms (memory traffic) dominate; :mod:`stylegan2_fast` uses it only
where it wins.

The image is processed in bands of tile rows so that the transformed tiles stay in cache.
For StyleGAN2's modulated convolution, modulation (per input channel) and demodulation
(per output channel) commute with the transforms, so the transformed weight ``U`` is
computed once per layer and the styles scale the gathered input tiles; demodulation,
the gain and the bias are applied while the output tiles are written back. Transforms
are computed in float64; the result matches a direct float32 convolution to ~1e-5
relative.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_BT = torch.tensor(
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    dtype=torch.float64,
)
_G = torch.tensor(
    [
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ],
    dtype=torch.float64,
)
_AT = torch.tensor(
    [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
    dtype=torch.float64,
)
_IN = torch.kron(_BT, _BT).float()  # (36, 36): flattened 6x6 tile -> transformed tile
_OUT = torch.kron(_AT, _AT).float()  # (16, 36): transformed product -> flattened 4x4 tile
CHUNK_BYTES = 2_500_000
"""Input tiles gathered per band of tile rows: small enough to stay in cache."""
CACHED_WEIGHT_BYTES = 16_000_000
"""Band only when the transformed weight is at most this large: each band reads all of it,
which is cheap while it stays in the last-level cache and slow once it does not."""


def transform_weight(weight: torch.Tensor) -> torch.Tensor:
    """(O, I, 3, 3) correlation weight -> (36, I, O) float32 ``G g G^T``, for :func:`conv3x3`."""
    if weight.shape[2:] != (3, 3):
        raise ValueError(f"Winograd F(4x4, 3x3) needs a 3x3 kernel, not {tuple(weight.shape)}")
    u = torch.einsum("ak,oikl,bl->abio", _G, weight.double().cpu(), _G)
    return u.reshape(36, weight.shape[1], weight.shape[0]).to(weight.device, torch.float32)


def conv3x3(
    x: torch.Tensor,
    u: torch.Tensor,
    styles: torch.Tensor,
    out_scale: torch.Tensor,
    bias: torch.Tensor,
) -> torch.Tensor:
    """``F.conv2d(x * styles, W, padding=1) * out_scale + bias`` with ``u = transform_weight(W)``.

    Parameters
    ----------
    x
        (N, I, H, W) activations, H and W multiples of 4 (any memory format).
    u
        (36, I, O) transformed weight.
    styles
        (N, I) input-channel scales.
    out_scale
        (N, O) output-channel scales (demodulation times gain).
    bias
        (O,) added last.

    Returns
    -------
    torch.Tensor
        (N, O, H, W) float32 in channels-last memory format.
    """
    n, c, h, w = x.shape
    if h % 4 or w % 4:
        raise ValueError(f"Winograd tiles need H and W divisible by 4, not {h}x{w}")
    th, tw, o = h // 4, w // 4, u.shape[2]
    xp = F.pad(x, [1, 1, 1, 1])
    out = torch.empty(
        (n, o, h, w), device=x.device, dtype=x.dtype, memory_format=torch.channels_last
    )
    dst = out.permute(0, 2, 3, 1).view(n, th, 4, tw, 4, o)  # (N, tile row, 4, tile col, 4, O)
    rows = th
    if u.numel() * u.element_size() <= CACHED_WEIGHT_BYTES:
        rows = max(1, CHUNK_BYTES // (36 * n * tw * c * x.element_size()))
    for r0 in range(0, th, rows):
        r1 = min(th, r0 + rows)
        _tile_rows(xp[:, :, 4 * r0 : 4 * r1 + 2], u, styles, out_scale, bias, dst[:, r0:r1])
    return out


def _tile_rows(
    xp: torch.Tensor,
    u: torch.Tensor,
    styles: torch.Tensor,
    out_scale: torch.Tensor,
    bias: torch.Tensor,
    dst: torch.Tensor,
) -> None:
    """One band of tile rows: padded input (N, I, 4 r + 2, W + 2) -> ``dst`` (N, r, 4, tw, 4, O)."""
    n, c = xp.shape[:2]
    dev = xp.device
    tiles = xp.unfold(2, 6, 4).unfold(3, 6, 4)  # (N, I, r, tw, 6, 6)
    r, tw, o = tiles.shape[2], tiles.shape[3], u.shape[2]
    gathered = torch.empty((6, 6, n, r, tw, c), device=dev, dtype=xp.dtype)
    torch.mul(tiles.permute(4, 5, 0, 2, 3, 1), styles.reshape(n, 1, 1, c), out=gathered)
    v = torch.mm(_IN.to(dev), gathered.view(36, -1)).view(36, n * r * tw, c)
    m = torch.bmm(v, u)  # (36, N * r * tw, O)
    y = torch.mm(_OUT.to(dev), m.view(36, -1)).view(4, 4, n, r, tw, o)
    torch.addcmul(bias, y.permute(2, 3, 0, 4, 1, 5), out_scale.reshape(n, 1, 1, 1, 1, o), out=dst)
