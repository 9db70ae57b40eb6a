"""Compare direction sets: which directions of one set match which of another, and how
distinct and consistent each set is on the same seeds.

Two sets of the same latent space are compared by their vectors (``|cos|``, since a
direction and its negative name one axis). Sets of different spaces (z vs w) cannot be
compared that way, so they are compared by effect: the mean image change of each
direction over a fixed set of seeds (:mod:`guiapp.core.compare_effect`). The comparison
says which was used. Best-matching pairs are one-to-one (the assignment that maximises
the summed ``|cos|``, Kuhn-Munkres), so each direction matches at most one other.
Labels then travel along the pairs above a threshold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from guiapp.core.compare_effect import random_directions, set_effects
from guiapp.core.direction_metrics import DEFAULT_STEP, DirectionMetrics
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, ProgressFn
from guiapp.core.types import DirectionSet

EFFECT_SEEDS = 16
"""Seeds of the mean image change when sets are compared by effect."""
MAX_EFFECT_DIRECTIONS = 32
"""Top directions of each set compared by effect (each costs one synthesis per seed)."""
BASELINE_NAME = "random directions (baseline)"


@dataclass(frozen=True)
class Match:
    """Direction ``a`` of the first set matches direction ``b`` of the second."""

    a: int
    b: int
    cos: float


@dataclass(frozen=True)
class Comparison:
    """``matrix[i, j]``: ``|cos|`` between direction i of the first set and j of the
    second; ``kind``: "vectors" or "effect" (then ``seeds`` seeds); ``pairs``: the
    one-to-one best matches, highest ``|cos|`` first."""

    kind: str
    matrix: np.ndarray
    pairs: tuple[Match, ...]
    seeds: int = 0

    @property
    def description(self) -> str:
        if self.kind == "vectors":
            return "compared by their vectors (|cos| in latent space)"
        return (f"compared by effect: |cos| of the mean image change over {self.seeds} "
                f"seeds (the sets live in different latent spaces)")

    def transposed(self) -> Comparison:
        """The same comparison seen from the second set."""
        return Comparison(self.kind, self.matrix.T.copy(),
                          tuple(Match(m.b, m.a, m.cos) for m in self.pairs), self.seeds)


def abs_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(Ka, D), (Kb, D) -> (Ka, Kb) ``|cos|``; a zero row has cosine 0 with everything."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    na = np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    nb = np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return np.clip(np.abs((a / na) @ (b / nb).T), 0.0, 1.0)


def match_pairs(matrix: np.ndarray) -> tuple[Match, ...]:
    """One-to-one pairs maximising the summed ``|cos|`` (min(Ka, Kb) of them), best first."""
    if matrix.size == 0:
        return ()
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    pairs = [Match(int(i), int(j), float(matrix[i, j])) for i, j in zip(rows, cols,
                                                                        strict=True)]
    return tuple(sorted(pairs, key=lambda m: (-m.cos, m.a)))


def compare_sets(
    a: DirectionSet,
    b: DirectionSet,
    model: GeneratorModel | None = None,
    *,
    by: str = "auto",
    seeds: Sequence[int] | int = EFFECT_SEEDS,
    count: int = MAX_EFFECT_DIRECTIONS,
    step: float = DEFAULT_STEP,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Comparison:
    """Compare two sets: by vectors when they share a latent space and size (``by``
    "auto" or "vectors"), else by effect on ``model`` (``by`` "effect" forces it) over
    ``seeds`` (a count: seeds 0..N-1), measuring each set's top ``count`` directions."""
    same = a.space == b.space and a.dim == b.dim
    if by not in ("auto", "vectors", "effect"):
        raise ValueError(f"compare by 'auto', 'vectors' or 'effect', not {by!r}")
    if by == "vectors" and not same:
        raise ValueError(f"a set in {a.space} ({a.dim}-D) and one in {b.space} ({b.dim}-D) "
                         f"cannot be compared by their vectors: compare them by effect")
    if by == "vectors" or (by == "auto" and same):
        matrix = abs_cosines(a.vectors, b.vectors)
        return Comparison("vectors", matrix, match_pairs(matrix))
    if model is None:
        raise ValueError("comparing by effect needs the model")
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    ea, eb = set_effects(model, [a, b], seed_list, count, step, progress=progress,
                         cancel=cancel)
    matrix = abs_cosines(ea.means, eb.means)
    return Comparison("effect", matrix, match_pairs(matrix), len(seed_list))


@dataclass(frozen=True)
class LabelMove:
    """Label ``label`` of direction ``source`` goes to direction ``target`` (``|cos|``)."""

    source: int
    target: int
    label: str
    cos: float


def label_moves(src: DirectionSet, dst: DirectionSet, comparison: Comparison,
                threshold: float, overwrite: bool = False) -> tuple[LabelMove, ...]:
    """The labels of ``src`` (the comparison's first set) that would reach ``dst``: along
    matched pairs with ``|cos| >= threshold``, from a labelled direction, onto an
    unlabelled one (or any, with ``overwrite``) whose label differs."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"the threshold is a |cos| between 0 and 1, not {threshold:g}")
    moves = []
    for m in comparison.pairs:
        if m.a >= len(src) or m.b >= len(dst) or m.cos < threshold:
            continue
        label, old = src.directions[m.a].label.strip(), dst.directions[m.b].label
        if label and label != old and (overwrite or not old.strip()):
            moves.append(LabelMove(m.a, m.b, label, m.cos))
    return tuple(moves)


def transfer_labels(src: DirectionSet, dst: DirectionSet, comparison: Comparison,
                    threshold: float, overwrite: bool = False,
                    moves: Iterable[LabelMove] | None = None) -> DirectionSet:
    """``dst`` with the labels of :func:`label_moves` (or the chosen ``moves``) applied;
    an existing label is kept unless ``overwrite``."""
    if moves is None:
        moves = label_moves(src, dst, comparison, threshold, overwrite)
    out = dst
    for move in moves:
        out = out.with_label(move.target, move.label)
    return out


@dataclass(frozen=True)
class MetricsRow:
    name: str
    metrics: DirectionMetrics
    baseline: bool = False


def metrics_table(
    model: GeneratorModel,
    sets: Sequence[tuple[str, DirectionSet]],
    *,
    seeds: Sequence[int] | int = 256,
    count: int = 10,
    step: float = DEFAULT_STEP,
    baseline: bool = True,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> tuple[MetricsRow, ...]:
    """Distinctness and consistency of each named set's top ``count`` directions on the
    same seeds, plus (``baseline``) as many seeded random directions, last."""
    named = list(sets)
    if baseline:
        named.append((BASELINE_NAME, random_directions(model, count)))
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    effects = set_effects(model, [ds for _, ds in named], seed_list, count, step,
                          progress=progress, cancel=cancel)
    return tuple(MetricsRow(name, e.metrics, baseline and n == len(named) - 1)
                 for n, ((name, _), e) in enumerate(zip(named, effects, strict=True)))
