"""StyleGAN2 layers in plain torch: equalised linear layers, the mapping network and the
modulated / demodulated convolution.

Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN" (CVPR), as
trained by stylegan2-ada-pytorch (Karras et al. 2020, "Training Generative Adversarial
Networks with Limited Data", NeurIPS). Implemented here, for inference in float32:

- equalised learning rate: weights are stored divided by ``lr_multiplier`` and scaled at
  run time by ``lr_multiplier / sqrt(fan_in)``; biases by ``lr_multiplier``;
- leaky ReLU (slope 0.2) with gain ``sqrt(2)``, then clamping to ``+-conv_clamp``;
- the mapping network: 2nd-moment normalisation of z (and of the class embedding), FC
  layers, broadcast to ``num_ws`` copies, and the tracked ``w_avg`` buffer;
- modulated convolution: per-sample input scaling by the style, demodulation by
  ``rsqrt(sum(w^2) + 1e-8)`` per output channel, optional 2x upsampling with the FIR
  filter, noise added before bias and activation. Fused (grouped convolution with
  per-sample weights) and unfused (scale activations around one shared convolution)
  forms compute the same function.

Parameter and buffer names follow stylegan2-ada-pytorch so its state dicts load as is.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from guiapp.core.models.ops.modulated_conv import modulated_conv2d
from guiapp.core.models.ops.resample import make_filter
from guiapp.core.models.stylegan2.fast import (
    fast_enabled,
    linear_fast,
    synthesis_layer_fast,
    torgb_fast,
)

LRELU_GAIN = math.sqrt(2.0)
NOISE_MODES = ("const", "random", "none")


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """(N, D) -> (N, D) scaled so that each row has unit mean square."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def bias_act(
    x: torch.Tensor,
    b: torch.Tensor | None,
    act: str = "linear",
    gain: float = 1.0,
    clamp: float | None = None,
) -> torch.Tensor:
    """Add a per-channel bias (dim 1), apply ``act`` ('linear' or 'lrelu'), scale, clamp."""
    if b is not None:
        x = x + b.reshape([1, -1] + [1] * (x.ndim - 2))
    if act == "lrelu":
        x = F.leaky_relu(x, 0.2)
    elif act != "linear":
        raise ValueError(f"unsupported activation {act!r}")
    if gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


class FullyConnectedLayer(nn.Module):
    """Equalised-learning-rate linear layer: ``act(x @ (W * g).T + b * lr)``."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        activation: str = "linear",
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        self.activation = activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def effective_weight(self) -> torch.Tensor:
        """(out, in) the weight as applied (stored weight times its gain)."""
        return self.weight * self.weight_gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gain = LRELU_GAIN if self.activation == "lrelu" else 1.0
        params = (self.weight,) if self.bias is None else (self.weight, self.bias)
        if x.ndim == 2 and fast_enabled(None, x, *params):
            return linear_fast(self, x, gain)
        b = None if self.bias is None else self.bias * self.bias_gain
        x = x.matmul(self.effective_weight().t())
        return bias_act(x, b, self.activation, gain)


class MappingNetwork(nn.Module):
    """z (N, z_dim) [+ one-hot class (N, c_dim)] -> w (N, num_ws, w_dim)."""

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        w_dim: int,
        num_ws: int,
        num_layers: int = 8,
        embed_features: int | None = None,
        layer_features: int | None = None,
        lr_multiplier: float = 0.01,
        track_w_avg: bool = True,
    ) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.num_ws, self.num_layers = num_ws, num_layers
        embed_features = 0 if c_dim == 0 else (embed_features or w_dim)
        layer_features = layer_features or w_dim
        sizes = [z_dim + embed_features] + [layer_features] * (num_layers - 1) + [w_dim]
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed_features)
        for i in range(num_layers):
            layer = FullyConnectedLayer(
                sizes[i], sizes[i + 1], activation="lrelu", lr_multiplier=lr_multiplier
            )
            setattr(self, f"fc{i}", layer)
        if track_w_avg:
            self.register_buffer("w_avg", torch.zeros([w_dim]))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = normalize_2nd_moment(z.float()) if self.z_dim > 0 else None
        if self.c_dim > 0:
            if c is None:
                raise ValueError("this generator is conditional: give a class label")
            y = normalize_2nd_moment(self.embed(c.float()))
            x = y if x is None else torch.cat([x, y], dim=1)
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        return x.unsqueeze(1).repeat(1, self.num_ws, 1)


class StyleGenerator(nn.Module):
    """``synthesis`` (ws -> image) fed by ``mapping`` (z -> ws): the frame StyleGAN2 and
    StyleGAN3 share (``cfg`` has z_dim, c_dim, w_dim, img_resolution, mapping_layers and
    mapping_lr; ``mapping_kwargs`` go to :class:`MappingNetwork`)."""

    def __init__(self, cfg: Any, synthesis: nn.Module, **mapping_kwargs: Any) -> None:
        super().__init__()
        self.cfg = cfg
        self.z_dim, self.c_dim, self.w_dim = cfg.z_dim, cfg.c_dim, cfg.w_dim
        self.img_resolution = cfg.img_resolution
        self.synthesis = synthesis
        self.num_ws = synthesis.num_ws
        self.mapping = MappingNetwork(
            cfg.z_dim, cfg.c_dim, cfg.w_dim, self.num_ws, num_layers=cfg.mapping_layers,
            lr_multiplier=cfg.mapping_lr, **mapping_kwargs,
        )  # fmt: skip

    def forward(
        self, z: torch.Tensor, c: torch.Tensor | None = None, noise_mode: str = "const"
    ) -> torch.Tensor:
        """(N, z_dim) [, (N, c_dim)] -> (N, C, R, R), without truncation."""
        return self.synthesis(self.mapping(z, c), noise_mode=noise_mode)


def check_noise_mode(noise_mode: str) -> None:
    if noise_mode not in NOISE_MODES:
        raise ValueError(f"noise_mode must be one of {', '.join(NOISE_MODES)}")


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv (optionally upsampling 2x) + noise + bias + lrelu + clamp."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        up: int = 1,
        use_noise: bool = True,
        conv_clamp: float | None = None,
        kernel_size: int = 3,
        resample_filter: tuple[float, ...] = (1, 3, 3, 1),
    ) -> None:
        super().__init__()
        self.resolution, self.up, self.use_noise = resolution, up, use_noise
        self.conv_clamp = conv_clamp
        self.padding = kernel_size // 2
        self.register_buffer("resample_filter", make_filter(resample_filter))
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        if use_noise:
            self.register_buffer("noise_const", torch.randn([resolution, resolution]))
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))

    def forward(
        self,
        x: torch.Tensor,
        w: torch.Tensor,
        noise_mode: str = "const",
        fused: bool = False,
        gain: float = 1.0,
        generator: torch.Generator | None = None,
        fast: bool | None = None,
        noise_map: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(N, I, H, W), (N, w_dim) -> (N, O, H * up, W * up). ``fast``: None takes the fast
        path when autograd records nothing, False forces the reference ops (where ``fused``
        applies). ``noise_map`` ((R, R) or (N, 1, R, R)) replaces the fixed noise of
        ``noise_mode="const"`` (a projected photo's optimised noise)."""
        check_noise_mode(noise_mode)
        styles = self.affine(w)
        clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        if fast_enabled(fast, x, styles, self.weight, self.bias, noise_map):
            return synthesis_layer_fast(
                self, x, styles, noise_mode, LRELU_GAIN * gain, clamp, generator, noise_map
            )
        noise = self.noise(x, noise_mode, generator, noise_map)
        x = modulated_conv2d(
            x, self.weight, styles, noise, self.up, self.padding, self.resample_filter,
            fused=fused,
        )  # fmt: skip
        return bias_act(x, self.bias, "lrelu", LRELU_GAIN * gain, clamp)

    def noise(
        self, x: torch.Tensor, mode: str, generator: torch.Generator | None = None,
        noise_map: torch.Tensor | None = None,
    ) -> torch.Tensor | None:
        """Noise times its strength, broadcastable to the (N, O, R, R) output, or None.
        ``noise_map`` stands in for the fixed noise of mode "const"."""
        if not self.use_noise or mode == "none":
            return None
        if mode == "const" and noise_map is not None:
            return noise_map.to(x.device, x.dtype) * self.noise_strength
        if mode == "random":
            shape = (x.shape[0], 1, self.resolution, self.resolution)
            device = x.device if generator is None else generator.device
            rand = torch.randn(shape, generator=generator, device=device)
            return rand.to(x.device, x.dtype) * self.noise_strength
        return self.noise_const * self.noise_strength


class ToRGBLayer(nn.Module):
    """Modulated 1x1 conv to RGB without demodulation, + bias, clamped."""

    def __init__(
        self, in_channels: int, out_channels: int, w_dim: int, conv_clamp: float | None = None
    ) -> None:
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, fused: bool = False, fast: bool | None = None
    ) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        if fast_enabled(fast, x, styles, self.weight, self.bias):
            return torgb_fast(x, self.weight, styles, self.bias, self.conv_clamp)
        x = modulated_conv2d(x, self.weight, styles, demodulate=False, fused=fused)
        return bias_act(x, self.bias, clamp=self.conv_clamp)
