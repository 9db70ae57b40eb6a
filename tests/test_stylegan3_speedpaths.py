"""StyleGAN3's CPU speed paths (channels-last filters, Winograd 3x3 convolutions) render
the reference path's images, only where autograd records nothing."""

from __future__ import annotations

import pytest
import torch
from stylegan3_fixtures import random_generator, tiny_config, write_nvidia_pickle

from guiapp.core.models.ops.modulated_conv import modulated_conv2d
from guiapp.core.models.registry import load_model
from guiapp.core.models.stylegan3 import fast as stylegan3_fast


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """A config-T file with 128 channels, wide enough for Winograd."""
    net = random_generator(tiny_config("T", channel_base=8192, channel_max=128), seed=6)
    path = tmp_path_factory.mktemp("sg3wide") / "wide.pkl"
    return load_model(str(write_nvidia_pickle(path, net)))


@pytest.fixture
def winograd_calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = stylegan3_fast.modulated_conv3x3

    def counted(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(stylegan3_fast, "modulated_conv3x3", counted)
    return calls


def _ws(model, n):
    with torch.no_grad():
        return model.map(torch.from_numpy(model.sample_z(n, 3)).float())


@pytest.mark.parametrize("n", [1, 3])  # one image takes the fused convolution, more do not
def test_fast_paths_render_the_reference_images(wide, winograd_calls, n):
    ws = _ws(wide, n)
    with torch.inference_mode():
        fast = wide.synthesize(ws)
        reference = wide.net.synthesis(ws, fast=False)
    assert len(winograd_calls) == 4  # the four 3x3 layers; ToRGB is 1x1
    assert fast.is_contiguous(memory_format=torch.channels_last)
    scale = reference.abs().max().item()
    assert (fast - reference).abs().max().item() <= 1e-5 * scale


def test_features_under_autograd_take_the_reference_convolution(wide, winograd_calls):
    ws = _ws(wide, 2).requires_grad_(True)
    feats = wide.features(ws, wide.feature_layers[1])
    feats.square().sum().backward()
    assert not winograd_calls
    assert ws.grad is not None and torch.isfinite(ws.grad).all()


def test_winograd_convolution_equals_the_modulated_convolution(wide):
    layer = wide.net.synthesis.layers()[0]
    torch.manual_seed(0)
    x, styles = torch.randn(2, 128, 20, 20), torch.randn(2, 128)
    gain = torch.tensor(0.8)
    expected = modulated_conv2d(x, layer.weight, styles, demodulate=True, padding=2,
                                input_gain=gain, normalize=True)
    with torch.no_grad():
        got = stylegan3_fast.modulated_conv3x3(layer, x, styles, gain)
    assert got.shape == expected.shape == (2, 128, 22, 22)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
