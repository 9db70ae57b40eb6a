"""PGGAN's generator (``G_paper``) at ``lod`` 0, in plain torch.

Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
Stability, and Variation", ICLR 2018 (tkarras/progressive_growing_of_gans, ``networks.py``).

The network, as NVIDIA's TensorFlow code computes it once training has grown to full size:

- ``z`` is pixel-normalised (divided by its root-mean-square, epsilon 1e-8);
- 4x4: a dense layer to ``C * 16`` units reshaped to (C, 4, 4), then a 3x3 convolution;
- every resolution above: ``Conv0`` (2x nearest upscale and a 3x3 convolution, or the
  fused ``Conv0_up`` transposed convolution of the 3x3 kernel padded and summed to 4x4)
  and ``Conv1`` (3x3);
- each layer adds a per-channel bias, applies leaky ReLU 0.2, then pixel norm;
- ``ToRGB_lod0``: a 1x1 convolution with bias, no activation (images in about [-1, 1]).

Weights use the equalised learning rate: the stored weight times ``gain / sqrt(fan_in)``
(gain sqrt(2), sqrt(2)/4 for the dense layer, 1 for ToRGB), folded in here once.

Both upscaling variants run as one stride-2 transposed convolution with a 4x4 kernel: a
nearest 2x upscale followed by a 3x3 convolution equals the transposed convolution of the
kernel padded and summed over its four shifts, flipped (``upscale_kernel``), which costs
16/36 of the multiply-adds. Every reader hands this module the TensorFlow variables by
their TensorFlow names and layouts (:class:`PGGANWeights`); nothing here reads a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from guiapp.core.models.formats import limits

EPS = 1e-8
SLOPE = 0.2


@dataclass(frozen=True)
class PGGANConfig:
    """Sizes read from the weights: ``channels[r]`` is the width at resolution ``r``."""

    z_dim: int
    resolution: int
    channels: dict[int, int]
    img_channels: int = 3
    fused: bool = True
    normalize_latents: bool = True
    use_wscale: bool = True
    use_pixelnorm: bool = True
    eps: float = EPS
    slope: float = SLOPE

    def __post_init__(self) -> None:
        limits.check_int("latent_size", self.z_dim, 1, limits.MAX_LATENT)
        limits.check_progressive_sizes(self.resolution, self.img_channels, self.channels,
                                       self.resolutions)
        limits.check_float("pixelnorm_epsilon", self.eps, 0.0, 1.0)

    @property
    def resolutions(self) -> list[int]:
        return [2**i for i in range(2, self.resolution.bit_length())]

    def conv0_name(self, r: int) -> str:
        return f"{r}x{r}/{'Conv0_up' if self.fused else 'Conv0'}"

    def tf_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every TensorFlow variable of ``G_paper`` used at lod 0, with its TF shape."""
        c4 = self.channels[4]
        shapes: dict[str, tuple[int, ...]] = {
            "4x4/Dense/weight": (self.z_dim, c4 * 16),
            "4x4/Dense/bias": (c4,),
            "4x4/Conv/weight": (3, 3, c4, c4),
            "4x4/Conv/bias": (c4,),
        }
        for r in self.resolutions[1:]:
            cin, cout = self.channels[r // 2], self.channels[r]
            name = self.conv0_name(r)
            shapes[f"{name}/weight"] = (3, 3, cout, cin) if self.fused else (3, 3, cin, cout)
            shapes[f"{name}/bias"] = (cout,)
            shapes[f"{r}x{r}/Conv1/weight"] = (3, 3, cout, cout)
            shapes[f"{r}x{r}/Conv1/bias"] = (cout,)
        shapes["ToRGB_lod0/weight"] = (1, 1, self.channels[self.resolution], self.img_channels)
        shapes["ToRGB_lod0/bias"] = (self.img_channels,)
        return shapes


@dataclass
class PGGANWeights:
    """The TensorFlow variables of ``G_paper`` (TF names and layouts) and the config."""

    config: PGGANConfig
    variables: dict[str, np.ndarray] = field(repr=False)


def pixel_norm(x: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Divide each pixel's feature vector (dim 1) by its root-mean-square."""
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + eps)


def _pad_sum(weight: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 4, 4): zero-pad by one and sum the four 4x4 shifts."""
    p = F.pad(weight, (1, 1, 1, 1))
    return (p[..., 1:, 1:] + p[..., :-1, 1:] + p[..., 1:, :-1] + p[..., :-1, :-1]).contiguous()


def upscale_kernel(weight: torch.Tensor) -> torch.Tensor:
    """(out, in, 3, 3) kernel of "nearest 2x upscale, then conv" -> the (in, out, 4, 4)
    kernel of the equal stride-2, padding-1 transposed convolution."""
    return _pad_sum(weight).flip(2, 3).transpose(0, 1).contiguous()


def fused_kernel(tf_weight: np.ndarray) -> torch.Tensor:
    """TF ``Conv0_up`` weight [3, 3, out, in] -> the (in, out, 4, 4) transposed-conv kernel
    (TF pads it to 4x4 and sums the four shifts; no flip: both frameworks' transposed
    convolutions scatter the same way)."""
    return _pad_sum(torch.from_numpy(np.ascontiguousarray(tf_weight)).permute(3, 2, 0, 1))


def _tf_conv(tf_weight: np.ndarray) -> torch.Tensor:
    """[k, k, in, out] -> (out, in, k, k)."""
    return torch.from_numpy(np.ascontiguousarray(tf_weight)).permute(3, 2, 0, 1).contiguous()


def _he(gain: float, fan_in: int, on: bool = True) -> float:
    """The runtime weight scale of the equalised learning rate (1 when it is off)."""
    return gain / math.sqrt(fan_in) if on else 1.0


class PGGANNet(nn.Module):
    """``G_paper`` at lod 0 with the runtime weight scale folded into the weights.

    ``layers()`` yields every layer's activation (GAN Dissection's ``layer1``,
    ``layer2``, ...: after the leaky ReLU, before the next pixel norm) so that features and
    previews reuse one forward pass.
    """

    def __init__(self, weights: PGGANWeights) -> None:
        super().__init__()
        cfg, v = weights.config, weights.variables
        self.config = cfg
        relu_gain, ws = math.sqrt(2), cfg.use_wscale
        c4 = cfg.channels[4]
        dense = torch.from_numpy(np.ascontiguousarray(v["4x4/Dense/weight"])).float()
        dense = dense * _he(relu_gain / 4, cfg.z_dim, ws)
        self.register_buffer("dense_weight", dense.contiguous())  # (z, C * 16)
        bias = torch.from_numpy(np.asarray(v["4x4/Dense/bias"])).float()
        self.register_buffer("dense_bias", bias.repeat_interleave(16).contiguous())
        self.conv_weights: list[str] = []
        self._add("b4_conv", _tf_conv(v["4x4/Conv/weight"]).float() * _he(relu_gain, 9 * c4, ws),
                  v["4x4/Conv/bias"])
        for r in cfg.resolutions[1:]:
            cin = cfg.channels[r // 2]
            name = cfg.conv0_name(r)
            scale = _he(relu_gain, 9 * cin, ws)
            if cfg.fused:
                up = fused_kernel(v[f"{name}/weight"]).float() * scale
            else:
                up = upscale_kernel(_tf_conv(v[f"{name}/weight"]).float() * scale)
            self._add(f"b{r}_conv0", up, v[f"{name}/bias"])
            self._add(f"b{r}_conv1", _tf_conv(v[f"{r}x{r}/Conv1/weight"]).float()
                      * _he(relu_gain, 9 * cfg.channels[r], ws), v[f"{r}x{r}/Conv1/bias"])
        self._add("torgb", _tf_conv(v["ToRGB_lod0/weight"]).float()
                  * _he(1.0, cfg.channels[cfg.resolution], ws), v["ToRGB_lod0/bias"])
        self.requires_grad_(False)

    def _add(self, name: str, weight: torch.Tensor, bias: np.ndarray) -> None:
        self.register_buffer(f"{name}_weight", weight.contiguous())
        self.register_buffer(f"{name}_bias", torch.from_numpy(np.asarray(bias)).float().clone())

    @property
    def layer_names(self) -> list[str]:
        """``layer1`` .. ``layer{2B}`` (B blocks), GAN Dissection's names, in order."""
        return [f"layer{i + 1}" for i in range(2 * len(self.config.resolutions))]

    def layer_resolution(self, index: int) -> int:
        """The resolution of ``layer{index + 1}``'s output."""
        return 4 * 2 ** (index // 2)

    def layers(self, z: torch.Tensor, upto: int | None = None):
        """Yield ``(x_act, x_normed)`` for layers ``0..upto`` (all when None): the leaky
        ReLU output and its pixel norm, which the next layer reads."""
        stop = 2 * len(self.config.resolutions) - 1 if upto is None else upto
        cfg = self.config
        x = pixel_norm(z, cfg.eps) if cfg.normalize_latents else z
        x = torch.addmm(self.dense_bias, x, self.dense_weight).view(-1, cfg.channels[4], 4, 4)
        for i in range(stop + 1):
            if i > 0:
                x = self._conv(i, x)
            act = F.leaky_relu(x, cfg.slope)
            x = pixel_norm(act, cfg.eps) if cfg.use_pixelnorm else act
            yield act, x

    def _conv(self, i: int, x: torch.Tensor) -> torch.Tensor:
        if i == 1:
            return F.conv2d(x, self.b4_conv_weight, self.b4_conv_bias, padding=1)
        r = self.layer_resolution(i)
        if i % 2 == 0:
            return F.conv_transpose2d(x, getattr(self, f"b{r}_conv0_weight"),
                                      getattr(self, f"b{r}_conv0_bias"), stride=2, padding=1)
        return F.conv2d(x, getattr(self, f"b{r}_conv1_weight"), getattr(self, f"b{r}_conv1_bias"),
                        padding=1)

    def to_rgb(self, x_normed: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x_normed, self.torgb_weight, self.torgb_bias)

    def run(self, z: torch.Tensor, upto: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x_act, x_normed)`` of layer ``upto`` (the last when None)."""
        *_, last = self.layers(z, upto)
        return last

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(N, z_dim) -> (N, img_channels, R, R)."""
        return self.to_rgb(self.run(z)[1])
