"""Distinctness and consistency of direction sets (guiapp.core.direction_metrics).

Most cases use a tiny linear generator whose image is ``SCALE * z`` (optionally with its
sign flipped by the sign of ``z[0]``), so every figure can be worked out by hand.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from guiapp.core.direction_metrics import (
    DEFAULT_STEP,
    consistency,
    distinctness,
    measure,
)
from guiapp.core.methods import sefa
from guiapp.core.models.base import GeneratorModel
from guiapp.core.models.registry import DEFAULT_MODEL, load_model
from guiapp.core.types import Direction, DirectionSet

DIM = 12  # 3 x 2 x 2 images
SCALE = 0.05  # keeps every pixel well inside [-1, 1], so clamping never bites
SEEDS = list(range(10))


class PixelGenerator(GeneratorModel):
    """Image = ``SCALE * z`` reshaped to 3 x 2 x 2; with ``flip``, times ``sign(z[0])``."""

    name = format = model_id = "pixels"
    z_dim, w_dim, num_ws, resolution = DIM, None, 1, 2
    feature_layers = ()

    def __init__(self, flip: bool = False) -> None:
        self.flip = flip

    def map(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, None, :]

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        x = SCALE * ws[:, 0, :].float()
        if self.flip:
            x = x * torch.sign(ws[:, 0, :1]).float()
        return x.reshape(-1, 3, 2, 2)

    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        raise NotImplementedError

    def sefa_weights(self, layers: tuple[int, int] | None = None) -> torch.Tensor:
        raise NotImplementedError

    def to(self, device: str | torch.device) -> PixelGenerator:
        return self


class SignDirections:
    """Conditional directions: direction k at latent w is ``e_{k+1} * sign(w[0])``."""

    def __init__(self, k: int) -> None:
        self.k, self.dim = k, DIM

    def move(self, index: int, latents: torch.Tensor, amount: float) -> torch.Tensor:
        unit = torch.zeros_like(latents)
        unit[:, index + 1] = torch.sign(latents[:, 0])
        return latents + amount * unit


def axis(i: int) -> np.ndarray:
    v = np.zeros(DIM, np.float32)
    v[i] = 1
    return v


def direction_set(
    vectors: list[np.ndarray], scales: list[float] | None = None, conditional: object | None = None
) -> DirectionSet:
    scales = scales or [1.0] * len(vectors)
    dirs = tuple(
        Direction(vector=np.asarray(v, np.float32), score=1.0, unit_scale=s)
        for v, s in zip(vectors, scales, strict=True)
    )
    return DirectionSet("test", "z", "pixels", {}, dirs, conditional=conditional)


def sign_split(seeds: list[int]) -> tuple[int, int]:
    """How many of ``seeds`` have z[0] > 0 and < 0 (the seed convention of the renderer)."""
    signs = [np.random.RandomState(s).randn(DIM)[0] > 0 for s in seeds]
    return sum(signs), len(signs) - sum(signs)


def expected_sign_consistency(seeds: list[int]) -> float:
    """Changes ``+-c e_1``: sum_{s != t} cos = (a - b)^2 - S over S (S - 1) ordered pairs."""
    a, b = sign_split(seeds)
    s = a + b
    return ((a - b) ** 2 - s) / (s * (s - 1))


def test_identical_directions_are_not_distinct_but_fully_consistent() -> None:
    # the same effect twice and its opposite: |cos| is 1 for every pair
    ds = direction_set([axis(1), axis(1), -axis(1)])
    result = measure(PixelGenerator(), ds, SEEDS, count=3)
    assert result.distinctness == pytest.approx(1.0)
    assert result.consistency == pytest.approx(1.0)
    assert result.per_direction == pytest.approx((1.0, 1.0, 1.0))


def test_orthogonal_effects_have_distinctness_zero() -> None:
    ds = direction_set([axis(1), axis(2), axis(3)])
    result = measure(PixelGenerator(), ds, SEEDS, count=3)
    assert result.distinctness == pytest.approx(0.0, abs=1e-9)
    assert result.consistency == pytest.approx(1.0)
    # a linear generator changes every pixel vector by SCALE * step along the direction
    assert result.change_norm == pytest.approx((SCALE * DEFAULT_STEP,) * 3, rel=1e-5)


def test_distinctness_is_the_mean_abs_cosine_over_pairs() -> None:
    # e1 and e1 at 60 degrees (cos 0.5), e3 orthogonal to both: (0.5 + 0 + 0) / 3 pairs
    sixty = (axis(1) + math.sqrt(3) * axis(2)) / 2
    ds = direction_set([axis(1), sixty, axis(3)])
    result = measure(PixelGenerator(), ds, SEEDS, count=3)
    assert result.distinctness == pytest.approx(0.5 / 3)
    assert measure(PixelGenerator(), ds, SEEDS, count=2).distinctness == pytest.approx(0.5)


def test_every_method_moves_the_latent_the_same_distance() -> None:
    # a GANSpace-like unit scale of 2.5 slider units must not change the latent move
    ds = direction_set([axis(1), axis(2)], scales=[2.5, 1.0])
    result = measure(PixelGenerator(), ds, SEEDS, count=2, step=1.5)
    assert result.change_norm == pytest.approx((SCALE * 1.5, SCALE * 1.5), rel=1e-5)
    assert result.step == 1.5


def test_a_change_that_flips_with_the_seed_is_inconsistent() -> None:
    a, b = sign_split(SEEDS)
    assert a and b  # the hand computation needs both signs among the seeds
    ds = direction_set([axis(1), axis(2)])
    result = measure(PixelGenerator(flip=True), ds, SEEDS, count=2)
    expected = expected_sign_consistency(SEEDS)
    assert expected < 0.5
    assert result.per_direction == pytest.approx((expected, expected))
    assert result.consistency == pytest.approx(expected)
    # batches give the same figures as one pass
    batched = measure(PixelGenerator(flip=True), ds, SEEDS, count=2, batch=3)
    assert batched.per_direction == pytest.approx(result.per_direction)
    assert batched.distinctness == pytest.approx(result.distinctness)


def test_conditional_directions_are_evaluated_at_each_seed() -> None:
    # direction k at w is e_{k+1} * sign(w0) on a plain linear generator: same flip as above
    ds = direction_set([axis(1), axis(2)], conditional=SignDirections(2))
    result = measure(PixelGenerator(), ds, SEEDS, count=2)
    assert result.consistency == pytest.approx(expected_sign_consistency(SEEDS))
    assert result.distinctness == pytest.approx(0.0, abs=1e-9)


def test_consistency_formula_equals_the_pairwise_mean() -> None:
    rng = np.random.RandomState(3)
    changes = rng.randn(7, 5) + np.array([2.0, 0, 0, 0, 0])
    changes[4] = 0  # a seed without change counts as cosine 0 with every other
    norms = np.linalg.norm(changes, axis=1)
    unit = changes / np.where(norms > 0, norms, 1)[:, None]
    pairwise = [float(unit[s] @ unit[t]) for s, t in itertools.permutations(range(7), 2)]
    got = consistency(unit.sum(0), float((unit**2).sum()), 7)
    assert got == pytest.approx(np.mean(pairwise))
    assert distinctness(np.zeros((1, 5))) == 0.0


def test_bad_arguments_are_refused() -> None:
    ds = direction_set([axis(1), axis(2)])
    with pytest.raises(ValueError, match="2 seeds"):
        measure(PixelGenerator(), ds, [0], count=2)
    with pytest.raises(ValueError, match="count"):
        measure(PixelGenerator(), ds, SEEDS, count=3)
    with pytest.raises(ValueError, match="step"):
        measure(PixelGenerator(), ds, SEEDS, count=2, step=0.0)


def test_sefa_on_the_builtin_model_gives_sane_figures() -> None:
    model = load_model(DEFAULT_MODEL)
    ds = sefa.discover(model, sefa.Params(k=5))
    result = measure(model, ds, range(12), count=5)
    assert (result.count, result.seeds) == (5, 12)
    # SeFa's directions are orthogonal in z, so their average effects are far from equal
    assert 0.0 < result.distinctness < 0.7
    assert 0.05 < result.consistency < 1.0
    assert all(-0.1 < c <= 1.0 for c in result.per_direction)
    assert all(n > 1.0 for n in result.change_norm)  # step 3 visibly changes every face
    again = measure(model, ds, range(12), count=5, batch=5)
    assert again.per_direction == pytest.approx(result.per_direction, abs=1e-6)
