"""LatentCLR: contrastive discovery of interpretable directions.

Yüksel, Simsar, Er & Yanardag, "LatentCLR: A Contrastive Learning Approach for Unsupervised
Discovery of Interpretable Directions", ICCV 2021 (official code: catlab-team/latentclr).

A direction model (:mod:`guiapp.core.direction_models`: global, linear or non-linear) gives
K directions ``d_k(w)``. For a batch of N latents, each direction edits each latent,
``w + alpha * d_k(w) / |d_k(w)|``, and the generator's activations at a target layer give
the feature differences ``f_k(w) = G_f(edited) - G_f(w)`` (K * N rows). The contrastive loss
(:func:`contrastive_loss`) pulls together the differences one direction causes on different
latents (positives) and pushes apart those of different directions (negatives), so each
direction learns one consistent, distinct effect. Training is Adam with weight decay and the
learning rate x0.2 at 10% and 50% of the iterations, on fresh latents every iteration.

Afterwards the directions are ranked by the mean L2 feature change one latent unit along
each causes at the target layer, over held-out latents, near-duplicates last (:func:`rank`).
Global directions export as plain unit vectors; linear and non-linear models are exported
with their weights (:class:`~guiapp.core.direction_models.ConditionalDirections`) and
evaluated at the current latent when editing, with each direction's ``vector`` the
normalised mean of its unit directions over the held-out latents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np
import torch

from guiapp.core.direction_models import ConditionalDirections, DirectionModel
from guiapp.core.latentclr_params import LOSSES, MODEL_TYPES, Params, default_layer
from guiapp.core.methods.latentclr_train import TrainResult, contrastive_loss, place, train
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.core.types import Direction, DirectionSet, Ranking, RunStatus, TrainingCurve

__all__ = [
    "LOSSES", "METHOD", "MODEL_TYPES", "Params", "contrastive_loss", "discover", "measure",
    "resolve_layer",
]

METHOD = "latentclr"
SCORE_AMOUNT = 1.0
"""Latent units moved along each direction to measure its feature change (the score)."""
DUPLICATE_COS = 0.95
"""Mean vectors this close (``|cos|``) to a higher-ranked one count as a near-duplicate."""


def resolve_layer(model: GeneratorModel, layer: str | None) -> str:
    """``layer`` checked against ``model.feature_layers``; None picks the default."""
    layers = tuple(model.feature_layers)
    if layer is None:
        chosen = default_layer(layers)
        if chosen is None:
            raise ValueError("this model exposes no feature layers for LatentCLR")
        return chosen
    if layer not in layers:
        raise ValueError(f"unknown layer {layer!r}; this model has {', '.join(layers)}")
    return layer


def discover(
    model: GeneratorModel,
    params: Params | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    on_partial: Callable[[Any], None] | None = None,
) -> DirectionSet:
    """Train LatentCLR directions on ``model`` and return them ranked.

    Parameters
    ----------
    model
        Any generator whose ``features(ws, layer)`` is differentiable in ``ws``.
    params
        :class:`Params`; None: the defaults.
    progress, cancel
        Progress sink and cancel token; the token is checked before every iteration.
    on_partial
        Called every ``report_every`` iterations (and after the last) with a
        :class:`~guiapp.core.types.TrainingStep` (``iteration`` i, ``loss``, ``accuracy``,
        ``lr``): ``i`` iterations are done; loss and accuracy are means over the
        iterations since the previous report.

    Returns
    -------
    DirectionSet
        ``method="latentclr"`` in the model's latent space, K directions sorted by
        ``score`` (mean feature change, descending) with near-duplicates last (their
        ``notes`` name the direction they repeat), ``unit_scale`` 1; ``conditional`` set
        for linear and non-linear models. ``ranking``: the scores (kind ``"latentclr"``);
        ``training``: the loss and accuracy per report; ``status``: cancelled or not,
        and the iterations done.

    Raises
    ------
    Cancelled
        When ``cancel`` is set, unless ``keep_best_on_cancel`` and at least one iteration
        finished (then the best-so-far directions are returned, ``status.cancelled``).
    ValueError
        For a layer or layer range the model does not have, or a step that cannot fit
        in the device's free memory even in chunks (see :mod:`.latentclr_memory`).
    """
    params = params or Params()
    layer = resolve_layer(model, params.layer)
    if params.layers is not None:
        params.layers.check(model.num_ws)
    checkpoint = Checkpoint(progress, cancel)
    checkpoint(0.0, "LatentCLR: starting")
    # The worker may run inside inference mode; training needs autograd.
    with torch.inference_mode(False), torch.enable_grad():
        trained = train(model, params, layer, progress, cancel, on_partial)
    report = Checkpoint(progress, None)  # cancel was handled by train()
    report(0.96, "LatentCLR: ranking the directions")
    with torch.no_grad():
        result = _direction_set(model, params, layer, trained)
    report(1.0, "LatentCLR: done")
    return result


def _direction_set(
    model: GeneratorModel, params: Params, layer: str, trained: TrainResult
) -> DirectionSet:
    dmodel = trained.model.eval()
    scores, means = measure(model, dmodel, params, layer)
    order, duplicate_of = rank(scores, means)
    dmodel.reorder(order.tolist())
    conditional = None
    if params.model_type != "global":
        conditional = ConditionalDirections(dmodel, params.steps)
    default_layers = params.layers if model.num_ws > 1 else None
    position = {int(old): new for new, old in enumerate(order)}
    directions = tuple(
        Direction(
            vector=means[i].astype(np.float32),
            score=float(scores[i]),
            unit_scale=1.0,
            default_layers=default_layers,
            notes=""
            if duplicate_of[i] < 0
            else f"near-duplicate of direction {position[duplicate_of[i]]}",
        )
        for i in order
    )
    stored = asdict(params)
    stored["layer"] = layer
    stored["layers"] = None if params.layers is None else [params.layers.start, params.layers.stop]
    return DirectionSet(
        method=METHOD,
        space=model.latent_space,
        model_id=model.model_id,
        params=stored,
        directions=directions,
        ranking=Ranking("latentclr", tuple(float(scores[i]) for i in order), None,
                        "feature change"),
        training=TrainingCurve(tuple(int(i) for i in trained.report_iterations),
                               tuple(float(v) for v in trained.loss),
                               tuple(float(v) for v in trained.accuracy)),
        status=RunStatus(bool(trained.cancelled), int(trained.iterations_done)),
        conditional=conditional,
    )


def rank(scores: np.ndarray, means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order directions by score, near-duplicates last.

    A direction whose mean vector has ``|cos| >= DUPLICATE_COS`` with a higher-scoring
    distinct one (LatentCLR can spend several directions on one effect, and the paper's
    loss favours pairs ``d, -d``) goes after all distinct directions, by score too.

    Returns
    -------
    order
        (K,) old indices in their new order.
    duplicate_of
        (K,) by old index: the old index of the distinct direction it repeats, or -1.
    """
    by_score = np.argsort(-scores, kind="stable")
    distinct: list[int] = []
    duplicate_of = np.full(len(scores), -1)
    for i in by_score:
        if distinct:
            cos = np.abs(means[distinct] @ means[i])
            if cos.max() >= DUPLICATE_COS:
                duplicate_of[i] = distinct[int(cos.argmax())]
                continue
        distinct.append(int(i))
    duplicates = [int(i) for i in by_score if duplicate_of[i] >= 0]
    return np.array(distinct + duplicates, dtype=np.int64), duplicate_of


def measure(
    model: GeneratorModel, dmodel: DirectionModel, params: Params, layer: str
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and mean directions over ``params.eval_samples`` held-out latents.

    Returns
    -------
    scores
        (K,) float64 mean L2 norm of ``G_f(w + SCORE_AMOUNT * d_k(w)/|d_k(w)|) - G_f(w)``.
    means
        (K, D) float64 unit rows: the normalised mean of each unit direction.
    """
    z = torch.from_numpy(model.sample_z(params.eval_samples, (params.seed + 1) % 2**32))
    with torch.no_grad():
        return _measure(model, dmodel, params, layer, z.to(model.device, torch.float32))


def _measure(
    model: GeneratorModel, dmodel: DirectionModel, params: Params, layer: str, z: torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    ws = model.map(z)
    w = ws[:, 0 if params.layers is None else params.layers.start]
    base = model.features(ws, layer)
    dirs = dmodel.to(w.device)(w)  # (K, M, D) unit
    scores, means = [], []
    for k in range(dmodel.k):
        edited = place(ws, (w + SCORE_AMOUNT * dirs[k])[None], params.layers)[0]
        change = model.features(edited, layer) - base
        scores.append(float(change.norm(dim=1).mean()))
        mean = dirs[k].double().mean(dim=0)
        means.append((mean / mean.norm().clamp_min(1e-12)).cpu().numpy())
    return np.asarray(scores, np.float64), np.stack(means)
