"""GANSpace: principal components of a generator's latents or early activations.

Härkönen, Hertzmann, Lehtinen & Paris, "GANSpace: Discovering Interpretable GAN
Controls", NeurIPS 2020.

Two estimators, picked by the model:

- Style-based models (``model.w_dim`` is not None): exact PCA of sampled ``w``
  (:func:`exact_pca_streaming`): mean and covariance accumulated in float64 batch by
  batch (memory independent of the number of samples), ``eigh`` at the end. The
  directions live in ``w``; a slider unit is one standard deviation of the projections.
- Single-latent generators: PCA of the activations of an early layer (default: the first
  of ``model.feature_layers``), then GANSpace's regression back to ``z``. The activations
  are kept in a preallocated bfloat16 cache (N x D x 2 bytes, 1.6 GB for N = 100 000 and
  D = 8192) and decomposed by :func:`randomized_pca`: block subspace iteration from a
  seeded random start (a randomised range finder with power iterations), mean-centring
  done implicitly, QR re-orthonormalisation between passes, float32 GEMMs over row
  chunks of the cache, and a final Rayleigh-Ritz step, so that each score is exactly the
  variance along its returned direction. A fresh, seeded set of latents is then projected
  onto the components, the coordinates are whitened, and ``z`` is regressed on them by
  least squares (``z_c ~= C_white @ M``); direction ``k`` is ``M_k / |M_k|`` with
  ``unit_scale = |M_k|``, so one slider unit moves that component by about one standard
  deviation.

Scores are explained-variance ratios (variance along the direction / trace of the
covariance); the plot's baseline is the mean ratio along random unit directions
(about ``1 / D``). All randomness is seeded: latents for PCA come from
``RandomState(seed)`` drawn batch after batch (so sample ``i`` is
``model.sample_z(samples, seed)[i]``), regression latents from ``RandomState([seed, 1])``
and the random start and baseline directions from ``RandomState([seed, 2])``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from guiapp.core.methods.sefa import fix_signs
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.core.types import Direction, DirectionSet, LayerRange

METHOD = "ganspace"
DEFAULT_K = 50
MAX_CACHE_BYTES = 8 * 2**30
"""Refuse an activation cache larger than this (samples x feature size x 2 bytes)."""
BASELINE_DIRECTIONS = 64
"""Random unit directions averaged for the baseline ratio."""

Tick = Callable[[float, str], None]
"""``tick(fraction_of_this_stage, message)``: report progress and raise when cancelled."""

# Random streams, all derived from Params.seed (see the module docstring).
REGRESSION_STREAM = 1
PCA_START_STREAM = 2


@dataclass(frozen=True)
class Params:
    """GANSpace settings.

    ``k``: number of components (None: 50, at most the data's dimension). ``samples``:
    latents sampled for the PCA. ``seed``: seeds every random stream. ``layer``: the
    activation layer of a single-latent generator (None: ``model.feature_layers[0]``).
    ``layers``: default edit layers given to the directions of a style-based model (None:
    all). ``regression_samples``: fresh latents for the regression back to z.
    ``batch_size``: latents per forward pass. ``oversample`` and ``iterations``: the
    randomised PCA works in a subspace of ``k + oversample`` columns (None: ``k``) and
    makes ``iterations`` passes over the cached activations.
    """

    k: int | None = None
    samples: int = 100_000
    seed: int = 0
    layer: str | None = None
    layers: LayerRange | None = None
    regression_samples: int = 10_000
    batch_size: int = 500
    oversample: int | None = None
    iterations: int = 5

    def __post_init__(self) -> None:
        _at_least("k", self.k, 1)
        _at_least("samples", self.samples, 2)
        _at_least("regression_samples", self.regression_samples, 2)
        _at_least("batch_size", self.batch_size, 1)
        _at_least("oversample", self.oversample, 0)
        _at_least("iterations", self.iterations, 1)
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be in 0..{2**32 - 1}, not {self.seed}")


def _at_least(name: str, value: int | None, low: int) -> None:
    if value is not None and value < low:
        raise ValueError(f"{name} must be at least {low}, not {value}")


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


# -- sampling -------------------------------------------------------------------------------


def latent_batches(
    seed: int | Sequence[int], n: int, z_dim: int, batch_size: int
) -> Iterator[np.ndarray]:
    """Yield (b, z_dim) float64 latents, ``n`` in all, drawn in turn from ONE
    ``RandomState(seed)``; concatenated they equal ``RandomState(seed).randn(n, z_dim)``."""
    rng = np.random.RandomState(seed)
    for start in range(0, n, batch_size):
        yield rng.randn(min(batch_size, n - start), z_dim)


def _latents_to_torch(model: GeneratorModel, z: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(z).to(model.device, torch.float32)


def w_batches(
    model: GeneratorModel, z_batches: Iterable[np.ndarray], tick: Tick, n: int
) -> Iterator[torch.Tensor]:
    """Yield (b, w_dim) float32 CPU tensors ``model.map(z)[:, 0]`` (before truncation)."""
    done = 0
    for z in z_batches:
        tick(done / n, f"sampling w {done}/{n}")
        yield model.map(_latents_to_torch(model, z))[:, 0, :].float().cpu()
        done += z.shape[0]
    tick(1.0, f"sampling w {n}/{n}")


def feature_batches(
    model: GeneratorModel, layer: str, z_batches: Iterable[np.ndarray], tick: Tick, n: int
) -> Iterator[tuple[np.ndarray, torch.Tensor]]:
    """Yield ``(z, features)``: (b, z_dim) latents and (b, D) float32 CPU activations."""
    done = 0
    for z in z_batches:
        tick(done / n, f"sampling activations {done}/{n}")
        ws = model.map(_latents_to_torch(model, z))
        yield z, model.features(ws, layer).float().cpu()
        done += z.shape[0]
    tick(1.0, f"sampling activations {n}/{n}")


# -- exact streaming PCA (style-based models) ---------------------------------------------------


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


# -- randomised PCA over an activation cache (single-latent generators) ------------------------


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
    tick: Tick | None = None,
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


# -- regression back to z ----------------------------------------------------------------------


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


# -- the method ---------------------------------------------------------------------------------


def discover(
    model: GeneratorModel,
    params: Params | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    on_partial: Callable[[Any], None] | None = None,
) -> DirectionSet:
    """Find GANSpace directions of ``model``.

    Parameters
    ----------
    model
        A style-based generator (PCA in w) or a single-latent one (PCA of
        ``model.features(ws, layer)``, regressed to z).
    params
        :class:`Params`; None: the defaults.
    progress, cancel
        Progress sink and cancel token, checked once per batch or chunk.
    on_partial
        Called once, when the PCA is done and before the regression, with the plot dict
        (``{"kind": "explained_variance", "values": [...], "baseline": b}``).

    Returns
    -------
    DirectionSet
        ``method="ganspace"`` in the model's latent space, ``k`` unit directions with
        ``score`` = explained-variance ratio and ``unit_scale`` = one standard deviation
        of the component in latent units.

    Raises
    ------
    ValueError
        For a layer the model does not have, ``k`` larger than the data allows, or layers
        outside the model. :class:`~guiapp.core.progress.Cancelled` when cancelled.
    """
    params = params or Params()
    checkpoint = Checkpoint(progress, cancel)
    if params.layers is not None:
        params.layers.check(model.num_ws)
    with torch.inference_mode():
        if model.w_dim is not None:
            return _discover_in_w(model, params, checkpoint, on_partial)
        return _discover_in_z(model, params, checkpoint, on_partial)


def _stage(checkpoint: Checkpoint, start: float, stop: float, prefix: str) -> Tick:
    """A tick mapping a stage's 0..1 onto ``[start, stop]`` of the whole job."""

    def tick(fraction: float, message: str) -> None:
        checkpoint(min(start + (stop - start) * fraction, stop), f"{prefix}: {message}")

    return tick


def _discover_in_w(
    model: GeneratorModel,
    params: Params,
    checkpoint: Checkpoint,
    on_partial: Callable[[Any], None] | None,
) -> DirectionSet:
    k = DEFAULT_K if params.k is None else params.k
    assert model.w_dim is not None
    if k > model.w_dim:
        raise ValueError(f"k={k} is more than w's {model.w_dim} dimensions")
    tick = _stage(checkpoint, 0.0, 0.95, "GANSpace")
    z_batches = latent_batches(params.seed, params.samples, model.z_dim, params.batch_size)
    pca = exact_pca_streaming(
        w_batches(model, z_batches, tick, params.samples),
        k,
        seed=[params.seed, PCA_START_STREAM],
    )
    plot = _plot(pca)
    if on_partial is not None:
        on_partial(plot)
    layers = params.layers if model.num_ws > 1 else None
    directions = tuple(
        Direction(
            vector=pca.components[i].astype(np.float32),
            score=float(pca.ratios[i]),
            unit_scale=float(np.sqrt(pca.variances[i])),
            default_layers=layers,
        )
        for i in range(k)
    )
    result = _direction_set(model, params, directions, plot, k, estimator="exact", layer=None)
    checkpoint(1.0, "GANSpace: done")
    return result


def _discover_in_z(
    model: GeneratorModel,
    params: Params,
    checkpoint: Checkpoint,
    on_partial: Callable[[Any], None] | None,
) -> DirectionSet:
    layer = params.layer or model.feature_layers[0]
    if layer not in model.feature_layers:
        raise ValueError(
            f"unknown layer {layer!r}; this model has {', '.join(model.feature_layers)}"
        )
    k = DEFAULT_K if params.k is None else params.k
    if k >= params.samples or k >= params.regression_samples:
        raise ValueError(
            f"k={k} needs more than k samples and regression_samples "
            f"(got {params.samples} and {params.regression_samples})"
        )
    sample_tick = _stage(checkpoint, 0.0, 0.3, "GANSpace")
    z_batches = latent_batches(params.seed, params.samples, model.z_dim, params.batch_size)
    features = (f for _, f in feature_batches(model, layer, z_batches, sample_tick, params.samples))
    cache = cache_activations(features, params.samples)
    pca = randomized_pca(
        cache,
        k,
        oversample=params.oversample,
        iterations=params.iterations,
        seed=[params.seed, PCA_START_STREAM],
        tick=_stage(checkpoint, 0.3, 0.9, "GANSpace"),
    )
    del cache
    plot = _plot(pca)
    if on_partial is not None:
        on_partial(plot)
    mixing = regress_to_latent(
        model,
        layer,
        pca,
        params.regression_samples,
        [params.seed, REGRESSION_STREAM],
        params.batch_size,
        _stage(checkpoint, 0.9, 1.0, "GANSpace regression"),
    )
    norms = np.linalg.norm(mixing, axis=1)
    vectors = fix_signs(mixing / np.where(norms > 0, norms, 1.0)[:, None])
    directions = tuple(
        Direction(
            vector=vectors[i].astype(np.float32),
            score=float(pca.ratios[i]),
            unit_scale=float(norms[i]),
        )
        for i in range(k)
    )
    result = _direction_set(model, params, directions, plot, k, estimator="randomized", layer=layer)
    checkpoint(1.0, "GANSpace: done")
    return result


def _plot(pca: PCAResult) -> dict[str, Any]:
    return {
        "kind": "explained_variance",
        "values": [float(r) for r in pca.ratios],
        "baseline": float(pca.baseline),
    }


def _direction_set(
    model: GeneratorModel,
    params: Params,
    directions: tuple[Direction, ...],
    plot: dict[str, Any],
    k: int,
    *,
    estimator: str,
    layer: str | None,
) -> DirectionSet:
    record: dict[str, Any] = {
        "k": k,
        "samples": params.samples,
        "seed": params.seed,
        "estimator": estimator,
        "layers": None if params.layers is None else [params.layers.start, params.layers.stop],
        "batch_size": params.batch_size,
    }
    if estimator == "randomized":
        record.update(
            layer=layer,
            regression_samples=params.regression_samples,
            oversample=k if params.oversample is None else params.oversample,
            iterations=params.iterations,
        )
    return DirectionSet(
        method=METHOD,
        space=model.latent_space,
        model_id=model.model_id,
        params=record,
        directions=directions,
        plot=plot,
    )
