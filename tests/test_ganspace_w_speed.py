"""GANSpace in w, the fast pieces: the seeded float32 latent stream, float32 batch products
in the float64 moments (near-exact on realistic w), and the method's reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stylegan_fixtures import random_generator

from guiapp.core.methods import ganspace
from guiapp.core.methods.latent_sampling import Z_CHUNK, fast_latent_batches
from guiapp.core.methods.pca import MomentAccumulator, exact_pca_streaming
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan2.layers import MappingNetwork


def abs_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return np.abs(np.sum(a * b, axis=1)) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.parametrize("z_dim", [7, 512])
def test_fast_latents_are_one_stream_whatever_the_batch_size(z_dim: int) -> None:
    n = Z_CHUNK + 1003
    whole = torch.cat(list(fast_latent_batches(3, n, z_dim, n)))
    assert whole.shape == (n, z_dim) and whole.dtype == torch.float32
    for batch_size in (1, 100, Z_CHUNK, Z_CHUNK + 7):
        batches = list(fast_latent_batches(3, n, z_dim, batch_size))
        assert [len(b) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
        assert torch.equal(torch.cat(batches), whole)
    other = torch.cat(list(fast_latent_batches(4, n, z_dim, 500)))
    assert not torch.equal(other, whole)
    assert abs(float(whole.mean())) < 0.05 and abs(float(whole.std()) - 1) < 0.05


@pytest.fixture(scope="module")
def realistic_w() -> torch.Tensor:
    """(20 000, 512) float32 w of a config-f sized mapping (8 layers, lr 0.01), random weights
    and biases: a large common offset and a slowly decaying spectrum."""
    torch.manual_seed(0)
    mapping = MappingNetwork(512, 0, 512, 1, 8).eval().requires_grad_(False)
    with torch.no_grad():
        for name, p in mapping.named_parameters():
            if name.endswith("bias"):
                p.add_(torch.randn(p.shape))
    with torch.inference_mode():
        return mapping(torch.cat(list(fast_latent_batches(0, 20_000, 512, 4096))))[:, 0]


@pytest.mark.parametrize("batch_size", [500, 4096, 20_000])
def test_float32_products_match_float64_on_realistic_w(realistic_w, batch_size: int) -> None:
    exact = exact_pca_streaming(realistic_w.double().split(batch_size), 80, seed=1)
    fast = exact_pca_streaming(realistic_w.split(batch_size), 80, seed=1)
    assert abs_cosines(fast.components, exact.components).min() >= 0.99999
    np.testing.assert_allclose(fast.variances, exact.variances, rtol=1e-5)
    np.testing.assert_allclose(fast.total_variance, exact.total_variance, rtol=1e-6)
    np.testing.assert_allclose(fast.mean, exact.mean, rtol=0, atol=1e-6)
    np.testing.assert_allclose(fast.baseline, exact.baseline, rtol=1e-6)


def test_float32_and_float64_batches_share_one_shift() -> None:
    rng = np.random.RandomState(0)
    data = (1000.0 + rng.randn(3000, 6) * [3.0, 2.0, 1.0, 0.5, 0.2, 0.1]).astype(np.float32)
    reference, mixed = MomentAccumulator(), MomentAccumulator()
    for i, part in enumerate(np.split(data, 6)):
        reference.update(part.astype(np.float64))
        mixed.update(part if i % 2 else part.astype(np.float64))
    np.testing.assert_allclose(mixed.covariance(), reference.covariance(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mixed.mean(), reference.mean(), rtol=1e-12)
    np.testing.assert_allclose(
        reference.covariance(), np.cov(data.astype(np.float64), rowvar=False), rtol=1e-9
    )


def test_pca_in_w_is_reproducible_and_free_of_the_batch_size() -> None:
    model = StyleGANModel(random_generator(seed=2), "tiny", "tiny", "test")

    def vectors(seed: int, batch_size: int) -> np.ndarray:
        params = ganspace.Params(k=5, samples=3000, seed=seed, batch_size=batch_size)
        return ganspace.discover(model, params).vectors

    first = vectors(3, 500)
    assert np.array_equal(vectors(3, 500), first)
    np.testing.assert_allclose(vectors(3, 999), first, rtol=0, atol=1e-6)
    assert abs_cosines(vectors(4, 500), first).min() < 0.999
    with torch.inference_mode():
        z = torch.cat(list(fast_latent_batches(3, 3000, model.z_dim, 3000)))
        w = model.map(z)[:, 0].double()
    expected = exact_pca_streaming([w], 5)
    assert abs_cosines(first, expected.components).min() > 1 - 1e-6


def test_default_samples_are_a_million_in_w_and_100k_for_activations():
    from stylegan_fixtures import random_generator

    from guiapp.core.methods.ganspace import default_samples
    from guiapp.core.models.registry import DEFAULT_MODEL, load_model
    from guiapp.core.models.stylegan2.adapter import StyleGANModel

    assert default_samples(load_model(DEFAULT_MODEL)) == 100_000
    model = StyleGANModel(random_generator(seed=1), "tiny", "tiny-id", "test")
    assert default_samples(model) == 1_000_000
