"""SeFa, GANSpace and LatentCLR on BigGAN-deep, in core and through the CLI, on the small
generator of :mod:`tests.biggan_fixtures` saved in the reference's file format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from biggan_fixtures import SMALL_CONFIG, make_naive, write_biggan
from cli_support import run

from guiapp.core.edits import apply_edits
from guiapp.core.methods import ganspace, latentclr, run_method, sefa
from guiapp.core.methods.streaming_pca import streaming_pca
from guiapp.core.models.registry import load_model
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.render import base_latents, render_image
from guiapp.core.types import Edit, LayerRange

Z = SMALL_CONFIG["z_dim"]
NUM_WS = len(SMALL_CONFIG["layers"]) + 1


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_biggan(tmp_path_factory.mktemp("biggan") / "bg", legacy=True)


@pytest.fixture(scope="module")
def model(weights):
    return load_model(str(weights))


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal-angle cosines between the row spaces of ``a`` and ``b``."""
    qa, qb = np.linalg.qr(a.T)[0], np.linalg.qr(b.T)[0]
    return np.linalg.svd(qa.T @ qb, compute_uv=False)


def test_sefa_on_gen_z_and_on_a_block_range_factorises_those_weights(model):
    naive = make_naive().generator
    blocks = [m for m in naive.layers if hasattr(m, "bn_0")]
    for layers, rows in (
        (None, [naive.gen_z.weight[:, :Z]]),
        (LayerRange(2, 4), [getattr(getattr(b, f"bn_{k}"), p).weight[:, :Z]
                            for b in blocks[1:3] for k in range(4) for p in ("scale", "offset")]),
    ):
        result = sefa.discover(model, sefa.Params(k=3, layers=layers))
        a = torch.cat(rows).double().numpy()
        a /= np.linalg.norm(a, axis=1, keepdims=True)
        values, vectors = np.linalg.eigh(a.T @ a)
        want = vectors[:, ::-1][:, :3].T
        got = np.stack([d.vector for d in result.directions])
        assert np.abs(np.sum(got * want, axis=1)).min() > 0.999
        np.testing.assert_allclose([d.score for d in result.directions], values[::-1][:3],
                                   rtol=1e-4)
        assert all(d.default_layers == layers for d in result.directions)


def test_an_edit_on_a_layer_range_moves_only_those_latents(model):
    ds = sefa.discover(model, sefa.Params(k=2, layers=LayerRange(2, 4)))
    base = base_latents(model, 3, 0.5, class_index=11)
    edited = apply_edits(base, ds, [Edit(0, 3.0, LayerRange(2, 4))])
    changed = (edited - base).abs().amax(dim=2)[0] > 0
    assert changed.tolist() == [i in (2, 3) for i in range(NUM_WS)]
    plain = render_image(model, 3, 0.5, class_index=11)
    moved = render_image(model, 3, 0.5, ds, [Edit(0, 3.0, LayerRange(2, 4))], class_index=11)
    assert np.abs(moved.astype(int) - plain.astype(int)).max() > 0


def test_streaming_pca_matches_the_exact_pca_with_memory_per_dimension_only():
    rng = np.random.RandomState(0)
    dim, n, rank = 400, 3000, 30
    basis = rng.randn(rank, dim) * np.linspace(3, 0.2, rank)[:, None]
    data = (rng.randn(n, rank) @ basis + 4.0 + 0.01 * rng.randn(n, dim)).astype(np.float32)
    res = streaming_pca((torch.from_numpy(data[i : i + 256]) for i in range(0, n, 256)),
                        dim, 10, oversample=40, seed=1)
    cov = np.cov(data.T.astype(np.float64))
    values, vectors = np.linalg.eigh(cov)
    assert _cosines(res.components, vectors[:, ::-1][:, :10].T).min() > 0.9999
    np.testing.assert_allclose(res.variances, values[::-1][:10], rtol=1e-3)
    assert res.total_variance == pytest.approx(np.trace(cov), rel=1e-6)
    np.testing.assert_allclose(res.mean, data.mean(0), atol=1e-4)
    assert 0 < res.baseline < 10 / dim


def test_ganspace_streaming_and_cache_find_the_same_gen_z_components(model):
    params = dict(k=4, samples=1500, regression_samples=600, batch_size=250)
    results = {est: ganspace.discover(model, ganspace.Params(**params, estimator=est))
               for est in ("streaming", "cache")}
    a, b = (np.stack([d.vector for d in results[e].directions]) for e in ("streaming", "cache"))
    assert _cosines(a, b).min() > 0.999
    ratios = [[d.score for d in results[e].directions] for e in ("streaming", "cache")]
    np.testing.assert_allclose(ratios[0], ratios[1], rtol=0.05)
    assert results["streaming"].params["estimator"] == "streaming"
    assert results["streaming"].params["layer"] == "generator.gen_z"


def test_ganspace_picks_streaming_for_wide_activations():
    p = ganspace.Params()
    assert ganspace.choose_estimator(p, 32_768) == "streaming"  # BigGAN-deep's gen_z
    assert ganspace.choose_estimator(p, 8192) == "cache"  # DCGAN, PGGAN first blocks
    assert ganspace.choose_estimator(ganspace.Params(samples=10**6), 8192) == "streaming"
    assert ganspace.choose_estimator(ganspace.Params(estimator="cache"), 32_768) == "cache"
    with pytest.raises(ValueError, match="estimator"):
        ganspace.Params(estimator="exact")


def test_ganspace_streaming_reports_progress_and_cancels(model):
    seen: list[float] = []
    token = CancelToken()

    def progress(fraction: float, message: str) -> None:
        seen.append(fraction)
        if fraction > 0.3:
            token.cancel()

    with pytest.raises(Cancelled):
        run_method(model, "ganspace", {"k": 3, "samples": 4000, "estimator": "streaming",
                                       "batch_size": 200}, progress=progress, cancel=token)
    assert seen == sorted(seen) and 0.3 < seen[-1] < 0.9


def test_latentclr_trains_at_the_first_block_with_per_layer_latents(model):
    assert latentclr.resolve_layer(model, None) == "generator.layers.0"
    params = latentclr.Params(k=3, iterations=6, batch=4, layers=LayerRange(1, 2))
    result = latentclr.discover(model, params)
    vectors = np.stack([d.vector for d in result.directions])
    assert vectors.shape == (3, Z) and np.isfinite(vectors).all()
    assert result.params["layer"] == "generator.layers.0"
    # Latent 1 feeds block 0, the layer compared: its features move with the edit.
    ws = model.map(torch.from_numpy(model.sample_z(2, 0)).float())
    moved = ws.clone()
    moved[:, 1] += torch.from_numpy(vectors[0]).float() * 2
    base = model.features(ws, "generator.layers.0")
    assert float((model.features(moved, "generator.layers.0") - base).abs().max()) > 1e-3
    moved = ws.clone()
    moved[:, 2] += 2.0  # latent 2 feeds block 1, after the layer compared
    torch.testing.assert_close(model.features(moved, "generator.layers.0"), base)


def test_cli_info_render_and_discover_on_a_biggan_folder(weights, tmp_path, capsys):
    folder = weights.parent
    code, out, _ = run(capsys, "info", folder)
    assert code == 0 and "biggan-deep-pytorch" in out and "classes:     1000" in out
    png = tmp_path / "r.png"
    code, _, err = run(capsys, "render", folder, "--seed", 5, "--class", 207,
                       "--truncation", 0.4, "-o", png)
    assert code == 0, err
    from PIL import Image

    want = render_image(load_model(str(folder)), 5, 0.4, class_index=207)
    np.testing.assert_array_equal(np.asarray(Image.open(png).convert("RGB")), want)
    for method, extra in (("sefa", ["--layers", "2-4"]), ("ganspace", ["--samples", "800"]),
                          ("latentclr", ["--iterations", "3", "--batch", "3"])):
        out_file = tmp_path / f"{method}.npz"
        code, out, err = run(capsys, "discover", weights, "--method", method, "-k", 3,
                             *extra, "-o", out_file, "--no-progress")
        assert code == 0, err
        assert out_file.is_file() and f"saved 3 {method} directions (z, {Z}-D)" in out
    code, _, err = run(capsys, "render", weights, "--seed", 1, "--directions",
                       tmp_path / "sefa.npz", "--edit", "0=2@2-3", "-o", tmp_path / "e.png")
    assert code == 0, err
    code, _, err = run(capsys, "render", weights, "--seed", 1, "--class", 1000, "-o", png)
    assert code == 2 and err.count("\n") == 1
