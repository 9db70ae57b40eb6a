"""GANSpace: principal components of a generator's latents or early activations.

Härkönen, Hertzmann, Lehtinen & Paris, "GANSpace: Discovering Interpretable GAN
Controls", NeurIPS 2020.

This module holds the settings (:class:`Params`) and the entry (:func:`discover`); the
steps have their own modules: :mod:`~guiapp.core.methods.latent_sampling` (seeded latents
and the ``w`` or activations they give), :mod:`~guiapp.core.methods.pca` (exact streaming
PCA), :mod:`~guiapp.core.methods.activation_pca` (the bfloat16 activation cache and its
randomised PCA) and :mod:`~guiapp.core.methods.regression` (back to ``z``).

Two estimators, picked by the model:

- Style-based models (``model.w_dim`` is not None): exact PCA of sampled ``w``
  (:func:`exact_pca_streaming`): mean and covariance accumulated in float64 batch by
  batch (memory independent of the number of samples), ``eigh`` at the end. The
  directions live in ``w``; a slider unit is one standard deviation of the projections.
- Single-latent generators: PCA of the activations of an early layer (default: the first
  of ``model.feature_layers``), then GANSpace's regression back to ``z``. The activations
  are kept in a preallocated bfloat16 cache and decomposed by :func:`randomized_pca`
  (seeded block subspace iteration with a final Rayleigh-Ritz step, so that each score is
  exactly the variance along its returned direction). A fresh, seeded set of latents is
  then projected onto the components, the coordinates are whitened, and ``z`` is regressed
  on them by least squares (``z_c ~= C_white @ M``); direction ``k`` is ``M_k / |M_k|``
  with ``unit_scale = |M_k|``, so one slider unit moves that component by about one
  standard deviation.

Scores are explained-variance ratios (variance along the direction / trace of the
covariance); the plot's baseline is the mean ratio along random unit directions
(about ``1 / D``). All randomness is seeded: latents for the activation PCA come from
``RandomState(seed)`` drawn batch after batch (so sample ``i`` is
``model.sample_z(samples, seed)[i]``), those for the PCA in w from the faster float32
stream of ``torch.Generator().manual_seed(seed)`` (:func:`fast_latent_batches`: the same
seed gives the same directions whatever the batch size), regression latents from
``RandomState([seed, 1])`` and the random start and baseline directions from
``RandomState([seed, 2])``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from guiapp.core.methods.activation_pca import MAX_CACHE_BYTES, cache_activations, randomized_pca

# ActivationCache is re-exported for callers that hold the cache_activations result.
from guiapp.core.methods.activation_pca import ActivationCache as ActivationCache
from guiapp.core.methods.latent_sampling import Tick, feature_batches, latent_batches, sampled_w
from guiapp.core.methods.pca import PCAResult, exact_pca_streaming
from guiapp.core.methods.regression import regress_to_latent
from guiapp.core.methods.sefa import fix_signs
from guiapp.core.methods.streaming_pca import streaming_pca
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.core.types import Direction, DirectionSet, LayerRange, Ranking

METHOD = "ganspace"
DEFAULT_K = 50

# Random streams, all derived from Params.seed (see the module docstring).
REGRESSION_STREAM = 1
PCA_START_STREAM = 2


W_SAMPLES = 1_000_000
ACTIVATION_SAMPLES = 100_000
ESTIMATORS = ("cache", "streaming")
STREAMING_MIN_DIM = 16_384
"""Activations this wide (BigGAN's gen_z: 32 768) take the one-pass streaming estimator."""


def choose_estimator(params: Params, dim: int) -> str:
    """``params.estimator``, or for None: ``"streaming"`` when the activations have at least
    :data:`STREAMING_MIN_DIM` values or their cache would exceed its limit, else ``"cache"``."""
    if params.estimator is not None:
        return params.estimator
    too_big = (params.samples or ACTIVATION_SAMPLES) * dim * 2 > MAX_CACHE_BYTES
    return "streaming" if dim >= STREAMING_MIN_DIM or too_big else "cache"


@dataclass(frozen=True)
class Params:
    """GANSpace settings.

    ``k``: number of components (None: 50, at most the data's dimension). ``samples``:
    latents sampled for the PCA (None: 1 000 000 in w, whose exact streamed PCA needs no
    memory per sample; 100 000 for activations, which are cached). ``seed``: seeds every
    random stream. ``layer``: the activation layer of a single-latent generator (None:
    ``model.feature_layers[0]``).
    ``layers``: default edit layers given to the directions of a style-based model (None:
    all). ``regression_samples``: fresh latents for the regression back to z.
    ``batch_size``: latents per forward pass. ``oversample`` and ``iterations``: the
    randomised PCA works in a subspace of ``k + oversample`` columns (None: ``k``) and
    makes ``iterations`` passes over the cached activations. ``estimator`` (single-latent
    generators): ``"cache"`` (the bfloat16 cache and its randomised PCA), ``"streaming"``
    (one-pass sketch, memory flat in ``samples``: :mod:`~guiapp.core.methods.streaming_pca`)
    or None: streaming for activations of :data:`STREAMING_MIN_DIM` values or more, or when
    the cache would not fit, else the cache.
    """

    k: int | None = None
    samples: int | None = None
    seed: int = 0
    layer: str | None = None
    layers: LayerRange | None = None
    regression_samples: int = 10_000
    batch_size: int = 500
    oversample: int | None = None
    iterations: int = 5
    estimator: str | None = None

    def __post_init__(self) -> None:
        _at_least("k", self.k, 1)
        _at_least("samples", self.samples, 2)
        _at_least("regression_samples", self.regression_samples, 2)
        _at_least("batch_size", self.batch_size, 1)
        _at_least("oversample", self.oversample, 0)
        _at_least("iterations", self.iterations, 1)
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be in 0..{2**32 - 1}, not {self.seed}")
        if self.estimator not in (None, *ESTIMATORS):
            raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, "
                             f"not {self.estimator!r}")


def _at_least(name: str, value: int | None, low: int) -> None:
    if value is not None and value < low:
        raise ValueError(f"{name} must be at least {low}, not {value}")


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
        Called once, when the PCA is done and before the regression, with the set's
        :class:`~guiapp.core.types.Ranking` (kind ``"explained_variance"``: the ratios,
        and the ratio along random directions as ``baseline``).

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
    if params.samples is None:
        params = replace(params, samples=default_samples(model))
    checkpoint = Checkpoint(progress, cancel)
    if params.layers is not None:
        params.layers.check(model.num_ws)
    with torch.inference_mode():
        if model.w_dim is not None:
            return _discover_in_w(model, params, checkpoint, on_partial)
        return _discover_in_z(model, params, checkpoint, on_partial)


def default_samples(model: GeneratorModel) -> int:
    """Latents sampled when ``samples`` is None: more in w (streamed) than for activations."""
    return W_SAMPLES if model.w_dim is not None else ACTIVATION_SAMPLES


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
    batches = sampled_w(model, params.seed, params.samples, params.batch_size, tick)
    pca = exact_pca_streaming(batches, k, seed=[params.seed, PCA_START_STREAM])
    ranking = _ranking(pca)
    if on_partial is not None:
        on_partial(ranking)
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
    result = _direction_set(model, params, directions, ranking, k, estimator="exact", layer=None)
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
    z_batches = latent_batches(params.seed, params.samples, model.z_dim, params.batch_size)
    estimator = choose_estimator(params, _feature_dim(model, layer))
    if estimator == "streaming":
        sample_tick = _stage(checkpoint, 0.0, 0.9, "GANSpace")
        features = (f for _, f in feature_batches(model, layer, z_batches, sample_tick,
                                                   params.samples))
        pca = streaming_pca(features, _feature_dim(model, layer), k,
                            oversample=params.oversample, seed=[params.seed, PCA_START_STREAM])
    else:
        sample_tick = _stage(checkpoint, 0.0, 0.3, "GANSpace")
        features = (f for _, f in feature_batches(model, layer, z_batches, sample_tick,
                                                   params.samples))
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
    ranking = _ranking(pca)
    if on_partial is not None:
        on_partial(ranking)
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
    name = "randomized" if estimator == "cache" else "streaming"
    result = _direction_set(model, params, directions, ranking, k, estimator=name, layer=layer)
    checkpoint(1.0, "GANSpace: done")
    return result


def _feature_dim(model: GeneratorModel, layer: str) -> int:
    """Activations ``layer`` gives per sample (one forward pass of a zero latent)."""
    z = torch.zeros(1, model.z_dim, device=model.device)
    return int(model.features(model.map(z), layer).shape[1])


def _ranking(pca: PCAResult) -> Ranking:
    return Ranking("explained_variance", tuple(float(r) for r in pca.ratios),
                   float(pca.baseline))


def _direction_set(
    model: GeneratorModel,
    params: Params,
    directions: tuple[Direction, ...],
    ranking: Ranking,
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
    if estimator in ("randomized", "streaming"):
        record.update(
            layer=layer,
            regression_samples=params.regression_samples,
            oversample=k if params.oversample is None else params.oversample,
        )
        if estimator == "randomized":
            record.update(iterations=params.iterations)
    return DirectionSet(
        method=METHOD,
        space=model.latent_space,
        model_id=model.model_id,
        params=record,
        directions=directions,
        ranking=ranking,
    )
