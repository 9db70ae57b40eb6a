"""Adapter: the DCGAN network behind :class:`GeneratorModel` (a single-latent generator:
directions live in z, ``num_ws == 1``, SeFa reads the first transposed convolution)."""

from __future__ import annotations

import torch

from guiapp.core.models.base import GeneratorModel, ModelLoadError
from guiapp.core.models.dcgan.network import DCGANNet, fold_batchnorm

FORMAT = "guiapp-dcgan"


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
        # hook: speed (H10a) channels-last convolutions: 1.5x faster on CPU, same pixels
        self.net = DCGANNet(convs, biases).eval().to(memory_format=torch.channels_last)
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
