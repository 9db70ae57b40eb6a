"""The StyleGAN2 inference fast paths compute what the reference ops compute, and live
previews stop at a lower-resolution block and are upscaled to the full size."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from stylegan_fixtures import random_generator, tiny_config

from guiapp.core.live_render import LiveRenderer, RenderRequest
from guiapp.core.models.ops import winograd
from guiapp.core.models.ops.resample import make_filter, upsample2d
from guiapp.core.models.stylegan2 import fast as stylegan2_fast
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.render import to_uint8
from guiapp.core.types import Direction, DirectionSet, Edit

TOL = 1e-4  # the issue allows 1e-3 on [-1, 1] images; the fast paths give ~1e-5


def _ws(net, n, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        ws = net.mapping(torch.randn(n, net.z_dim, generator=gen))
        return ws + 0.3 * torch.randn(ws.shape, generator=gen)  # distinct ws per layer


def _both(net, ws, **kwargs):
    with torch.inference_mode():
        fast = net.synthesis(ws, generator=torch.Generator().manual_seed(4), **kwargs)
        ref = net.synthesis(ws, generator=torch.Generator().manual_seed(4), fast=False, **kwargs)
    return fast, ref


@pytest.fixture(scope="module", params=["skip", "resnet", "skip-noclamp"])
def net(request):
    arch, _, noclamp = request.param.partition("-")
    cfg = tiny_config(architecture=arch, **({"conv_clamp": None} if noclamp else {}))
    return random_generator(cfg, seed=5)


@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("noise_mode", ["const", "none", "random"])
def test_fast_synthesis_matches_the_reference_ops(net, n, noise_mode):
    fast, ref = _both(net, _ws(net, n), noise_mode=noise_mode)
    assert fast.shape == ref.shape and fast.is_contiguous()
    assert (fast - ref).abs().max() <= TOL * max(1.0, float(ref.abs().max()))


def test_winograd_layers_match_the_reference_ops(net, monkeypatch):
    monkeypatch.setattr(stylegan2_fast, "WINOGRAD_MIN_CHANNELS", 1)
    monkeypatch.setattr(stylegan2_fast, "WINOGRAD_MIN_RESOLUTION", 4)
    for n in (1, 2):
        fast, ref = _both(net, _ws(net, n, seed=n))
        assert (fast - ref).abs().max() <= TOL * max(1.0, float(ref.abs().max()))


@pytest.mark.parametrize("n", [1, 2])
def test_winograd_conv_equals_direct_conv(n):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, 24, 16, 12, generator=gen)
    w = torch.randn(20, 24, 3, 3, generator=gen) / 15
    s, d, b = torch.rand(n, 24) + 0.5, torch.rand(n, 20) + 0.5, torch.randn(20)
    expected = torch.cat(
        [F.conv2d(x[i : i + 1] * s[i].reshape(1, -1, 1, 1), w, padding=1) for i in range(n)]
    ) * d.reshape(n, -1, 1, 1) + b.reshape(1, -1, 1, 1)
    u = winograd.transform_weight(w)
    got = winograd.conv3x3(x.contiguous(memory_format=torch.channels_last), u, s, d, b)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    with pytest.MonkeyPatch.context() as mp:  # banded: one tile row at a time
        mp.setattr(winograd, "CHUNK_BYTES", 1)
        torch.testing.assert_close(winograd.conv3x3(x, u, s, d, b), expected, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="divisible by 4"):
        winograd.conv3x3(x[..., :10], u, s, d, b)


def test_bilinear_upsampling_equals_the_fir_filter():
    x = torch.randn(2, 3, 5, 7)
    f = make_filter()
    torch.testing.assert_close(stylegan2_fast.upsample2d_fast(x, f), upsample2d(x, f))
    other = make_filter((1, 2, 1))  # not binomial: the generic path
    torch.testing.assert_close(stylegan2_fast.upsample2d_fast(x, other), upsample2d(x, other))


def test_cached_constants_follow_in_place_weight_changes():
    net = random_generator(seed=9)
    ws = _ws(net, 1)
    before, _ = _both(net, ws)
    with torch.no_grad():
        net.synthesis.b8.conv1.weight.mul_(-1.5)
        net.synthesis.b16.conv0.noise_strength.add_(0.5)
        net.synthesis.b8.conv1.affine.bias.add_(0.3)
    after, ref = _both(net, ws)
    assert not torch.allclose(before, after)
    assert (after - ref).abs().max() <= TOL * max(1.0, float(ref.abs().max()))


def test_fast_paths_are_the_default_on_a_cpu_only():
    cpu, other = torch.zeros(1), torch.zeros(1, device="meta")  # meta: any non-CPU device
    assert stylegan2_fast.synthesis_fast(None, cpu)
    assert not stylegan2_fast.synthesis_fast(None, other)  # reference ops: faster on GPUs
    assert stylegan2_fast.synthesis_fast(True, other)
    assert not stylegan2_fast.synthesis_fast(False, cpu)


def test_autograd_takes_the_reference_ops():
    net = random_generator(seed=2)
    ws = _ws(net, 2).requires_grad_(True)
    img = net.synthesis(ws)  # grad enabled: the reference path, differentiable
    img.square().mean().backward()
    assert ws.grad is not None and ws.grad.abs().sum() > 0
    feats = net.synthesis.features(ws, "b8.conv1")
    assert feats.requires_grad
    plain = ws.detach()  # grad mode on but nothing requires grad: the fast path
    with torch.enable_grad():
        fast = net.synthesis(plain)
    ref = net.synthesis(plain, fast=False).detach()
    assert not fast.requires_grad
    assert (fast - ref).abs().max() <= TOL * max(1.0, float(ref.abs().max()))


# -- previews in the live renderer -------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    net = random_generator(tiny_config(img_resolution=32), seed=11)
    return StyleGANModel(net, "tiny", "tiny-id", "test")


@pytest.fixture(scope="module")
def directions(model):
    vecs = np.random.default_rng(0).normal(size=(2, model.w_dim))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    dirs = tuple(Direction(v.astype(np.float32), 1.0, 1.0) for v in vecs)
    return DirectionSet("sefa", "w", model.model_id, {}, dirs)


def test_preview_is_the_upscaled_skip_image(model, directions):
    renderer = LiveRenderer(model, preview_resolution=8)
    full = renderer.render(RenderRequest(3, 0.7, directions, (Edit(0, 1.0),), strip_index=1))
    req = RenderRequest(3, 0.7, directions, (Edit(0, 2.0),), strip_index=1, preview=True)
    result = renderer.render(req)
    assert result.preview_resolution == 8 and full.preview_resolution is None
    assert result.image.shape == (32, 32, 3) and result.image.dtype == np.uint8
    assert result.original is full.original and result.strip is full.strip  # reused
    ws = renderer._base_latents(req) + 2.0 * torch.from_numpy(directions.directions[0].vector)
    with torch.inference_mode():
        small = torch.from_numpy(to_uint8(model.synthesize_preview(ws, 8))).permute(0, 3, 1, 2)
        expected = F.interpolate(small, size=(32, 32), mode="bilinear")[0].permute(1, 2, 0)
    np.testing.assert_array_equal(result.image, expected.numpy())
    # a preview looks like the full image it stands for
    final = renderer.render(RenderRequest(3, 0.7, directions, (Edit(0, 2.0),), strip_index=1))
    corr = np.corrcoef(result.image.astype(float).ravel(), final.image.astype(float).ravel())
    assert corr[0, 1] > 0.5


def test_preview_resolution_adapts_to_the_budget(model, directions):
    req = RenderRequest(1, 1.0, directions, (Edit(1, 1.0),), preview=True)
    slow = LiveRenderer(model, preview_budget_s=0.0, preview_min_resolution=4)
    assert [slow.render(req).preview_resolution for _ in range(3)] == [4, 4, 4]
    roomy = LiveRenderer(model, preview_budget_s=1e9, preview_min_resolution=4)
    stops = [roomy.render(req).preview_resolution for _ in range(4)]
    assert stops[:3] == [4, 8, 16]  # one block up per frame while there is room
    roomy.render(RenderRequest(1, 1.0, directions, (Edit(1, 1.0),)))  # a full render is timed
    assert roomy.render(req).preview_resolution is None  # full synthesis fits the budget


def test_first_preview_of_a_face_previews_its_original_too(model, directions):
    renderer = LiveRenderer(model, preview_resolution=8)
    result = renderer.render(RenderRequest(7, 1.0, directions, (Edit(0, 1.0),), preview=True))
    assert result.original is not None and result.original.shape == (32, 32, 3)
    assert result.strip is None
    plain = renderer.render(RenderRequest(8, 1.0, preview=True))
    assert plain.original is plain.image  # no edit: the preview is the original


def test_preview_is_off_by_default_and_without_smaller_blocks(model, directions):
    renderer = LiveRenderer(model)
    assert renderer.render(RenderRequest(2, 1.0)).preview_resolution is None
    assert renderer.preview_stops() == (4, 8, 16)
    resnet = StyleGANModel(
        random_generator(tiny_config(architecture="resnet"), seed=1), "r", "r-id", "test"
    )
    result = LiveRenderer(resnet).render(RenderRequest(2, 1.0, preview=True))
    assert result.preview_resolution is None and result.image.shape == (16, 16, 3)
