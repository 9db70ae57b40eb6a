"""SeFa: closed-form factorisation of latent semantics.

Shen & Zhou, "Closed-Form Factorization of Latent Semantics in GANs", CVPR 2021.

The directions that change a layer's output the most are the unit vectors ``n``
maximising ``|A n|^2``, where ``A`` (M, latent_dim) is the weight that reads the latent:
the first layer of a single-latent generator, or the stacked style affines of the chosen
layers of a style-based one. They are the eigenvectors of ``A^T A`` with the largest
eigenvalues. As in the paper's code, each row of ``A`` (one output unit) is first scaled
to unit length so that no unit dominates by its size. This module implements that:
float64 ``eigh`` of the Gram matrix, eigenvalues sorted descending (they are the scores),
and a deterministic sign for each eigenvector (its largest-magnitude entry is positive).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.core.types import Direction, DirectionSet, LayerRange, Ranking

METHOD = "sefa"


@dataclass(frozen=True)
class Params:
    """SeFa settings.

    ``k``: how many directions to keep (None: all ``latent_dim`` of them). ``layers``: the
    style layers whose weights are factorised, for style-based models (None: all);
    single-latent generators have one layer (``0-0``).
    """

    k: int | None = None
    layers: LayerRange | None = None

    def __post_init__(self) -> None:
        if self.k is not None and self.k < 1:
            raise ValueError(f"k must be at least 1, not {self.k}")


def normalize_rows(weight: np.ndarray) -> np.ndarray:
    """(M, D) -> (M, D) float64 with every non-zero row scaled to unit length.

    All-zero rows (a dead output unit) stay zero.
    """
    weight = np.asarray(weight, dtype=np.float64)
    norms = np.linalg.norm(weight, axis=1, keepdims=True)
    return weight / np.where(norms > 0, norms, 1.0)


def fix_signs(vectors: np.ndarray) -> np.ndarray:
    """(K, D) -> (K, D): each row flipped so that its largest-magnitude entry is positive.

    Ties go to the first such entry, so the rule is deterministic.
    """
    vectors = np.asarray(vectors)
    rows = np.arange(vectors.shape[0])
    pivots = vectors[rows, np.argmax(np.abs(vectors), axis=1)]
    signs = np.where(pivots < 0, -1.0, 1.0).astype(vectors.dtype)
    return vectors * signs[:, None]


def factorize(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SeFa's factorisation of the weight that reads the latent.

    Parameters
    ----------
    weight
        (M, D) one output unit per row.

    Returns
    -------
    eigenvalues
        (D,) float64 eigenvalues of ``A^T A`` (``A``: ``weight`` with unit rows),
        descending.
    directions
        (D, D) float64 unit eigenvectors as rows, in the same order, signs fixed by
        :func:`fix_signs`.
    """
    unit_rows = normalize_rows(weight)
    gram = unit_rows.T @ unit_rows
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    order = np.argsort(eigenvalues, kind="stable")[::-1]
    return eigenvalues[order], fix_signs(eigenvectors[:, order].T)


def resolve_layers(model: GeneratorModel, layers: LayerRange | None) -> LayerRange | None:
    """Check ``layers`` against ``model``; None stays None (every layer)."""
    if layers is not None:
        layers.check(model.num_ws)
    return layers


def discover(
    model: GeneratorModel,
    params: Params | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    on_partial: Callable[[Any], None] | None = None,
) -> DirectionSet:
    """Find SeFa directions of ``model``.

    Parameters
    ----------
    model
        Any generator; ``model.sefa_weights(layers)`` gives the (M, latent_dim) weight.
    params
        :class:`Params`; None: the defaults.
    progress, cancel
        Progress sink and cancel token (checked at the start and before returning).
    on_partial
        Unused: SeFa has no intermediate result.

    Returns
    -------
    DirectionSet
        ``method="sefa"`` in the model's latent space: the top ``k`` eigenvectors (unit,
        latent_dim) with ``score`` = eigenvalue and ``unit_scale`` = 1; ``ranking``: a
        :class:`~guiapp.core.types.Ranking` of kind ``"eigenvalues"`` holding all of them.

    Raises
    ------
    ValueError
        When ``layers`` lie outside the model or ``k`` exceeds ``latent_dim``.
    """
    params = params or Params()
    checkpoint = Checkpoint(progress, cancel)
    checkpoint(0.0, "SeFa: reading the weights")
    layers = resolve_layers(model, params.layers)
    k = model.latent_dim if params.k is None else params.k
    if k > model.latent_dim:
        raise ValueError(
            f"k={k} is more than the {model.latent_dim} directions SeFa finds for this model"
        )
    with torch.inference_mode():
        weight = model.sefa_weights(None if layers is None else (layers.start, layers.stop))
        weight_np = weight.detach().to("cpu", torch.float64).numpy()
    checkpoint(0.5, "SeFa: eigendecomposition")
    eigenvalues, vectors = factorize(weight_np)
    default_layers = layers if model.num_ws > 1 else None
    directions = tuple(
        Direction(
            vector=vectors[i].astype(np.float32),
            score=float(eigenvalues[i]),
            unit_scale=1.0,
            default_layers=default_layers,
        )
        for i in range(k)
    )
    result = DirectionSet(
        method=METHOD,
        space=model.latent_space,
        model_id=model.model_id,
        params={
            "k": k,
            "layers": None if layers is None else [layers.start, layers.stop],
        },
        directions=directions,
        ranking=Ranking("eigenvalues", tuple(float(v) for v in eigenvalues)),
    )
    checkpoint(1.0, "SeFa: done")
    return result
