"""Inference fast path for the mapping network: one ``w`` per latent, for sampling many.

GANSpace in w maps up to millions of latents, and ``MappingNetwork.forward`` spends a
quarter (one thread) to half (two threads) of that time outside its matrix products: a
separate pass for the activation gain after each layer, and the final ``repeat`` to
(N, num_ws, w_dim) (num_ws copies of a w that the sampler reads once). :func:`map_w`
computes the same w (max abs difference about 1e-5 on a config-f mapping, whose w range
is about +-10) with:

- the equalised-learning-rate gains and the leaky ReLU gain folded into the weight and
  bias (``g * lrelu(a) == lrelu(g * a)`` for ``g > 0``), cached on the layer and recomputed
  only when a parameter changes (:class:`~guiapp.core.models.stylegan2.fast.DerivedCache`);
- one ``addmm`` and one in-place ``leaky_relu_`` per layer, no autograd;
- w returned once, (N, w_dim), not repeated per layer.

Used only where autograd records nothing (see ``fast_enabled``); otherwise it is the
module's own forward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from guiapp.core.models.stylegan2.fast import derived, fast_enabled
from guiapp.core.models.stylegan2.layers import LRELU_GAIN, FullyConnectedLayer, MappingNetwork


def _normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``normalize_2nd_moment`` with one temporary fewer (the row norms, not ``x^2``)."""
    mean_square = torch.linalg.vector_norm(x, dim=1, keepdim=True).square_().div_(x.shape[1])
    return x * mean_square.add_(eps).rsqrt_()


def folded(layer: FullyConnectedLayer) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(W^T, b)`` with the layer's gains folded in: ``act(x @ W^T + b)`` is its output."""
    gain = LRELU_GAIN if layer.activation == "lrelu" else 1.0
    weight, bias, cache = layer.weight, layer.bias, derived(layer)
    scale = layer.weight_gain * gain
    wt = cache.get("wt_folded", (weight,), (scale,), lambda: (weight * scale).t().contiguous())
    if bias is None:
        return wt, None
    bias_scale = layer.bias_gain * gain
    return wt, cache.get("b_folded", (bias,), (bias_scale,), lambda: bias * bias_scale)


def _layer(layer: FullyConnectedLayer, x: torch.Tensor) -> torch.Tensor:
    wt, b = folded(layer)
    x = x.matmul(wt) if b is None else torch.addmm(b, x, wt)
    if layer.activation == "lrelu":
        return F.leaky_relu_(x, 0.2)
    if layer.activation != "linear":
        raise ValueError(f"unsupported activation {layer.activation!r}")
    return x


def map_w(mapping: MappingNetwork, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
    """(N, z_dim) [+ (N, c_dim) one-hot] -> (N, w_dim) float32: ``mapping(z, c)[:, 0]``."""
    if not fast_enabled(None, z, *mapping.parameters()):
        return mapping(z, c)[:, 0]
    parts = [_normalize_2nd_moment(z.float())] if mapping.z_dim > 0 else []
    if mapping.c_dim > 0:
        if c is None:
            raise ValueError("this generator is conditional: give a class label")
        parts.append(_normalize_2nd_moment(_layer(mapping.embed, c.float())))
    x = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
    for i in range(mapping.num_layers):
        x = _layer(getattr(mapping, f"fc{i}"), x)
    return x
