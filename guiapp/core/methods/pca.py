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


GRAM_CHUNK = 4096
"""Float32 rows gathered before one product (longer products run closer to peak)."""
GRAM_BLOCK = 128
"""Column block of the products: only the upper block triangle of ``x^T x`` is computed
(5/8 of the work at D = 512; torch has no ``syrk``)."""


def add_upper_gram(outer: torch.Tensor, x: torch.Tensor) -> None:
    """``outer``'s upper block triangle (blocks of :data:`GRAM_BLOCK`) += ``x^T x``."""
    dim = x.shape[1]
    for lo in range(0, dim, GRAM_BLOCK):
        hi = min(lo + GRAM_BLOCK, dim)
        outer[lo:hi, lo:] += x[:, lo:hi].T @ x[:, lo:]


def mirror_upper_blocks(outer: torch.Tensor) -> torch.Tensor:
    """The symmetric matrix whose upper block triangle is ``outer``'s."""
    full = outer.clone()
    for lo in range(0, outer.shape[0], GRAM_BLOCK):
        hi = min(lo + GRAM_BLOCK, outer.shape[0])
        full[hi:, lo:hi] = outer[lo:hi, hi:].T
    return full


class MomentAccumulator:
    """Running mean and covariance of (b, D) batches, in float64, memory O(D^2).

    Sums are taken about a shift (the first batch's mean, rounded to float32 so that it is
    exact in either precision) so that a large common offset does not cancel
    catastrophically. Float32 batches (sampled w) are centred in float32 into a buffer of
    :data:`GRAM_CHUNK` rows whose ``x^T x`` is a float32 product added into the float64
    sums: over twice as fast as float64 products, and as accurate as the w
    themselves (relative errors about 1e-7 on a config-f mapping's w, each product summing
    one chunk of centred rows). Float64 batches stay float64.
    """

    def __init__(self) -> None:
        self.n = 0
        self._shift: torch.Tensor | None = None
        self._sum: torch.Tensor | None = None
        self._outer: torch.Tensor | None = None
        self._chunk: torch.Tensor | None = None
        self._filled = 0

    def update(self, batch: np.ndarray | torch.Tensor) -> None:
        x = torch.as_tensor(batch).to("cpu")
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"expected a non-empty (b, D) batch, got shape {tuple(x.shape)}")
        if self._shift is None:
            dim = x.shape[1]
            self._shift = x.double().mean(0).float().double()
            self._sum = torch.zeros(dim, dtype=torch.float64)
            self._outer = torch.zeros(dim, dim, dtype=torch.float64)
        if x.dtype == torch.float32:
            self._gather(x)
        else:
            self._add(x.double() - self._shift)
        self.n += x.shape[0]

    def _gather(self, x: torch.Tensor) -> None:
        assert self._shift is not None
        if self._chunk is None:
            self._chunk = torch.empty(GRAM_CHUNK, x.shape[1])
        shift = self._shift.float()
        start = 0
        while start < len(x):
            take = min(len(x) - start, GRAM_CHUNK - self._filled)
            out = self._chunk[self._filled : self._filled + take]
            torch.sub(x[start : start + take], shift, out=out)
            self._filled += take
            start += take
            if self._filled == GRAM_CHUNK:
                self._flush()

    def _flush(self) -> None:
        if self._filled:
            assert self._chunk is not None
            self._add(self._chunk[: self._filled])
            self._filled = 0

    def _add(self, centred: torch.Tensor) -> None:
        assert self._sum is not None and self._outer is not None
        self._sum += centred.sum(0)  # in float32 for float32 rows: dtype=float64 is 10x slower
        add_upper_gram(self._outer, centred)

    def mean(self) -> np.ndarray:
        """(D,) float64."""
        self._require(1)
        self._flush()
        assert self._shift is not None and self._sum is not None
        return (self._shift + self._sum / self.n).numpy()

    def covariance(self) -> np.ndarray:
        """(D, D) float64 unbiased sample covariance."""
        self._require(2)
        self._flush()
        assert self._sum is not None and self._outer is not None
        centred_sum = self._sum / self.n
        outer = mirror_upper_blocks(self._outer)
        cov = (outer - self.n * torch.outer(centred_sum, centred_sum)) / (self.n - 1)
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
