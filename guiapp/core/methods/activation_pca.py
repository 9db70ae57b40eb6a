"""Randomised PCA of many activations, kept in a bfloat16 cache.

Used by GANSpace (Härkönen, Hertzmann, Lehtinen & Paris, "GANSpace: Discovering
Interpretable GAN Controls", NeurIPS 2020) for single-latent generators, whose early
activations are too wide for an exact covariance. The activations are kept in a
preallocated bfloat16 cache (N x D x 2 bytes, 1.6 GB for N = 100 000 and D = 8192) and
decomposed by :func:`randomized_pca`: block subspace iteration from a seeded random start
(a randomised range finder with power iterations), mean-centring done implicitly, QR
re-orthonormalisation between passes, float32 GEMMs over row chunks of the cache, and a
final Rayleigh-Ritz step, so that each score is exactly the variance along its returned
direction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from guiapp.core.methods.pca import BASELINE_DIRECTIONS, PCAResult
from guiapp.core.methods.sefa import fix_signs

MAX_CACHE_BYTES = 8 * 2**30
"""Refuse an activation cache larger than this (samples x feature size x 2 bytes)."""


@dataclass(frozen=True)
class ActivationCache:
    """N activations stored as bfloat16 ``data`` (N, D) = activation - ``shift`` (D,)."""

    data: torch.Tensor
    shift: torch.Tensor

    @property
    def n(self) -> int:
        return int(self.data.shape[0])

    @property
    def dim(self) -> int:
        return int(self.data.shape[1])


def cache_activations(batches: Iterable[torch.Tensor], n: int) -> ActivationCache:
    """Store ``n`` activations, streamed as (b, D) float32 batches, in a bfloat16 cache.

    The first batch's mean is subtracted from every row before rounding, so the cache
    holds roughly centred values (better relative precision, no cancellation later).
    """
    data: torch.Tensor | None = None
    shift = buffer = torch.zeros(0)
    filled = 0
    for batch in batches:
        rows = batch.shape[0]
        if data is None:
            dim = batch.shape[1]
            _check_cache_size(n, dim)
            data = torch.empty((n, dim), dtype=torch.bfloat16)
            shift = batch.mean(0)
            buffer = torch.empty_like(batch)
        if filled + rows > n or rows > buffer.shape[0]:
            raise ValueError(
                f"expected {n} activations in batches of at most {buffer.shape[0]}, got more"
            )
        centred = torch.sub(batch, shift, out=buffer[:rows])
        data[filled : filled + rows].copy_(centred)
        filled += rows
    if data is None or filled != n:
        raise ValueError(f"expected {n} activations, got {filled}")
    return ActivationCache(data, shift)


def _check_cache_size(n: int, dim: int) -> None:
    size = n * dim * 2
    if size > MAX_CACHE_BYTES:
        raise ValueError(
            f"{n} samples of {dim} activations need {size / 2**30:.1f} GiB; use fewer "
            f"samples (at most {MAX_CACHE_BYTES // (2 * dim)}) or an earlier layer"
        )


class _CachePass:
    """One pass over the cache computing ``X^T X V`` (uncentred), chunk by chunk.

    ``X`` is the cache (N, D) and ``V`` (D, L). With ``moments=True`` the pass also sums
    the columns and squared row norms of ``X``, which give the mean and total variance.
    """

    def __init__(self, cache: ActivationCache, chunk: int) -> None:
        self.cache = cache
        self.chunk = min(chunk, cache.n)
        self._buffer = torch.empty((self.chunk, cache.dim), dtype=torch.float32)

    def run(
        self, basis: torch.Tensor, tick: Callable[[float], None], moments: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, float]:
        """Return ``(X^T X V, column sums, sum of squares)`` as float64 (sums zero unless
        ``moments``)."""
        n, dim = self.cache.n, self.cache.dim
        basis32 = basis.to(torch.float32)
        product = torch.zeros((dim, basis.shape[1]), dtype=torch.float64)
        column_sum = torch.zeros(dim, dtype=torch.float64)
        square_sum = 0.0
        for start in range(0, n, self.chunk):
            tick(start / n)
            rows = min(self.chunk, n - start)
            x = self._buffer[:rows]
            x.copy_(self.cache.data[start : start + rows])
            product += (x.T @ (x @ basis32)).double()
            if moments:
                column_sum += x.sum(0).double()
                square_sum += float(torch.linalg.vector_norm(x, dim=1).double().square().sum())
        tick(1.0)
        return product, column_sum, square_sum


def randomized_pca(
    cache: ActivationCache,
    k: int,
    *,
    oversample: int | None = None,
    iterations: int = 5,
    seed: int | Sequence[int] = 0,
    chunk: int = 4096,
    tick: Callable[[float, str], None] | None = None,
) -> PCAResult:
    """Top-``k`` principal components of the cached activations by subspace iteration.

    Parameters
    ----------
    cache
        (N, D) activations (see :func:`cache_activations`).
    k
        Number of components, at most ``min(D, N - 1)``.
    oversample
        Extra columns in the iterated subspace (None: ``k``); more is more accurate for
        the last components at a proportional cost.
    iterations
        Passes over the cache (each one GEMM pair per chunk); the first pass starts from a
        seeded random orthonormal basis.
    seed
        Seeds the random start: ``max(k + oversample, 64)`` random orthonormal columns
        (at most D); the variance along them gives the baseline.
    chunk
        Rows per float32 GEMM (memory: ``chunk * D * 4`` bytes).
    tick
        Called per chunk with the fraction done (0..1) and a message.

    Returns
    -------
    PCAResult
        ``components`` (k, D) float64 unit rows with deterministic signs; ``variances`` are
        the Rayleigh quotients ``v^T C v`` of the returned vectors (C: the covariance of the
        cached data); ``mean`` is in the original (unshifted) units.
    """
    n, dim = cache.n, cache.dim
    if not 1 <= k <= min(dim, n - 1):
        raise ValueError(f"k={k} must be between 1 and {min(dim, n - 1)} for this data")
    width = min(k + (k if oversample is None else oversample), dim)
    report = tick or (lambda fraction, message: None)
    rng = np.random.RandomState(seed)
    # The first pass also measures the baseline along at least BASELINE_DIRECTIONS random
    # orthonormal directions; the iteration then keeps the first ``width`` columns.
    start_width = min(max(width, BASELINE_DIRECTIONS), dim)
    basis = torch.linalg.qr(torch.from_numpy(rng.randn(dim, start_width))).Q
    cache_pass = _CachePass(cache, chunk)
    mean = torch.zeros(dim, dtype=torch.float64)
    total = baseline = 0.0
    product = torch.zeros(0)
    for it in range(iterations):
        if it > 0:
            basis = torch.linalg.qr(product).Q

        def chunk_tick(fraction: float, it: int = it) -> None:
            report((it + fraction) / iterations, f"PCA pass {it + 1}/{iterations}")

        product, column_sum, square_sum = cache_pass.run(basis, chunk_tick, moments=it == 0)
        if it == 0:
            mean = column_sum / n
            total = (square_sum - n * float(mean @ mean)) / (n - 1)
        # Implicit centring: (X - 1 m^T)^T (X - 1 m^T) V = X^T X V - n m (m^T V).
        product = (product - n * torch.outer(mean, mean @ basis)) / (n - 1)
        if it == 0:
            baseline = float(torch.einsum("dl,dl->l", basis, product).mean()) / total
            basis, product = basis[:, :width], product[:, :width]
    variances, vectors = _rayleigh_ritz(basis, product)
    return PCAResult(
        components=fix_signs(vectors[:, :k].T.numpy()),
        variances=np.maximum(variances[:k].numpy(), 0.0),
        mean=(cache.shift.double() + mean).numpy(),
        total_variance=float(total),
        baseline=baseline,
        n=n,
    )


def _rayleigh_ritz(basis: torch.Tensor, product: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenpairs of ``C`` restricted to span(``basis``), given ``product = C @ basis``.

    Returns (L,) descending Rayleigh quotients and (D, L) unit Ritz vectors.
    """
    projected = basis.T @ product
    projected = (projected + projected.T) / 2
    values, rotation = torch.linalg.eigh(projected)
    order = torch.argsort(values, descending=True, stable=True)
    return values[order], basis @ rotation[:, order]
