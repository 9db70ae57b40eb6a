"""Small synthetic generators with planted structure, for testing discovery methods.

- :class:`LinearFeatureGenerator`: a single-latent generator whose activations are
  ``z @ B + offset`` (plus an optional small non-linear wobble), with
  ``B = U diag(s) V^T``. Its activation covariance is ``V diag(s^2) V^T``, so the planted
  principal components are the columns of ``V`` with variances ``s^2``, and GANSpace's
  regression back to z should find the columns of ``U``.
- :class:`LinearStyleGenerator`: a style-based generator with ``w = z @ A + b`` repeated
  over ``num_ws`` layers and a separate style affine per layer for SeFa.
"""

from __future__ import annotations

import numpy as np
import torch

from guiapp.core.models.base import GeneratorModel


def orthonormal_columns(rows: int, cols: int, seed: int) -> np.ndarray:
    """(rows, cols) float64 with orthonormal columns, seeded."""
    q, _ = np.linalg.qr(np.random.RandomState(seed).randn(rows, cols))
    return q


class _Base(GeneratorModel):
    format = "synthetic"
    resolution = 4

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        flat = ws[:, 0, :].float()
        image = torch.tanh(flat @ self._to_image)
        return image.reshape(-1, 3, 4, 4)

    def to(self, device: str | torch.device) -> _Base:
        self.device = torch.device(device)
        return self


class LinearFeatureGenerator(_Base):
    """Single latent; ``features(z) = z @ B + offset + wobble * tanh(z @ R)``."""

    w_dim = None
    num_ws = 1
    feature_layers = ("linear",)

    def __init__(
        self,
        singular_values: tuple[float, ...] = (6.0, 4.5, 3.5, 2.7, 2.0, 1.5, 1.1, 0.8),
        feature_dim: int = 40,
        wobble: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.name = "synthetic-linear"
        self.model_id = f"synthetic-linear-{seed}"
        self.z_dim = len(singular_values)
        self.s = np.asarray(singular_values, dtype=np.float64)
        self.u = orthonormal_columns(self.z_dim, self.z_dim, seed)  # planted z-directions
        self.v = orthonormal_columns(feature_dim, self.z_dim, seed + 1)  # planted PCs
        rng = np.random.RandomState(seed + 2)
        self.b = self.u @ np.diag(self.s) @ self.v.T  # (z_dim, D)
        self.offset = 3.0 + rng.randn(feature_dim)
        self.wobble = wobble
        self._b = torch.from_numpy(self.b).float()
        self._offset = torch.from_numpy(self.offset).float()
        self._r = torch.from_numpy(rng.randn(self.z_dim, feature_dim)).float()
        self._to_image = torch.from_numpy(rng.randn(self.z_dim, 48) / 4).float()

    def map(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, None, :]

    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        if layer not in self.feature_layers:
            raise ValueError(f"unknown layer {layer!r}")
        z = ws[:, 0, :].float()
        out = z @ self._b + self._offset
        if self.wobble:
            out = out + self.wobble * torch.tanh(z @ self._r)
        return out

    def sefa_weights(self, layers: tuple[int, int] | None = None) -> torch.Tensor:
        return self._b.T.contiguous()


class LinearStyleGenerator(_Base):
    """Style-based: ``w = z @ A + b`` on every layer; layer ``l`` reads w through
    ``styles[l]`` (rows, w_dim)."""

    feature_layers = ("w",)

    def __init__(
        self, z_dim: int = 12, w_dim: int = 10, num_ws: int = 4, rows: int = 6, seed: int = 0
    ) -> None:
        rng = np.random.RandomState(seed)
        self.name = "synthetic-style"
        self.model_id = f"synthetic-style-{seed}"
        self.z_dim, self.w_dim, self.num_ws = z_dim, w_dim, num_ws
        self.a = rng.randn(z_dim, w_dim) * np.linspace(2.0, 0.3, w_dim)
        self.bias = 5.0 + rng.randn(w_dim)
        self.styles = [rng.randn(rows, w_dim) for _ in range(num_ws)]
        self._a = torch.from_numpy(self.a).float()
        self._bias = torch.from_numpy(self.bias).float()
        self._to_image = torch.from_numpy(rng.randn(w_dim, 48) / 4).float()

    def map(self, z: torch.Tensor) -> torch.Tensor:
        w = z.float() @ self._a + self._bias
        return w[:, None, :].expand(-1, self.num_ws, -1)

    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        return ws[:, 0, :].float()

    def sefa_weights(self, layers: tuple[int, int] | None = None) -> torch.Tensor:
        start, stop = layers if layers is not None else (0, self.num_ws)
        return torch.from_numpy(np.vstack(self.styles[start:stop])).float()
