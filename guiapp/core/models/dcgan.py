"""DCGAN generator (Radford et al. 2016) as in PyTorch's DCGAN face tutorial.

z (100) -> ConvTranspose 4x4 -> [BN, ReLU] -> ... -> ConvTranspose -> tanh, doubling the
resolution at each block. The first block, a transposed convolution of a 1x1 input, is
computed as the matrix product it amounts to (:class:`LatentProjection`). Batch norm uses
its running statistics (inference mode) and is folded into the preceding convolution, so a
batch of images equals each image alone.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from guiapp.core.models import limits
from guiapp.core.models.base import GeneratorModel, ModelLoadError

FORMAT = "guiapp-dcgan"


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
            x = torch.tanh(x) if i == last else torch.relu(x)
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


class DCGANModel(GeneratorModel):
    """Adapter: a single-latent generator whose directions live in z (``num_ws == 1``)."""

    format = FORMAT
    w_dim = None
    num_ws = 1

    def __init__(
        self, tensors: dict[str, torch.Tensor], meta: dict[str, str], name: str, model_id: str
    ) -> None:
        self.name = name
        self.model_id = model_id
        try:
            eps = float(meta.get("bn_eps", "1e-5"))
            n_conv = int(meta["num_blocks"])
            convs, biases = [], []
            for i in range(n_conv):
                w = tensors[f"conv{i}.weight"].float()
                if i < n_conv - 1:
                    w, b = fold_batchnorm(
                        w,
                        *(
                            tensors[f"bn{i}.{p}"].float()
                            for p in ("weight", "bias", "running_mean", "running_var")
                        ),
                        eps,
                    )
                else:
                    b = torch.zeros(w.shape[1])
                convs.append(w)
                biases.append(b)
            self._first_weight = tensors["conv0.weight"].float()
        except (KeyError, ValueError) as exc:
            raise ModelLoadError(f"not a complete DCGAN weights file (missing {exc})") from None
        self.z_dim = int(convs[0].shape[0])
        self.resolution = 4 * 2 ** (n_conv - 1)
        self.feature_layers = tuple(f"block{i}" for i in range(n_conv - 1))
        self.net = DCGANNet(convs, biases).eval()
        self.device = torch.device("cpu")

    def map(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, None, :]

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        return self.net(ws[:, 0, :].to(self.device, torch.float32))

    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        if layer not in self.feature_layers:
            raise ValueError(
                f"unknown layer {layer!r}; this model has {', '.join(self.feature_layers)}"
            )
        x = self.net.blocks(ws[:, 0, :].to(self.device, torch.float32), int(layer[5:]))
        return x.flatten(1)

    def feature_dim(self, layer: str) -> int:
        with torch.no_grad():
            return int(self.features(torch.zeros(1, 1, self.z_dim), layer).shape[1])

    def sefa_weights(self, layers: tuple[int, int] | None = None) -> torch.Tensor:
        # ConvTranspose weight (z_dim, C, 4, 4): output unit (c, y, x) reads z through
        # column [:, c, y, x]; SeFa wants one output unit per row.
        w = self._first_weight
        return w.reshape(w.shape[0], -1).T.contiguous()

    def to(self, device: str | torch.device) -> DCGANModel:
        self.device = torch.device(device)
        self.net.to(self.device)
        self._first_weight = self._first_weight.to(self.device)
        return self


def check_dcgan_meta(meta: dict[str, str]) -> None:
    """Reject a safetensors file that does not describe a DCGAN we can build."""
    try:
        blocks = int(meta["num_blocks"])
    except (KeyError, ValueError):
        raise ModelLoadError("DCGAN weights file has no valid 'num_blocks' metadata") from None
    if not 2 <= blocks <= 10:
        raise ModelLoadError(f"DCGAN weights file has an unsupported block count {blocks}")
    try:
        eps = float(meta.get("bn_eps", "1e-5"))
    except ValueError:
        eps = math.nan
    if not (math.isfinite(eps) and 0 < eps <= 1):
        raise ModelLoadError(f"DCGAN weights file has an unsupported bn_eps {meta['bn_eps']!r}")


def check_dcgan_tensors(tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> None:
    """Every tensor the network needs, nothing else, of the shapes the architecture implies
    (transposed 4x4 convolutions chained by their channels), floating point, finite, and
    non-negative batch-norm variances; checked before anything is built."""
    n = int(meta["num_blocks"])
    bn = ("weight", "bias", "running_mean", "running_var")
    want = {f"conv{i}.weight" for i in range(n)} | {
        f"bn{i}.{p}" for i in range(n - 1) for p in bn
    }
    missing, extra = sorted(want - set(tensors)), sorted(set(tensors) - want)
    if missing or extra:
        parts = [f"{label}: {', '.join(keys[:3])}" for label, keys in
                 (("missing", missing), ("unexpected", extra)) if keys]
        raise ModelLoadError("DCGAN weights do not fit the network (" + "; ".join(parts) + ")")
    for key, t in tensors.items():
        if not t.is_floating_point():
            raise ModelLoadError(f"DCGAN weight {key!r} is {t.dtype}, not floating point")
    prev = None
    for i in range(n):
        shape = tuple(tensors[f"conv{i}.weight"].shape)
        if len(shape) != 4 or shape[2:] != (4, 4) or (prev is not None and shape[0] != prev):
            raise ModelLoadError(f"DCGAN weight 'conv{i}.weight' has shape {shape}, which does "
                                 "not fit a chain of 4x4 transposed convolutions")
        if not (1 <= shape[0] <= limits.MAX_CHANNELS and 1 <= shape[1] <= limits.MAX_CHANNELS):
            raise ModelLoadError(f"DCGAN weight 'conv{i}.weight' has shape {shape}")
        if i < n - 1:
            for p in bn:
                if tuple(tensors[f"bn{i}.{p}"].shape) != (shape[1],):
                    raise ModelLoadError(f"DCGAN weight 'bn{i}.{p}' does not have {shape[1]} "
                                         "values, one per channel")
            if bool((tensors[f"bn{i}.running_var"] < 0).any()):
                raise ModelLoadError(f"DCGAN weight 'bn{i}.running_var' has negative variances")
        prev = shape[1]
    if not 1 <= prev <= limits.MAX_IMG_CHANNELS:
        raise ModelLoadError(f"the DCGAN's last layer gives {prev} image channels")
    limits.check_finite(tensors)
