"""GANSpace (guiapp.core.methods.ganspace and its steps): estimators, regression, the method,
and the DCGAN activations it samples."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from synthetic import LinearFeatureGenerator, LinearStyleGenerator

from guiapp.core.methods import activation_pca, ganspace, latent_sampling, pca, run_method
from guiapp.core.models.dcgan.network import LatentProjection, fold_batchnorm
from guiapp.core.models.registry import DEFAULT_MODEL, find_builtin, load_model
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.types import LayerRange


def planted_data(n: int, dim: int, seed: int, offset: float = 0.0) -> np.ndarray:
    """(n, dim) samples with a decaying, distinct spectrum and a common offset."""
    rng = np.random.RandomState(seed)
    basis, _ = np.linalg.qr(rng.randn(dim, dim))
    scales = 3.0 * 0.8 ** np.arange(dim)
    return offset + rng.randn(n, dim) * scales @ basis.T


def numpy_pca(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eigenvalues descending, eigenvectors as rows, covariance) by numpy alone."""
    cov = np.cov(data, rowvar=False)
    values, vectors = np.linalg.eigh(cov)
    return values[::-1], vectors[:, ::-1].T, cov


def abs_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise |cos| between (K, D) arrays."""
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.abs(np.sum(a * b, axis=1))


def assert_sign_rule(vectors: np.ndarray) -> None:
    pivots = vectors[np.arange(len(vectors)), np.argmax(np.abs(vectors), axis=1)]
    assert np.all(pivots > 0)


# -- estimators ---------------------------------------------------------------------------------


def test_exact_streaming_pca_matches_numpy() -> None:
    data = planted_data(5000, 12, seed=1, offset=1e4)  # a large offset must not hurt
    batches = np.array_split(data, [7, 1000, 1001, 3500])  # uneven batch sizes
    result = pca.exact_pca_streaming(batches, 5, seed=9)
    values, vectors, cov = numpy_pca(data)
    assert result.n == 5000
    np.testing.assert_allclose(result.mean, data.mean(0), rtol=1e-12)
    np.testing.assert_allclose(result.variances, values[:5], rtol=1e-7)
    assert abs_cosines(result.components, vectors[:5]).min() > 1 - 1e-9
    assert result.total_variance == pytest.approx(np.trace(cov), rel=1e-8)
    np.testing.assert_allclose(result.ratios, values[:5] / np.trace(cov), rtol=1e-7)
    assert_sign_rule(result.components)
    probes = pca.random_unit_vectors(12, pca.BASELINE_DIRECTIONS, 9)
    expected = np.mean(np.einsum("id,de,ie->i", probes, cov, probes)) / np.trace(cov)
    assert result.baseline == pytest.approx(expected, rel=1e-7)


def test_exact_streaming_pca_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="at least 2 samples"):
        pca.exact_pca_streaming([np.ones((1, 3))], 1)
    with pytest.raises(ValueError, match="k=4 must be between 1 and the data's dimension 3"):
        pca.exact_pca_streaming([np.random.RandomState(0).randn(10, 3)], 4)


def test_randomized_pca_matches_exact_pca_of_the_cache() -> None:
    data = planted_data(4000, 64, seed=2, offset=5.0).astype(np.float32)
    batches = (torch.from_numpy(b) for b in np.array_split(data, 8))
    cache = activation_pca.cache_activations(batches, 4000)
    assert cache.data.dtype == torch.bfloat16 and cache.data.shape == (4000, 64)
    stored = cache.data.double().numpy() + cache.shift.double().numpy()
    assert np.abs(stored - data).max() < 0.05  # bfloat16 of centred values
    result = activation_pca.randomized_pca(cache, 8, seed=4, chunk=1000)
    values, vectors, cov = numpy_pca(stored)
    np.testing.assert_allclose(result.variances, values[:8], rtol=1e-4)
    assert abs_cosines(result.components, vectors[:8]).min() > 1 - 1e-6
    np.testing.assert_allclose(result.mean, stored.mean(0), atol=1e-6)
    assert result.total_variance == pytest.approx(np.trace(cov), rel=1e-6)
    # each score is exactly the variance along the returned direction
    rayleigh = np.einsum("kd,de,ke->k", result.components, cov, result.components)
    np.testing.assert_allclose(result.variances, rayleigh, rtol=1e-6)
    assert_sign_rule(result.components)
    assert 0.3 / 64 < result.baseline < 3 / 64


def test_randomized_pca_gets_closer_with_more_iterations() -> None:
    data = planted_data(3000, 200, seed=5).astype(np.float32)
    cache = activation_pca.cache_activations([torch.from_numpy(data)], 3000)
    _, vectors, _ = numpy_pca(cache.data.double().numpy())
    errors = []
    for iterations in (1, 2, 6):
        result = activation_pca.randomized_pca(cache, 10, oversample=2, iterations=iterations)
        errors.append(1 - abs_cosines(result.components, vectors[:10]).min())
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-4


def test_latent_batches_continue_one_stream() -> None:
    gen = LinearFeatureGenerator()
    batches = list(latent_sampling.latent_batches(7, 1003, gen.z_dim, 100))
    assert [len(b) for b in batches] == [100] * 10 + [3]
    np.testing.assert_array_equal(np.concatenate(batches), gen.sample_z(1003, 7))


def test_ganspace_module_still_offers_its_steps() -> None:
    """The method's entry and the steps benchmarks/bench_discovery.py runs one by one."""
    from guiapp.core.methods.ganspace import Params, discover  # noqa: F401

    assert ganspace.cache_activations is activation_pca.cache_activations
    assert ganspace.randomized_pca is activation_pca.randomized_pca
    assert ganspace.ActivationCache is activation_pca.ActivationCache
    assert ganspace.latent_batches is latent_sampling.latent_batches
    assert ganspace.feature_batches is latent_sampling.feature_batches
    assert ganspace.exact_pca_streaming is pca.exact_pca_streaming
    assert callable(ganspace.regress_to_latent)


def test_cache_refuses_to_grow_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(activation_pca, "MAX_CACHE_BYTES", 1000)
    with pytest.raises(ValueError, match=r"need .* GiB; use fewer samples"):
        run_method(LinearFeatureGenerator(), "ganspace", {"k": 2, "samples": 100})


# -- single-latent generators: PCA of activations, regression to z ------------------------------


@pytest.fixture(scope="module")
def planted():
    gen = LinearFeatureGenerator(wobble=0.02)
    return gen, run_method(gen, "ganspace", {"k": 6, "samples": 20_000, "seed": 3})


def test_recovers_planted_components_and_ratios(planted) -> None:
    gen, ds = planted
    assert (ds.method, ds.space, ds.model_id, len(ds), ds.dim) == (
        "ganspace",
        "z",
        gen.model_id,
        6,
        gen.z_dim,
    )
    expected = gen.s**2 / np.sum(gen.s**2)
    np.testing.assert_allclose(ds.scores, expected[:6], rtol=0.05)
    assert np.all(np.diff(ds.scores) < 0)
    assert ds.ranking.kind == "explained_variance" and ds.ranking.percent
    np.testing.assert_allclose(ds.ranking.values, ds.scores)
    assert 0.5 / 40 < ds.ranking.baseline < 2 / 40  # about 1/D for D = 40
    assert all(d.default_layers is None for d in ds.directions)


def test_regression_recovers_planted_latent_directions(planted) -> None:
    gen, ds = planted
    assert abs_cosines(ds.vectors, gen.u[:, :6].T).min() > 0.99
    np.testing.assert_allclose(np.linalg.norm(ds.vectors, axis=1), 1.0, atol=1e-6)
    assert_sign_rule(ds.vectors)
    # one slider unit moves its own component by one standard deviation, the others not
    steps = np.stack([d.vector * d.unit_scale for d in ds.directions])  # (6, z_dim)
    moved = (steps @ gen.b) @ gen.v / gen.s  # planted component coordinates, in sigmas
    np.testing.assert_allclose(np.abs(moved[:, :6]), np.eye(6), atol=0.05)


def test_params_are_recorded_as_json(planted) -> None:
    _, ds = planted
    assert json.loads(json.dumps(ds.params)) == ds.params
    assert ds.params["k"] == 6 and ds.params["samples"] == 20_000 and ds.params["seed"] == 3
    assert ds.params["estimator"] == "randomized" and ds.params["layer"] == "linear"


def test_same_seed_same_result_and_another_seed_differs() -> None:
    gen = LinearFeatureGenerator(wobble=0.05)
    params = {"k": 4, "samples": 3000, "seed": 11, "regression_samples": 2000}
    first, second = (run_method(gen, "ganspace", params) for _ in range(2))
    np.testing.assert_array_equal(first.vectors, second.vectors)
    np.testing.assert_array_equal(first.scores, second.scores)
    assert [d.unit_scale for d in first.directions] == [d.unit_scale for d in second.directions]
    other = run_method(gen, "ganspace", {**params, "seed": 12})
    assert not np.array_equal(other.scores, first.scores)


def test_progress_partial_result_and_cancel() -> None:
    gen = LinearFeatureGenerator()
    seen: list[tuple[float, str]] = []
    partials: list = []

    def progress(fraction: float, message: str) -> None:
        seen.append((fraction, message))

    ds = run_method(
        gen,
        "ganspace",
        {"k": 3, "samples": 5000, "batch_size": 500},
        progress=progress,
        on_partial=partials.append,
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum("sampling" in m for _, m in seen) >= 10  # once per batch
    assert any("PCA pass" in m for _, m in seen) and any("regression" in m for _, m in seen)
    assert partials == [ds.ranking]  # the ranking, before the directions are done

    for stage in ("sampling", "PCA", "regression"):
        token = CancelToken()

        def cancel_in_stage(fraction: float, message: str, stage=stage, token=token) -> None:
            if stage in message:
                token.cancel()

        with pytest.raises(Cancelled):
            run_method(
                gen, "ganspace", {"k": 3, "samples": 5000}, progress=cancel_in_stage, cancel=token
            )


def test_bad_layer_and_k_are_refused() -> None:
    gen = LinearFeatureGenerator()
    with pytest.raises(ValueError, match="unknown layer 'block9'; this model has linear"):
        run_method(gen, "ganspace", {"layer": "block9", "samples": 100})
    with pytest.raises(ValueError, match="k=100 needs more than k samples"):
        run_method(gen, "ganspace", {"k": 100, "samples": 100})
    with pytest.raises(ValueError, match="k=50 must be between 1 and 40"):
        run_method(gen, "ganspace", {"samples": 1000})  # default k = 50 > D = 40


# -- style-based generators: exact PCA in w -----------------------------------------------------


def test_style_model_gets_exact_pca_directions_in_w() -> None:
    gen = LinearStyleGenerator()
    params = {"k": 4, "samples": 20_000, "seed": 5, "layers": "1-2", "batch_size": 999}
    ds = run_method(gen, "ganspace", params)
    with torch.inference_mode():
        z = torch.cat(list(latent_sampling.fast_latent_batches(5, 20_000, gen.z_dim, 4096)))
        w = gen.map(z)[:, 0].double().numpy()
    values, vectors, cov = numpy_pca(w)
    assert (ds.space, ds.dim, len(ds), ds.params["estimator"]) == ("w", gen.w_dim, 4, "exact")
    assert abs_cosines(ds.vectors, vectors[:4]).min() > 1 - 1e-6
    np.testing.assert_allclose(ds.scores, values[:4] / np.trace(cov), rtol=1e-6)
    np.testing.assert_allclose(
        [d.unit_scale for d in ds.directions], np.sqrt(values[:4]), rtol=1e-6
    )
    assert all(d.default_layers == LayerRange(1, 3) for d in ds.directions)
    assert_sign_rule(ds.vectors)
    with pytest.raises(ValueError, match="k=11 is more than w's 10 dimensions"):
        run_method(gen, "ganspace", {"k": 11, "samples": 100})
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_method(gen, "ganspace", {"k": 2, "samples": 100}, cancel=token)


# -- the built-in DCGAN ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return load_model("builtin:dcgan-digiface")


@pytest.mark.slow
def test_builtin_model_ratios_are_stable_across_seeds(model) -> None:
    params = {"k": 10, "samples": 20_000, "regression_samples": 3000}
    runs = [run_method(model, "ganspace", {**params, "seed": seed}) for seed in (0, 1)]
    for ds in runs:
        assert (ds.space, ds.dim, len(ds)) == ("z", 100, 10)
        assert ds.params["layer"] == "block0"
        assert np.all(np.diff(ds.scores) < 0)
        assert 0.05 < ds.scores[0] < 0.3  # the first component explains a real share
        assert 0.5 / 8192 < ds.ranking.baseline < 2 / 8192
        assert all(d.unit_scale > 0 for d in ds.directions)
    np.testing.assert_allclose(runs[0].scores[:5], runs[1].scores[:5], rtol=0.05)
    assert abs_cosines(runs[0].vectors[:2], runs[1].vectors[:2]).min() > 0.95


def test_builtin_model_is_deterministic(model) -> None:
    params = {"k": 5, "samples": 2000, "regression_samples": 1000, "seed": 4}
    first = run_method(model, "ganspace", params)
    second = run_method(model, "ganspace", params)
    np.testing.assert_array_equal(first.vectors, second.vectors)
    np.testing.assert_array_equal(first.scores, second.scores)


# -- the DCGAN's first block as a matrix product (the activations GANSpace samples) ------------


def conv_transpose_dcgan(ref: str) -> list[torch.nn.ConvTranspose2d]:
    """The DCGAN as transposed convolutions throughout, the first one on a 1x1 input."""
    path = find_builtin(ref).weights
    tensors = load_file(str(path))
    with safe_open(str(path), "pt") as fh:
        meta = fh.metadata()
    n = int(meta["num_blocks"])
    convs = []
    for i in range(n):
        w = tensors[f"conv{i}.weight"].float()
        b = torch.zeros(w.shape[1])
        if i < n - 1:
            bn = [
                tensors[f"bn{i}.{p}"].float()
                for p in ("weight", "bias", "running_mean", "running_var")
            ]
            w, b = fold_batchnorm(w, *bn, float(meta.get("bn_eps", "1e-5")))
        conv = torch.nn.ConvTranspose2d(
            w.shape[0], w.shape[1], 4, 1 if i == 0 else 2, 0 if i == 0 else 1
        )
        conv.weight.data.copy_(w)
        conv.bias.data.copy_(b)
        convs.append(conv.requires_grad_(False))
    return convs


def conv_transpose_blocks(
    convs: list[torch.nn.ConvTranspose2d], z: torch.Tensor, upto: int
) -> torch.Tensor:
    x = z[:, :, None, None]
    for i, conv in enumerate(convs[: upto + 1]):
        x = conv(x)
        x = torch.tanh(x) if i == len(convs) - 1 else torch.relu(x)
    return x


def test_latent_projection_is_the_transposed_convolution_of_a_1x1_input() -> None:
    gen = torch.Generator().manual_seed(0)
    weight, bias = torch.randn(7, 5, 3, 3, generator=gen), torch.randn(5, generator=gen)
    z = torch.randn(11, 7, generator=gen)
    expected = torch.nn.functional.conv_transpose2d(z[:, :, None, None], weight, bias)
    torch.testing.assert_close(LatentProjection(weight, bias)(z), expected, atol=1e-5, rtol=0)


def test_dcgan_features_and_images_match_the_transposed_convolutions(model) -> None:
    convs = conv_transpose_dcgan(DEFAULT_MODEL)
    for n in (1, 64):
        z = torch.from_numpy(model.sample_z(n, 5)).float()
        with torch.inference_mode():
            ws = model.map(z)
            for layer in model.feature_layers:
                expected = conv_transpose_blocks(convs, z, int(layer[5:])).flatten(1)
                torch.testing.assert_close(model.features(ws, layer), expected, atol=1e-5, rtol=0)
            expected = conv_transpose_blocks(convs, z, len(convs) - 1)
            torch.testing.assert_close(model.synthesize(ws), expected, atol=1e-5, rtol=0)


def test_dcgan_features_stay_differentiable_in_the_latent(model) -> None:
    convs = conv_transpose_dcgan(DEFAULT_MODEL)
    z = torch.from_numpy(model.sample_z(8, 6)).float()
    probe = torch.randn(8, model.feature_dim("block1"), generator=torch.Generator().manual_seed(1))
    grads = []
    for features in (
        lambda z: model.features(model.map(z), "block1"),
        lambda z: conv_transpose_blocks(convs, z, 1).flatten(1),
    ):
        z_var = z.clone().requires_grad_(True)
        (features(z_var) * probe).sum().backward()
        grads.append(z_var.grad)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-4, rtol=1e-4)
