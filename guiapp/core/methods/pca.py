"""Principal components: the result type and exact PCA from streamed batches.

Used by GANSpace (Härkönen, Hertzmann, Lehtinen & Paris, "GANSpace: Discovering
Interpretable GAN Controls", NeurIPS 2020) for style-based models, whose ``w`` is small
enough for an exact covariance: :func:`exact_pca_streaming` accumulates the mean and
covariance in float64 batch by batch (memory independent of the number of samples) and
calls ``eigh`` at the end. Scores are explained-variance ratios; the baseline is the mean
ratio along seeded random unit directions (about ``1 / D``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from guiapp.core.methods.sefa import fix_signs

BASELINE_DIRECTIONS = 64
"""Random unit directions averaged for the baseline ratio."""


@dataclass(frozen=True)
class PCAResult:
    """Principal components of N samples of dimension D.

    ``components`` (K, D) float64 unit rows, by decreasing variance; ``variances`` (K,)
    the variance along each; ``mean`` (D,); ``total_variance`` the trace of the
    covariance; ``baseline`` the mean variance ratio along random unit directions.
    """

    components: np.ndarray
    variances: np.ndarray
    mean: np.ndarray
    total_variance: float
    baseline: float
    n: int

    @property
    def ratios(self) -> np.ndarray:
        """(K,) explained-variance ratios: ``variances / total_variance``."""
        return self.variances / self.total_variance


class MomentAccumulator:
    """Running mean and covariance of (b, D) batches, in float64, memory O(D^2).

    Sums are taken about a shift (the first batch's mean) so that a large common offset
    does not cancel catastrophically.
    """

    def __init__(self) -> None:
        self.n = 0
        self._shift: torch.Tensor | None = None
        self._sum: torch.Tensor | None = None
        self._outer: torch.Tensor | None = None

    def update(self, batch: np.ndarray | torch.Tensor) -> None:
        x = torch.as_tensor(batch).to("cpu", torch.float64)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"expected a non-empty (b, D) batch, got shape {tuple(x.shape)}")
        if self._shift is None:
            dim = x.shape[1]
            self._shift = x.mean(0)
            self._sum = torch.zeros(dim, dtype=torch.float64)
            self._outer = torch.zeros(dim, dim, dtype=torch.float64)
        assert self._sum is not None and self._outer is not None
        x = x - self._shift
        self._sum += x.sum(0)
        self._outer += x.T @ x
        self.n += x.shape[0]

    def mean(self) -> np.ndarray:
        """(D,) float64."""
        self._require(1)
        assert self._shift is not None and self._sum is not None
        return (self._shift + self._sum / self.n).numpy()

    def covariance(self) -> np.ndarray:
        """(D, D) float64 unbiased sample covariance."""
        self._require(2)
        assert self._sum is not None and self._outer is not None
        centred_sum = self._sum / self.n
        cov = (self._outer - self.n * torch.outer(centred_sum, centred_sum)) / (self.n - 1)
        return ((cov + cov.T) / 2).numpy()

    def _require(self, n: int) -> None:
        if self.n < n:
            raise ValueError(f"PCA needs at least {n} samples, got {self.n}")


def random_unit_vectors(dim: int, count: int, seed: int | Sequence[int]) -> np.ndarray:
    """(count, dim) float64 seeded random unit vectors (uniform on the sphere)."""
    vectors = np.random.RandomState(seed).randn(count, dim)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_pca_streaming(
    batches: Iterable[np.ndarray | torch.Tensor],
    k: int,
    *,
    seed: int | Sequence[int] = 0,
    baseline_directions: int = BASELINE_DIRECTIONS,
) -> PCAResult:
    """Exact PCA from streamed batches: float64 moments, ``eigh`` at the end.

    Parameters
    ----------
    batches
        (b, D) arrays or tensors; memory use does not depend on how many there are.
    k
        Number of components to return (at most D).
    seed
        Seeds the ``baseline_directions`` random unit vectors of the baseline.

    Returns
    -------
    PCAResult
        ``components`` (k, D) with deterministic signs (largest-magnitude entry positive).
    """
    moments = MomentAccumulator()
    for batch in batches:
        moments.update(batch)
    cov = moments.covariance()
    dim = cov.shape[0]
    if not 1 <= k <= dim:
        raise ValueError(f"k={k} must be between 1 and the data's dimension {dim}")
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues, kind="stable")[::-1][:k]
    total = float(np.trace(cov))
    probes = random_unit_vectors(dim, baseline_directions, seed)
    baseline = float(np.mean(np.einsum("id,de,ie->i", probes, cov, probes))) / total
    return PCAResult(
        components=fix_signs(eigenvectors[:, order].T),
        variances=np.maximum(eigenvalues[order], 0.0),
        mean=moments.mean(),
        total_variance=total,
        baseline=baseline,
        n=moments.n,
    )
