"""SeFa (guiapp.core.methods.sefa) and the method registry (guiapp.core.methods)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from synthetic import LinearFeatureGenerator, LinearStyleGenerator

from guiapp.core.methods import METHOD_NAMES, make_params, run_method, sefa
from guiapp.core.models.registry import load_model
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.types import LayerRange


@pytest.fixture(scope="module")
def model():
    return load_model("builtin:dcgan-digiface")


@pytest.fixture(scope="module")
def full_set(model):
    return sefa.discover(model)


@pytest.fixture(scope="module")
def unit_weight(model) -> np.ndarray:
    """The first layer's weight with unit rows, computed here independently of sefa.py."""
    weight = model.sefa_weights().double().numpy()
    return weight / np.linalg.norm(weight, axis=1, keepdims=True)


def test_builtin_model_gives_one_direction_per_latent_dimension(model, full_set) -> None:
    assert (full_set.method, full_set.space, full_set.model_id) == ("sefa", "z", model.model_id)
    assert len(full_set) == model.z_dim == 100
    assert full_set.dim == 100
    assert all(d.unit_scale == 1.0 and d.default_layers is None for d in full_set.directions)
    assert full_set.ranking.kind == "eigenvalues" and full_set.ranking.axis_label == "Eigenvalue"
    np.testing.assert_allclose(full_set.ranking.values, full_set.scores)
    assert json.loads(json.dumps(full_set.params)) == {"k": 100, "layers": None}


def test_directions_are_orthonormal_and_scores_sorted(full_set) -> None:
    vectors = full_set.vectors.astype(np.float64)
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(len(full_set)), atol=2e-6)
    scores = full_set.scores
    assert np.all(np.diff(scores) <= 0)
    assert scores[0] > 2 * scores[-1] > 0  # a real spectrum, not a flat one


def test_eigen_equation_holds_for_the_row_normalised_weight(full_set, unit_weight) -> None:
    gram = unit_weight.T @ unit_weight
    vectors = full_set.vectors.astype(np.float64)
    residual = vectors @ gram - full_set.scores[:, None] * vectors
    assert np.linalg.norm(residual, axis=1).max() < 1e-4 * full_set.scores[0]
    # score = variance of the unit rows' responses along the direction
    np.testing.assert_allclose(
        np.sum((unit_weight @ vectors.T) ** 2, axis=0), full_set.scores, rtol=1e-5
    )


def test_agrees_with_svd_of_the_row_normalised_weight(full_set, unit_weight) -> None:
    _, singular, right = np.linalg.svd(unit_weight, full_matrices=False)
    np.testing.assert_allclose(full_set.scores, singular**2, rtol=1e-8)
    gaps = np.diff(singular**2)
    distinct = np.ones(len(singular), bool)
    distinct[:-1] &= -gaps > 1e-6
    distinct[1:] &= -gaps > 1e-6
    cosines = np.abs(np.sum(full_set.vectors * right, axis=1))
    assert distinct.sum() > 90
    assert cosines[distinct].min() > 1 - 1e-5


def test_signs_are_deterministic(model, full_set) -> None:
    vectors = full_set.vectors
    pivots = vectors[np.arange(len(vectors)), np.argmax(np.abs(vectors), axis=1)]
    assert np.all(pivots > 0)
    again = sefa.discover(model)
    np.testing.assert_array_equal(again.vectors, vectors)
    np.testing.assert_array_equal(again.scores, full_set.scores)


def test_k_keeps_the_top_directions(model, full_set) -> None:
    top = run_method(model, "sefa", {"k": 5})
    assert len(top) == 5
    np.testing.assert_array_equal(top.vectors, full_set.vectors[:5])
    assert top.ranking.values == full_set.ranking.values  # the plot still shows them all
    with pytest.raises(ValueError, match="k=101 is more than the 100 directions"):
        run_method(model, "sefa", {"k": 101})


def test_factorize_matches_numpy_on_random_weights() -> None:
    rng = np.random.RandomState(3)
    weight = rng.randn(300, 20) * rng.uniform(0.1, 10, size=(300, 1))  # rows of any size
    values, vectors = sefa.factorize(weight)
    unit = weight / np.linalg.norm(weight, axis=1, keepdims=True)
    expected = np.sort(np.linalg.eigvalsh(unit.T @ unit))[::-1]
    np.testing.assert_allclose(values, expected, rtol=1e-10)
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(20), atol=1e-12)
    assert values.sum() == pytest.approx(300)  # trace of the Gram of 300 unit rows


def test_zero_rows_are_left_alone() -> None:
    weight = np.array([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    np.testing.assert_allclose(sefa.normalize_rows(weight), [[0.6, 0.8], [0, 0], [0, -1]])


def test_fix_signs_makes_the_largest_entry_positive() -> None:
    vectors = np.array([[0.1, -0.9, 0.3], [-0.5, 0.5, 0.1], [0.2, 0.3, -0.1]])
    fixed = sefa.fix_signs(vectors)
    np.testing.assert_array_equal(fixed, [[-0.1, 0.9, -0.3], [0.5, -0.5, -0.1], vectors[2]])
    np.testing.assert_array_equal(sefa.fix_signs(-vectors), fixed)


def test_style_model_factorises_the_chosen_layers_only() -> None:
    gen = LinearStyleGenerator()
    ds = run_method(gen, "sefa", {"layers": "1-2"})
    assert ds.space == "w" and len(ds) == gen.w_dim
    assert all(d.default_layers == LayerRange(1, 3) for d in ds.directions)
    assert ds.params["layers"] == [1, 3]
    stacked = np.vstack(gen.styles[1:3])
    unit = stacked / np.linalg.norm(stacked, axis=1, keepdims=True)
    np.testing.assert_allclose(
        ds.scores, np.sort(np.linalg.eigvalsh(unit.T @ unit))[::-1], rtol=1e-5
    )
    whole = run_method(gen, "sefa", {})
    assert whole.directions[0].default_layers is None
    assert not np.allclose(whole.scores, ds.scores)
    with pytest.raises(ValueError, match="outside this model's layers 0-3"):
        run_method(gen, "sefa", {"layers": "2-4"})


def test_single_latent_model_accepts_its_only_layer() -> None:
    gen = LinearFeatureGenerator()
    ds = run_method(gen, "sefa", {"layers": "0-0", "k": 3})
    assert ds.directions[0].default_layers is None
    with pytest.raises(ValueError, match="outside this model's layers 0-0"):
        run_method(gen, "sefa", {"layers": "0-1"})


def test_progress_and_cancel(model) -> None:
    seen: list[tuple[float, str]] = []
    sefa.discover(model, progress=lambda f, m: seen.append((f, m)))
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        sefa.discover(model, cancel=token)


# -- the method registry ----------------------------------------------------------------------


def test_method_names_and_unknown_method() -> None:
    assert METHOD_NAMES == ("ganspace", "sefa", "latentclr")
    with pytest.raises(
        ValueError, match=r"^unknown method 'pca'; choose from ganspace, sefa, latentclr$"
    ):
        make_params("pca")
    with pytest.raises(ValueError, match="unknown method"):
        run_method(LinearFeatureGenerator(), "pca")


def test_make_params_converts_text_and_fills_defaults() -> None:
    assert make_params("sefa") == sefa.Params()
    assert make_params("sefa", {"k": "7", "layers": "2-5"}) == sefa.Params(7, LayerRange(2, 6))
    assert make_params("sefa", {"layers": [2, 6]}).layers == LayerRange(2, 6)
    assert make_params("sefa", {"layers": LayerRange(1, 2)}).layers == LayerRange(1, 2)
    # shared options another method uses may be passed as None
    assert make_params("sefa", {"k": None, "samples": None, "seed": None}) == sefa.Params()
    gs = make_params("ganspace", {"samples": "20_000", "seed": 3, "layer": "block1"})
    assert (gs.samples, gs.seed, gs.layer, gs.k) == (20_000, 3, "block1", None)
    assert make_params("ganspace", {"k": 10.0}).k == 10


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("sefa", {"samples": 100}, "sefa has no parameter 'samples'; it takes k, layers"),
        ("sefa", {"K": 3}, "sefa has no parameter 'K'"),
        ("sefa", {"k": 0}, "sefa: k must be at least 1, not 0"),
        ("sefa", {"k": "three"}, "sefa parameter 'k' must be an integer, not 'three'"),
        ("sefa", {"k": True}, "sefa parameter 'k' must be an integer"),
        ("sefa", {"k": 2.5}, "sefa parameter 'k' must be an integer"),
        ("sefa", {"layers": "5-2"}, "sefa parameter 'layers' must be a layer range"),
        ("sefa", {"layers": [3, 3]}, "sefa parameter 'layers' must be a layer range"),
        ("ganspace", {"samples": 1}, "ganspace: samples must be at least 2, not 1"),
        ("ganspace", {"seed": -1}, "ganspace: seed must be in 0..4294967295, not -1"),
        ("ganspace", {"layer": 3}, "ganspace parameter 'layer' must be text, not 3"),
        ("ganspace", {"iterations": 0}, "ganspace: iterations must be at least 1"),
    ],
)
def test_make_params_rejects_bad_parameters_in_one_line(method, params, message) -> None:
    with pytest.raises(ValueError) as info:
        make_params(method, params)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_parameter_conversion_covers_numbers_and_flags() -> None:
    # for methods with float or bool parameters (e.g. a learning rate, a switch)
    from guiapp.core.methods import _coerce

    assert _coerce("m", "lr", "1e-3", float | None) == 1e-3
    assert _coerce("m", "lr", 2, float) == 2.0
    assert _coerce("m", "flag", "yes", bool) is True
    assert _coerce("m", "flag", False, bool) is False
    for value in ("nan", True, "fast"):
        with pytest.raises(ValueError, match="m parameter 'lr' must be a number"):
            _coerce("m", "lr", value, float)
    with pytest.raises(ValueError, match="m parameter 'flag' must be true or false"):
        _coerce("m", "flag", "maybe", bool)
