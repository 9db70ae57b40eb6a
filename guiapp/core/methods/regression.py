"""GANSpace's transfer of activation-space principal components back to the latent z.

Härkönen, Hertzmann, Lehtinen & Paris, "GANSpace: Discovering Interpretable GAN
Controls", NeurIPS 2020.

A fresh, seeded set of latents is projected onto the components, the coordinates are
whitened, and ``z`` is regressed on them by least squares (``z_c ~= C_white @ M``), with
sums streamed batch by batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from guiapp.core.methods.latent_sampling import Tick, feature_batches, latent_batches
from guiapp.core.methods.pca import PCAResult
from guiapp.core.models.base import GeneratorModel


class _RegressionSums:
    """Streaming sums for the least squares ``z - z_mean ~= (c - c_mean) @ M``."""

    def __init__(self, k: int, z_dim: int) -> None:
        self.n = 0
        self.c_sum = np.zeros(k)
        self.z_sum = np.zeros(z_dim)
        self.cc = np.zeros((k, k))
        self.cz = np.zeros((k, z_dim))

    def update(self, coords: np.ndarray, z: np.ndarray) -> None:
        self.n += coords.shape[0]
        self.c_sum += coords.sum(0)
        self.z_sum += z.sum(0)
        self.cc += coords.T @ coords
        self.cz += coords.T @ z

    def solve(self) -> np.ndarray:
        """(K, z_dim) float64 least-squares ``M``."""
        c_mean, z_mean = self.c_sum / self.n, self.z_sum / self.n
        gram = self.cc - self.n * np.outer(c_mean, c_mean)
        cross = self.cz - self.n * np.outer(c_mean, z_mean)
        return np.linalg.lstsq(gram, cross, rcond=None)[0]


def regress_to_latent(
    model: GeneratorModel,
    layer: str,
    pca: PCAResult,
    n: int,
    seed: int | Sequence[int],
    batch_size: int,
    tick: Tick,
) -> np.ndarray:
    """GANSpace's transfer of activation-space components to z.

    Draws ``n`` fresh latents from ``RandomState(seed)``, projects their centred
    activations onto ``pca.components``, whitens the coordinates (divides by the square
    root of each component's variance) and solves ``z_centred ~= C_white @ M`` by least
    squares.

    Returns
    -------
    numpy.ndarray
        (K, z_dim) float64 ``M``; row k moves z so that component k changes by about one
        standard deviation.
    """
    floor = 1e-12 * pca.total_variance
    scale = np.sqrt(np.maximum(pca.variances, floor))
    projection = torch.from_numpy(pca.components.T / scale).float()  # (D, K), whitening
    mean = torch.from_numpy(pca.mean).float()
    sums = _RegressionSums(len(pca.variances), model.z_dim)
    z_batches = latent_batches(seed, n, model.z_dim, batch_size)
    for z, features in feature_batches(model, layer, z_batches, tick, n):
        sums.update(((features - mean) @ projection).double().numpy(), z)
    return sums.solve()
