"""Comparing direction sets on planted directions: a set and a permuted, sign-flipped,
rotated and noisy copy. The matching finds the plant, labels travel to the right
directions above the threshold only, never over a label unless asked; sets of different
latent spaces are compared by effect and say so; the metrics table is the one measure on
the same seeds, with the random baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stylegan_fixtures import random_generator, write_nvidia_pickle

from guiapp.core.compare import (
    BASELINE_NAME,
    compare_sets,
    label_moves,
    match_pairs,
    metrics_table,
    transfer_labels,
)
from guiapp.core.compare_effect import bf16_images, random_directions, set_effects
from guiapp.core.direction_metrics import DirectionMetrics, measure
from guiapp.core.methods import run_method
from guiapp.core.models.registry import load_model
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.types import Direction, DirectionSet

DIM, K = 24, 6
LABELS = ("smile", "age", "", "glasses", "pose", "hair")


@pytest.fixture
def float32_table(monkeypatch):
    """The table in float32, to be compared with ``measure`` to 1e-5 (by default it renders
    in bfloat16 on CPUs that have it: see the bfloat16 test below)."""
    monkeypatch.setenv("GUIAPP_COMPARE_FLOAT32", "1")


def assert_same_figures(got: DirectionMetrics, want: DirectionMetrics) -> None:
    """The shared-image, float32 table path gives the straightforward figures to 1e-5."""
    assert (got.count, got.seeds, got.step) == (want.count, want.seeds, want.step)
    for name in ("distinctness", "consistency", "per_direction", "change_norm"):
        assert np.allclose(getattr(got, name), getattr(want, name), rtol=0, atol=1e-5), name


def planted() -> tuple[DirectionSet, DirectionSet, np.ndarray]:
    """(a, b, perm): b[perm[i]] is a[i] flipped, slightly rotated and noisy, for the
    first four; b's last two are new directions orthogonal to all of a."""
    rng = np.random.RandomState(3)
    q, _ = np.linalg.qr(rng.randn(DIM, DIM))
    a_vec = q[:, :K].T
    moved = a_vec[:4] * np.array([[1], [-1], [1], [-1]]) + 0.08 * rng.randn(4, DIM)
    moved /= np.linalg.norm(moved, axis=1, keepdims=True)
    b_vec = np.concatenate([moved, q[:, K:K + 2].T])
    perm = np.array([3, 0, 5, 1, 4, 2])  # b index of a's i-th direction (first four)
    b_sorted = np.zeros_like(b_vec)
    for i in range(K):
        b_sorted[perm[i]] = b_vec[i]
    def make(vectors, labels, method):
        return DirectionSet(method, "w", "m", {}, tuple(
            Direction(v.astype(np.float32), 1.0, label=lbl)
            for v, lbl in zip(vectors, labels, strict=True)))
    a = make(a_vec, LABELS, "sefa")
    b = make(b_sorted, ["", "", "kept", "", "", ""], "ganspace")  # kept: b[perm[5]]
    return a, b, perm


def test_the_matching_finds_the_planted_pairs():
    a, b, perm = planted()
    comp = compare_sets(a, b)
    assert comp.kind == "vectors" and comp.matrix.shape == (K, K)
    assert "vectors" in comp.description
    found = {m.a: m.b for m in comp.pairs}
    assert all(found[i] == perm[i] for i in range(4))  # the plants, signs flipped or not
    strong = [m for m in comp.pairs if m.a < 4]
    weak = [m for m in comp.pairs if m.a >= 4]
    assert min(m.cos for m in strong) > 0.85 and max(m.cos for m in weak) < 0.5
    assert [m.cos for m in comp.pairs] == sorted((m.cos for m in comp.pairs), reverse=True)
    assert len({m.b for m in comp.pairs}) == K  # one-to-one


def test_one_to_one_beats_greedy():
    # greedy takes (0, 0) = 0.9 and leaves (1, 1) = 0.1; the assignment takes 0.8 + 0.8
    pairs = match_pairs(np.array([[0.9, 0.8], [0.8, 0.1]]))
    assert {(m.a, m.b) for m in pairs} == {(0, 1), (1, 0)}


def test_labels_travel_to_the_matching_directions_above_the_threshold():
    a, b, perm = planted()
    comp = compare_sets(a, b)
    got = transfer_labels(a, b, comp, threshold=0.8)
    for i in range(4):
        assert got.directions[perm[i]].label == LABELS[i]  # "" (direction 2) moves nothing
    assert got.directions[perm[4]].label == "" and got.directions[perm[5]].label == "kept"
    assert b.directions[perm[0]].label == ""  # the original set is untouched
    top = max(m.cos for m in comp.pairs)
    assert transfer_labels(a, b, comp, threshold=top + 1e-6) == b  # above every pair
    cut = sorted(m.cos for m in comp.pairs if m.a in (0, 1, 3))[1]  # the middle labelled one
    moved = {mv.source for mv in label_moves(a, b, comp, cut)}
    assert moved == {m.a for m in comp.pairs if m.a in (0, 1, 3) and m.cos >= cut}
    assert len(moved) == 2
    assert len(label_moves(a, b, comp, 0.0)) == 4  # smile, age, glasses, pose (hair: kept)


def test_an_existing_label_is_overwritten_only_when_asked():
    a, b, perm = planted()
    b = b.with_label(perm[0], "grin")
    comp = compare_sets(a, b)
    assert transfer_labels(a, b, comp, 0.0).directions[perm[0]].label == "grin"
    assert transfer_labels(a, b, comp, 0.0, overwrite=True).directions[perm[0]].label == "smile"
    back = transfer_labels(b, a, comp.transposed(), 0.8)
    assert back.directions[0].label == "smile"  # a's own label kept


@pytest.fixture(scope="module")
def stylegan(tmp_path_factory):
    path = tmp_path_factory.mktemp("sg2") / "network-snapshot.pkl"
    return load_model(str(write_nvidia_pickle(path, random_generator(seed=4))))


def test_sets_of_different_spaces_are_compared_by_effect(stylegan):
    m = stylegan
    w_set = run_method(m, "sefa", {"k": 4})
    rng = np.random.RandomState(0)
    z_vec = rng.randn(3, m.z_dim)
    z_set = DirectionSet("random", "z", m.model_id, {}, tuple(
        Direction((v / np.linalg.norm(v)).astype(np.float32), 1.0) for v in z_vec))
    with pytest.raises(ValueError, match="by effect"):
        compare_sets(z_set, w_set, m, by="vectors")
    comp = compare_sets(z_set, w_set, m, seeds=4)
    assert comp.kind == "effect" and comp.seeds == 4 and "effect" in comp.description
    assert comp.matrix.shape == (3, 4) and len(comp.pairs) == 3
    # by effect, a set matches its own shuffled copy exactly
    shuffled = DirectionSet("sefa", "w", m.model_id, {}, tuple(
        w_set.directions[i] for i in (2, 0, 3, 1)))
    same = compare_sets(w_set, shuffled, m, by="effect", seeds=4)
    assert {(p.a, p.b) for p in same.pairs} == {(2, 0), (0, 1), (3, 2), (1, 3)}
    assert min(p.cos for p in same.pairs) > 0.999


def test_the_metrics_table_is_the_one_measure_on_the_same_seeds(float32_table):
    model = load_model("builtin:dcgan-digiface")
    sefa = run_method(model, "sefa", {"k": 4})
    gs = random_directions(model, 3, seed=7)
    seen = []
    rows = metrics_table(model, [("SeFa", sefa), ("GANSpace", gs)], seeds=6, count=3,
                         progress=lambda f, msg: seen.append(f))
    assert [r.name for r in rows] == ["SeFa", "GANSpace", BASELINE_NAME]
    assert [r.baseline for r in rows] == [False, False, True]
    for row, ds in zip(rows, (sefa, gs), strict=False):
        assert_same_figures(row.metrics, measure(model, ds, range(6), count=3))
    assert seen == sorted(seen) and seen[-1] == 1.0
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        metrics_table(model, [("SeFa", sefa)], seeds=4, count=2, cancel=token)


def test_a_table_recomputed_with_one_more_set_measures_only_that_set(float32_table):
    model = load_model("builtin:dcgan-digiface")
    first = random_directions(model, 2, seed=11)
    second = random_directions(model, 2, seed=12)
    calls = []
    real = model.synthesize

    def counting(ws, noise_mode="const"):
        calls.append(ws.shape[0])
        return real(ws, noise_mode)

    model.synthesize = counting  # the real generator, counted
    before = metrics_table(model, [("a", first)], seeds=[5, 6, 7], count=2)
    n_first = len(calls)
    assert n_first == 1 + 2 * 2  # unedited + 2 directions of "a" and of the baseline
    again = metrics_table(model, [("a", first), ("b", second)], seeds=[5, 6, 7], count=2)
    assert len(calls) - n_first == 1 + 2  # only "b" is measured
    assert again[0].metrics == before[0].metrics and again[2].metrics == before[1].metrics
    assert_same_figures(again[1].metrics, measure(model, second, [5, 6, 7], count=2))


def test_the_fast_table_equals_measuring_set_by_set_over_several_batches(float32_table):
    """Three sets measured together in batches of 4 seeds (base images shared, float32
    changes, float64 sums) give the figures of measuring each set alone in float64."""
    model = load_model("builtin:dcgan-digiface")
    sets = [run_method(model, "sefa", {"k": 5}), random_directions(model, 4, seed=3),
            random_directions(model, 3, seed=4)]
    seeds = [2, 3, 5, 8, 13, 21, 34, 55, 89, 144]
    effects = set_effects(model, sets, seeds, count=4, batch=4)
    for ds, got in zip(sets, effects, strict=True):
        want = measure(model, ds, seeds, count=min(4, len(ds)))
        assert_same_figures(got.metrics, want)
        assert got.means.shape == (want.count, 3 * 64 * 64)
        assert 0.0 < want.distinctness < 1.0 and 0.0 < want.consistency < 1.0


@pytest.mark.skipif(not bf16_images(torch.device("cpu")), reason="no native bfloat16 here")
def test_the_bfloat16_table_gives_the_float32_figures_to_2e_3(monkeypatch):
    """On a CPU with native bfloat16 the table renders in it (about twice as fast); the
    figures a user reads (two decimals) are those of the float32 table."""
    model = load_model("builtin:dcgan-digiface")
    sets = [("SeFa", run_method(model, "sefa", {"k": 6})),
            ("random", random_directions(model, 6, seed=4))]
    fast = metrics_table(model, sets, seeds=range(24), count=6)
    monkeypatch.setenv("GUIAPP_COMPARE_FLOAT32", "1")
    exact = metrics_table(model, sets, seeds=range(24), count=6)
    for a, b in zip(fast, exact, strict=True):
        assert a.name == b.name
        assert a.metrics != b.metrics  # really another computation (not the cache)
        assert abs(a.metrics.distinctness - b.metrics.distinctness) < 2e-3
        assert abs(a.metrics.consistency - b.metrics.consistency) < 2e-3
