"""One-pass randomised PCA of streamed activations, memory independent of their number.

Used by GANSpace (Härkönen et al., NeurIPS 2020) where an activation cache would not fit:
BigGAN-deep-512's ``gen_z`` output is 32 768-D, so N = 1 000 000 samples would be 65 GB in
bfloat16 and their covariance 8.6 GB in float64. Here the covariance ``A`` is never formed:
one pass accumulates the sketch ``Y = A @ Omega`` (``Omega``: D x L seeded orthonormal
columns, ``L = k + oversample``) as ``sum_i x_i (x_i^T Omega)`` (two float32 GEMMs per
batch into a float64 sum), with the column sums and squared norms for the mean and total
variance (centring is applied afterwards, exactly). The Nyström approximation
``A ~= Y (Omega^T Y)^+ Y^T`` is then decomposed stably (Tropp, Yurtsever, Udell & Cevher,
"Fixed-Rank Approximation of a Positive-Semidefinite Matrix from Streaming Data", NeurIPS
2017: a small shift, a Cholesky factor, one thin SVD). Memory: ``D x L`` float64 plus one
batch. It is exact when the activations span at most ``L`` dimensions (``gen_z``'s output
is affine in the 128-D z for a fixed class, so ``L >= 129`` recovers it exactly) and a
close approximation of the leading components otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch

from guiapp.core.methods.pca import BASELINE_DIRECTIONS, PCAResult
from guiapp.core.methods.sefa import fix_signs


class SketchAccumulator:
    """Running ``X^T X Omega``, column sums and squared norms of (b, D) float32 batches,
    taken about the first batch's mean (so a large common offset does not cancel)."""

    def __init__(self, dim: int, width: int, seed: int | Sequence[int]) -> None:
        rng = np.random.RandomState(seed)
        self.omega = torch.linalg.qr(torch.from_numpy(rng.randn(dim, width))).Q  # float64
        self._omega32 = self.omega.float()
        self.product = torch.zeros(dim, width, dtype=torch.float64)
        self.column_sum = torch.zeros(dim, dtype=torch.float64)
        self.square_sum = 0.0
        self.shift: torch.Tensor | None = None
        self.n = 0

    def update(self, batch: torch.Tensor) -> None:
        x = batch.to("cpu", torch.float32)
        if x.ndim != 2 or x.shape[1] != self.omega.shape[0]:
            raise ValueError(f"expected (b, {self.omega.shape[0]}) activations, got "
                             f"{tuple(x.shape)}")
        if self.shift is None:
            self.shift = x.mean(0)
        x = x - self.shift
        self.product += (x.T @ (x @ self._omega32)).double()
        self.column_sum += x.sum(0).double()
        self.square_sum += float(torch.linalg.vector_norm(x, dim=1).double().square().sum())
        self.n += x.shape[0]


def _nystrom(sketch: torch.Tensor, omega: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(L,) descending eigenvalues and (D, L) eigenvectors of the Nyström approximation
    ``Y (Omega^T Y)^+ Y^T`` of a PSD matrix from ``Y = A Omega`` (Tropp et al. 2017, Alg. 3)."""
    dim = sketch.shape[0]
    nu = float(np.sqrt(dim) * np.finfo(np.float64).eps * torch.linalg.matrix_norm(sketch, 2))
    nu = max(nu, np.finfo(np.float64).tiny)
    shifted = sketch + nu * omega
    core = omega.T @ shifted
    core = (core + core.T) / 2
    chol, info = torch.linalg.cholesky_ex(core)
    if int(info) != 0:  # numerically indefinite: fall back to an eigen-square-root
        values, vectors = torch.linalg.eigh(core)
        chol = vectors * values.clamp_min(nu).sqrt()
    factor = torch.linalg.solve_triangular(chol, shifted.T, upper=False).T \
        if int(info) == 0 else torch.linalg.lstsq(chol, shifted.T).solution.T
    u, s, _ = torch.linalg.svd(factor, full_matrices=False)
    return (s.square() - nu).clamp_min(0.0), u


def streaming_pca(
    batches: Iterable[torch.Tensor],
    dim: int,
    k: int,
    *,
    oversample: int | None = None,
    seed: int | Sequence[int] = 0,
    tick: Callable[[float, str], None] | None = None,
    n: int | None = None,
) -> PCAResult:
    """Top-``k`` principal components of streamed (b, ``dim``) activations, in one pass.

    Parameters
    ----------
    batches
        (b, dim) float tensors; memory does not depend on how many there are.
    k
        Components to return, at most ``dim``.
    oversample
        Extra sketch columns (None: ``k``); the sketch has ``max(k + oversample,
        BASELINE_DIRECTIONS)`` columns, at most ``dim``.
    seed
        Seeds the sketch's random columns (they also measure the baseline).
    tick
        Called per batch with the fraction done (when ``n`` is given) and a message.

    Returns
    -------
    PCAResult
        ``components`` (k, D) float64 unit rows, deterministic signs; ``variances`` the
        Nyström eigenvalues (the variance along each component, exact when the data span
        at most the sketch's width); ``total_variance`` exact; ``baseline`` the mean ratio
        along the sketch's random orthonormal directions.
    """
    width = min(max(k + (k if oversample is None else oversample), BASELINE_DIRECTIONS), dim)
    if not 1 <= k <= width:
        raise ValueError(f"k={k} must be between 1 and the data's dimension {dim}")
    acc = SketchAccumulator(dim, width, seed)
    report = tick or (lambda fraction, message: None)
    for batch in batches:
        acc.update(batch)
        report(acc.n / n if n else 0.0, f"PCA sketch {acc.n}" + (f"/{n}" if n else ""))
    if acc.n < 2 or k > acc.n - 1:
        raise ValueError(f"k={k} needs more than k samples (got {acc.n})")
    count = acc.n
    mean = acc.column_sum / count
    total = (acc.square_sum - count * float(mean @ mean)) / (count - 1)
    sketch = (acc.product - count * torch.outer(mean, mean @ acc.omega)) / (count - 1)
    baseline = float(torch.einsum("dl,dl->l", acc.omega, sketch).mean()) / total
    values, vectors = _nystrom(sketch, acc.omega)
    assert acc.shift is not None
    return PCAResult(
        components=fix_signs(vectors[:, :k].T.numpy()),
        variances=values[:k].numpy(),
        mean=(acc.shift.double() + mean).numpy(),
        total_variance=float(total),
        baseline=baseline,
        n=count,
    )
