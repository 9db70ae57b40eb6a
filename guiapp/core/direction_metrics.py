"""How distinct and how consistent a set of directions is, measured on the images.

Used to compare discovery methods (GANSpace, Härkönen et al. 2020; SeFa, Shen & Zhou 2021;
LatentCLR, Yüksel et al. 2021) on one model, without labels. Each of the top ``count``
directions moves the latent of every seed by the same distance, ``step`` latent units, and
the image change ``G(w + step * d) - G(w)`` is taken as a float vector (the generator's own
output in [-1, 1], not the rounded uint8 image). Two figures follow, in the spirit of
LatentCLR's contrastive objective (one effect per direction, different effects for
different directions), but measured on pixels rather than on the features it trains on:

- **distinctness** (lower is better): the mean ``|cos|`` over pairs of different
  directions of their mean change vectors. 1 means the directions repeat one effect (up to
  sign), 0 means their average effects are orthogonal.
- **consistency** (higher is better): per direction, the mean ``cos`` over pairs of
  different seeds of its change vectors, then the mean over directions. 1 means the
  direction does the same thing (up to size) to every face.

Consistency is computed without the S x S matrix: with unit change vectors ``u_s``,
``sum_{s != t} cos(u_s, u_t) = |sum_s u_s|^2 - sum_s |u_s|^2``, so only the running sum
of unit vectors is kept, and the changes of one direction are never all in memory at once
beyond one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from guiapp.core.edits import apply_edits
from guiapp.core.models.base import GeneratorModel
from guiapp.core.render import base_latents, check_model_directions
from guiapp.core.types import DirectionSet, Edit

__all__ = [
    "DEFAULT_STEP",
    "DirectionMetrics",
    "consistency",
    "distinctness",
    "measure",
    "seed_latents",
]

DEFAULT_STEP = 3.0
"""Latent units every direction moves each seed, whatever its method's slider unit.

Seeds are ``randn`` in z, so a 100-D latent has norm ~10 (sqrt(D)); a move of 3 is about a
third of that: large enough that every method's effect clearly shows in the image (GANSpace
and SeFa strips in the window span +-3 slider units, and GANSpace's unit is ~1 latent unit
on the built-in model), small enough that the edited latent (norm ~10.4) stays in the shell
the generator was trained on, where the change is still close to linear in the step.
"""

BATCH = 256
"""Images per forward pass: 256 64x64 images are ~13 MB of floats and ~0.5 s on a CPU."""

EPS = 1e-12


@dataclass(frozen=True)
class DirectionMetrics:
    """The figures for one direction set.

    ``distinctness``: mean ``|cos|`` between the mean image changes of different
    directions (lower is better; 0.0 for a single direction). ``consistency``: mean of
    ``per_direction`` (higher is better). ``per_direction``: for each measured direction,
    the mean ``cos`` between its image changes on different seeds. ``change_norm``: per
    direction, the mean L2 norm of its image change (in [-1, 1] pixel units), to spot
    directions that barely change the image. ``step``: the latent move used.
    """

    distinctness: float
    consistency: float
    per_direction: tuple[float, ...]
    change_norm: tuple[float, ...]
    count: int
    seeds: int
    step: float


def distinctness(means: np.ndarray) -> float:
    """Mean ``|cos|`` over ordered pairs of different rows of ``means``.

    Parameters
    ----------
    means
        (K, P) one mean change vector per direction. A zero row (a direction that changes
        nothing on average) has cosine 0 with every other row.

    Returns
    -------
    float in [0, 1]; 0.0 when K < 2 (no pair to compare).
    """
    means = np.asarray(means, np.float64)
    k = means.shape[0]
    if k < 2:
        return 0.0
    unit = means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), EPS)
    cos = np.abs(unit @ unit.T)
    return float((cos.sum() - np.trace(cos)) / (k * (k - 1)))


def consistency(unit_sum: np.ndarray, square_sum: float, seeds: int) -> float:
    """Mean ``cos`` over ordered pairs of different seeds, from sums of unit vectors.

    Parameters
    ----------
    unit_sum
        (P,) ``sum_s u_s`` of the unit change vectors of one direction over ``seeds`` seeds.
    square_sum
        ``sum_s |u_s|^2``: ``seeds`` when no change was zero (a zero change has no
        direction; it counts as cosine 0 with every other seed).
    seeds
        S, the number of seeds (at least 2).

    Returns
    -------
    ``(|sum_s u_s|^2 - sum_s |u_s|^2) / (S (S - 1))``, in [-1/(S-1), 1].
    """
    if seeds < 2:
        raise ValueError(f"consistency needs at least 2 seeds, not {seeds}")
    total = float(np.dot(unit_sum, unit_sum))
    return float((total - float(square_sum)) / (seeds * (seeds - 1)))


def seed_latents(model: GeneratorModel, seeds: Sequence[int]) -> torch.Tensor:
    """(S, num_ws, latent_dim) latents of ``seeds``, as the renderer makes them (psi 1)."""
    return torch.cat([base_latents(model, int(seed)) for seed in seeds])


def _images(model: GeneratorModel, ws: torch.Tensor) -> torch.Tensor:
    """(N, num_ws, D) -> (N, P) float64 flattened images, clamped to [-1, 1] as shown."""
    with torch.inference_mode():
        return model.synthesize(ws).clamp(-1, 1).flatten(1).to(torch.float64)


def measure(
    model: GeneratorModel,
    direction_set: DirectionSet,
    seeds: Sequence[int],
    count: int = 10,
    step: float = DEFAULT_STEP,
    batch: int = BATCH,
) -> DirectionMetrics:
    """Distinctness and consistency of the top ``count`` directions of ``direction_set``.

    Each direction ``k`` edits each seed with ``Edit(k, step / unit_scale)``, so every
    method's edit moves the latent by ``step`` latent units (GANSpace's slider unit is the
    sigma of its projections, SeFa's and LatentCLR's is 1); conditional (LatentCLR linear
    and non-linear) directions are evaluated at each seed's latent, as the editor does.

    Parameters
    ----------
    model
        The generator the directions were found on.
    direction_set
        Directions in the model's latent space; the first ``count`` are measured.
    seeds
        At least 2 seeds; the same seeds give the same figures.
    count
        How many top directions to measure (at most the set's length).
    step
        Latent units to move along each direction (positive).
    batch
        Seeds per forward pass.

    Returns
    -------
    DirectionMetrics
    """
    check_model_directions(model, direction_set)
    seeds = [int(s) for s in seeds]
    if len(seeds) < 2:
        raise ValueError(f"need at least 2 seeds, not {len(seeds)}")
    if not 1 <= count <= len(direction_set):
        raise ValueError(f"count must be in 1..{len(direction_set)}, not {count}")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive number, not {step}")
    scales = [direction_set.direction(k).unit_scale for k in range(count)]
    if not all(np.isfinite(u) and u > 0 for u in scales):
        raise ValueError(f"unit scales must be positive numbers, not {scales}")
    latents = seed_latents(model, seeds)
    sums = unit_sums = np.zeros((count, 0))
    square_sums, norm_sums = np.zeros(count), np.zeros(count)
    for start in range(0, len(seeds), batch):
        ws = latents[start : start + batch]
        base = _images(model, ws)
        if start == 0:  # (K, P) running sums of the changes and of their unit vectors
            sums, unit_sums = np.zeros((2, count, base.shape[1]))
        for k in range(count):
            edited = apply_edits(ws, direction_set, [Edit(k, step / scales[k])])
            change = _images(model, edited) - base
            norms = change.norm(dim=1)
            unit = change / norms.clamp_min(EPS)[:, None]
            sums[k] += change.sum(0).numpy()
            unit_sums[k] += unit.sum(0).numpy()
            square_sums[k] += float((unit * unit).sum())
            norm_sums[k] += float(norms.sum())
    per_direction = tuple(
        consistency(unit_sums[k], square_sums[k], len(seeds)) for k in range(count)
    )
    return DirectionMetrics(
        distinctness=distinctness(sums / len(seeds)),
        consistency=float(np.mean(per_direction)),
        per_direction=per_direction,
        change_norm=tuple(float(n / len(seeds)) for n in norm_sums),
        count=count,
        seeds=len(seeds),
        step=float(step),
    )
