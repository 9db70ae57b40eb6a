"""The one generator interface that methods, edits and the renderer use, whatever the file.

Shapes: ``z`` is (N, z_dim); ``ws`` is (N, num_ws, latent_dim) where ``latent_dim`` is
``w_dim`` for style-based models and ``z_dim`` for single-latent generators (which have
``num_ws == 1`` and edit ``z`` directly); images are (N, 3, H, W) floats in [-1, 1].
"""

from __future__ import annotations

import abc

import numpy as np
import torch

from guiapp.core.errors import ModelLoadError
from guiapp.core.types import ModelInfo

__all__ = ["GeneratorModel", "ModelInfo", "ModelLoadError", "seeded_z"]


def seeded_z(seed: int, n: int, z_dim: int) -> np.ndarray:
    """Latents for ``seed``: ``RandomState(seed).randn(n, z_dim)`` (NVIDIA's and GANSpace's
    convention, so a seed means the same image everywhere). float64, (n, z_dim)."""
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in 0..{2**32 - 1}, not {seed}")
    return np.random.RandomState(seed).randn(n, z_dim)


class GeneratorModel(abc.ABC):
    """A pretrained generator, ready for inference on ``device``.

    Subclasses set ``name``, ``format``, ``model_id`` (sha256 of the weights file),
    ``z_dim``, ``w_dim``, ``num_ws``, ``resolution`` and ``feature_layers``.
    """

    name: str
    format: str
    model_id: str
    z_dim: int
    w_dim: int | None
    num_ws: int
    resolution: int
    feature_layers: tuple[str, ...]
    device: torch.device = torch.device("cpu")
    c_dim: int = 0
    """Number of classes of a conditional generator (0: unconditional)."""
    default_truncation: tuple[float, int | None] = (1.0, None)  # hook: stylegan1
    """``(psi, cutoff)`` the family's own tools draw with when the user sets none (StyleGAN
    (v1): 0.7 on the first 8 layers); ``guiapp-cli render`` starts there."""

    @property
    def latent_space(self) -> str:
        """Where directions live: ``"w"`` with a mapping network, else ``"z"``."""
        return "z" if self.w_dim is None else "w"

    @property
    def latent_dim(self) -> int:
        return self.z_dim if self.w_dim is None else self.w_dim

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(
            self.name,
            self.format,
            self.resolution,
            self.z_dim,
            self.w_dim,
            self.num_ws,
            self.model_id,
            self.c_dim,
            tuple(self.class_names),  # hook: biggan
        )

    def sample_z(self, n: int, seed: int) -> np.ndarray:
        """(n, z_dim) float64 latents drawn from ``RandomState(seed)``."""
        return seeded_z(seed, n, self.z_dim)

    @property
    def w_avg(self) -> torch.Tensor:
        """(latent_dim,) the centre truncation pulls towards (zeros for z)."""
        return torch.zeros(self.latent_dim, device=self.device)

    @abc.abstractmethod
    def map(self, z: torch.Tensor) -> torch.Tensor:
        """(N, z_dim) -> (N, num_ws, latent_dim), before truncation."""

    def map_for_class(self, z: torch.Tensor, class_index: int | None = None) -> torch.Tensor:
        """:meth:`map` for class ``class_index`` of a conditional generator (None: the
        model's current class); unconditional generators accept only None and 0."""
        if class_index not in (None, 0):
            raise ValueError("this generator is not conditional: it has no classes")
        return self.map(z)

    def map_w(self, z: torch.Tensor) -> torch.Tensor:
        """(N, z_dim) -> (N, latent_dim): one latent per sample (``map(z)[:, 0]``), for
        samplers of many; families with a cheaper path override it."""
        return self.map(z)[:, 0, :]

    # -- classes: conditional generators override these -----------------------------
    class_names: tuple[str, ...] = ()
    """Names of the ``c_dim`` classes, in index order (empty: shown as numbers)."""

    @property
    def class_index(self) -> int:
        """The class :meth:`map` draws (0 .. c_dim - 1); always 0 when unconditional."""
        return 0

    @class_index.setter
    def class_index(self, value: int) -> None:
        if value != 0:
            raise ValueError("this generator is not conditional: it has no classes")

    # -- previews: families with cheaper lower-resolution images override these -------
    def preview_resolutions(self) -> tuple[int, ...]:
        """Resolutions :meth:`synthesize_preview` can stop at, ascending (just the full one
        when the network has no cheaper stop)."""
        return (self.resolution,)

    def synthesize_preview(
        self, ws: torch.Tensor, max_resolution: int, noise_mode: str = "const"
    ) -> torch.Tensor:
        """(N, num_ws, latent_dim) -> (N, 3, r, r), the largest preview resolution
        ``r <= max_resolution`` (by default the full image)."""
        return self.synthesize(ws, noise_mode)

    def prepare_previews(self) -> None:  # hook: pggan-preview
        """Do once, right after loading and off the GUI thread, what the first
        :meth:`synthesize_preview` would otherwise pay during a drag (PGGAN fits its
        read-outs); by default nothing."""
        return None

    def noise_shapes(self) -> tuple[tuple[int, int], ...]:  # hook: photo-noise
        """Shapes of the noise maps :meth:`synthesize` accepts as ``noise=`` (a projected
        photo's own, in place of the file's fixed noise); empty: the model takes none."""
        return ()

    @abc.abstractmethod
    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """(N, num_ws, latent_dim) -> (N, 3, H, W) images in [-1, 1]."""

    @abc.abstractmethod
    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        """(N, num_ws, latent_dim) -> (N, F) activations of ``layer`` (one of
        ``feature_layers``), flattened."""

    @abc.abstractmethod
    def sefa_weights(self, layers: tuple[int, int] | None = None) -> torch.Tensor:
        """(M, latent_dim) the weights that read the latent, one output unit per row.

        ``layers`` is a half-open range of w indices for style-based models; single-latent
        generators ignore it (their first layer is the only reader of z).
        """

    @abc.abstractmethod
    def to(self, device: str | torch.device) -> GeneratorModel:
        """Move to ``device`` and return self."""

    def truncate(self, ws: torch.Tensor, psi: float, cutoff: int | None = None) -> torch.Tensor:
        """Pull ``ws`` towards ``w_avg``, ``w_avg + psi * (ws - w_avg)``, on the per-layer
        latents ``[0, cutoff)`` (all when None)."""
        if cutoff is not None and cutoff < 0:
            raise ValueError(f"truncation cutoff must be >= 0, not {cutoff}")
        if psi == 1.0 or cutoff == 0:
            return ws
        avg = self.w_avg.to(ws.device, ws.dtype)
        if cutoff is None or cutoff >= ws.shape[1]:
            return avg + psi * (ws - avg)
        out = ws.clone()
        out[:, :cutoff] = avg + psi * (ws[:, :cutoff] - avg)
        return out
