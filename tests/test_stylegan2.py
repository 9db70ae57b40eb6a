"""Our StyleGAN2 network and its adapter: resampling, modulated convs, latents, noise,
truncation, edits, previews, features, SeFa and GANSpace on a tiny generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from stylegan_fixtures import random_generator, tiny_config, write_nvidia_pickle

from guiapp.core.edits import apply_edits
from guiapp.core.methods import ganspace, sefa
from guiapp.core.models.ops.resample import conv2d_up2, make_filter, upsample2d
from guiapp.core.models.registry import load_model
from guiapp.core.models.stylegan2.layers import modulated_conv2d
from guiapp.core.types import Direction, DirectionSet, Edit, LayerRange


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("sg2") / "tiny.pkl"
    return load_model(str(write_nvidia_pickle(path, random_generator(seed=7))))


def _ws(model, n=2, seed=0):
    with torch.no_grad():
        return model.map(torch.from_numpy(model.sample_z(n, seed)).float())


def test_conv2d_up2_equals_zero_insertion_filter_and_conv():
    torch.manual_seed(0)
    x, w, f = torch.randn(2, 3, 5, 5), torch.randn(4, 3, 3, 3), make_filter()
    up = torch.zeros(2, 3, 10, 10)
    up[:, :, ::2, ::2] = x
    # pad 1 (conv) + filter padding (2, 1), filter gain 4, then a valid 3x3 convolution
    blurred = F.conv2d(F.pad(up, [3, 2, 3, 2]), (4 * f).expand(3, 1, 4, 4), groups=3)
    expected = F.conv2d(blurred, w.flip([2, 3]))
    torch.testing.assert_close(conv2d_up2(x, w, f, padding=1), expected, atol=1e-5, rtol=1e-5)


def test_upsample2d_keeps_a_constant_image_constant_inside():
    y = upsample2d(torch.ones(1, 1, 6, 6), make_filter())
    assert y.shape == (1, 1, 12, 12)
    torch.testing.assert_close(y[..., 2:-2, 2:-2], torch.ones(1, 1, 8, 8))


@pytest.mark.parametrize("up", [1, 2])
def test_fused_and_unfused_modulated_conv_agree(up):
    torch.manual_seed(1)
    x, w, s = torch.randn(3, 8, 6, 6), torch.randn(5, 8, 3, 3), torch.randn(3, 8)
    args = {"up": up, "padding": 1, "resample_filter": make_filter()}
    fused = modulated_conv2d(x, w, s, fused=True, **args)
    torch.testing.assert_close(fused, modulated_conv2d(x, w, s, **args), atol=1e-4, rtol=1e-4)
    # demodulated output channels have unit weight norm per sample
    one = modulated_conv2d(torch.zeros(1, 8, 6, 6), w, s[:1], up=1, padding=1)
    assert torch.all(one == 0)


def test_shapes_num_ws_and_broadcast(model):
    assert model.latent_space == "w" and model.num_ws == 6 and model.feature_layers[0] == "b4.conv1"
    ws = _ws(model, 3)
    assert ws.shape == (3, 6, 32) and torch.equal(ws[:, :1].expand_as(ws), ws)
    with torch.no_grad():
        assert model.synthesize(ws).shape == (3, 3, 16, 16)
    with pytest.raises(ValueError, match=r"ws must be \(N, 6, 32\)"):
        model.synthesize(ws[:, :5])


def test_batch_and_seed_determinism(model):
    ws = _ws(model, 3, seed=11)
    with torch.no_grad():
        batch = model.synthesize(ws)
        single = torch.cat([model.synthesize(ws[i : i + 1]) for i in range(3)])
        again = model.synthesize(_ws(model, 3, seed=11))
    assert torch.equal(batch, again)
    torch.testing.assert_close(single, batch, atol=1e-4, rtol=1e-4)


def test_noise_modes(model):
    ws = _ws(model, 1)
    with torch.no_grad():
        const = model.synthesize(ws, "const")
        none = model.synthesize(ws, "none")
        r1 = model.synthesize(ws, "random", generator=torch.Generator().manual_seed(1))
        r1b = model.synthesize(ws, "random", generator=torch.Generator().manual_seed(1))
        r2 = model.synthesize(ws, "random", generator=torch.Generator().manual_seed(2))
    assert torch.equal(r1, r1b)
    assert not torch.equal(r1, r2) and not torch.equal(const, none)
    assert not torch.equal(const, r1)
    with pytest.raises(ValueError, match="noise_mode"):
        model.synthesize(ws, "loud")


def test_truncation_towards_w_avg(model):
    ws = _ws(model, 2)
    torch.testing.assert_close(model.truncate(ws, 0.0), model.w_avg.expand_as(ws))
    half = model.truncate(ws, 0.5)
    torch.testing.assert_close(half - model.w_avg, 0.5 * (ws - model.w_avg))
    assert model.truncate(ws, 1.0) is ws
    cut = model.truncate(ws, 0.5, cutoff=2)
    torch.testing.assert_close(cut[:, :2], half[:, :2])
    assert torch.equal(cut[:, 2:], ws[:, 2:])


def _direction_set(model, vector):
    direction = Direction(vector=vector, score=1.0, unit_scale=1.0)
    return DirectionSet("sefa", "w", model.model_id, {}, (direction,))


def test_edits_alpha_zero_and_layer_ranges(model):
    ws = _ws(model, 2)
    ds = _direction_set(model, np.eye(32, dtype=np.float32)[0])
    assert torch.equal(apply_edits(ws, ds, [Edit(0, 0.0, LayerRange(0, 6))]), ws)
    edited = apply_edits(ws, ds, [Edit(0, 3.0, LayerRange(2, 4))])
    changed = (edited != ws).any(dim=2).any(dim=0)
    assert changed.tolist() == [False, False, True, True, False, False]
    with torch.no_grad():
        assert not torch.equal(model.synthesize(edited), model.synthesize(ws))


def test_w_indices_reach_the_right_layers(model):
    ws = _ws(model, 1)
    moved = ws.clone()
    moved[:, 5] += 1.0  # only the last ToRGB reads the last w
    with torch.no_grad():
        base = model.synthesize(ws)
        assert not torch.equal(model.synthesize(moved), base)
        # the 8x8 preview reads ws 0..3 only
        torch.testing.assert_close(
            model.synthesize_preview(moved, 8), model.synthesize_preview(ws, 8)
        )


def test_preview_resolutions(model):
    ws = _ws(model, 2)
    with torch.no_grad():
        assert model.synthesize_preview(ws, 8).shape == (2, 3, 8, 8)
        assert model.synthesize_preview(ws, 5).shape == (2, 3, 4, 4)
        assert torch.equal(model.synthesize_preview(ws, 16), model.synthesize(ws))
    assert model.preview_resolutions() == (4, 8, 16)


def test_features(model):
    ws = _ws(model, 2)
    with torch.no_grad():
        first = model.features(ws, "b4.conv1")
        assert first.shape == (2, 32 * 4 * 4)
        assert model.features(ws, "b16.conv0").shape == (2, 16 * 16 * 16)
    with pytest.raises(ValueError, match="unknown layer"):
        model.features(ws, "b4.conv0")


def test_training_features_never_form_per_sample_weights(model):
    """LatentCLR backpropagates through features of K * N = 1024 latents at once: per-sample
    modulated weights would be 9.7 GB at 512 channels. Nothing 5-D may be kept for backward."""
    ws = _ws(model, 6).requires_grad_(True)
    saved: list[torch.Size] = []

    def keep(t: torch.Tensor) -> torch.Tensor:
        saved.append(t.shape)
        return t

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
        feats = model.features(ws, "b8.conv1")
    feats.square().sum().backward()
    assert saved and all(len(shape) < 5 for shape in saved)
    assert ws.grad is not None and torch.isfinite(ws.grad).all()


def test_sefa_weights_follow_genforce(model):
    net = model.net.synthesis
    convs = [net.b4.conv1, net.b8.conv0, net.b8.conv1, net.b16.conv0, net.b16.conv1]
    assert model.sefa_weights((0, 5)).shape == (sum(c.weight.shape[1] for c in convs), 32)
    last = model.sefa_weights((5, 6))
    torch.testing.assert_close(last, net.b16.torgb.affine.weight / np.sqrt(32))
    with pytest.raises(ValueError):
        model.sefa_weights((3, 9))


def test_sefa_on_style_model(model):
    ds = sefa.discover(model, sefa.Params(k=8, layers=LayerRange(1, 4)))
    vectors = np.stack([d.vector for d in ds.directions]).astype(np.float64)
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(8), atol=1e-5)
    # independent: stack raw affine weights of convs 1..3, unit rows, top eigenvectors
    net = model.net.synthesis
    raw = torch.cat([net.b8.conv0.affine.weight, net.b8.conv1.affine.weight,
                     net.b16.conv0.affine.weight]).double().numpy()  # fmt: skip
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    values, vecs = np.linalg.eigh(raw.T @ raw)
    np.testing.assert_allclose([d.score for d in ds.directions], values[::-1][:8], rtol=1e-6)
    for d, v in zip(ds.directions, vecs[:, ::-1].T[:8], strict=True):
        assert abs(abs(float(d.vector @ v)) - 1) < 1e-4
    assert ds.directions[0].default_layers == LayerRange(1, 4)


def test_ganspace_in_w(model):
    ds = ganspace.discover(model, ganspace.Params(k=5, samples=2000, batch_size=500))
    assert ds.space == "w" and len(ds.directions) == 5
    vectors = np.stack([d.vector for d in ds.directions]).astype(np.float64)
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(5), atol=1e-4)
    assert all(d.unit_scale > 0 for d in ds.directions)


def test_resnet_and_unsupported_architectures():
    net = random_generator(tiny_config(architecture="resnet"), seed=2)
    with torch.no_grad():
        ws = net.mapping(torch.randn(2, 32))
        fused = net.synthesis(ws, fused=True)
        torch.testing.assert_close(fused, net.synthesis(ws, fused=False), atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="'cascade' synthesis architecture"):
        tiny_config(architecture="cascade")
