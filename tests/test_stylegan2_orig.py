"""NVIDIA PyTorch StyleGAN2 pickles with the 'orig' synthesis architecture (ToRGB in the
last block only, no skip summation, as the official ``SynthesisBlock`` builds it): opened
through load_model and checked against a naive reference written here from the official
layer definitions (zero insertion, padding, FIR and a true convolution; per-sample
modulated weights), not from our network code."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from stylegan_fixtures import random_generator, tiny_config, write_nvidia_pickle

from guiapp.core.models.registry import load_model


def _fc(sd: dict, prefix: str, x: torch.Tensor, lr_mul: float = 1.0) -> torch.Tensor:
    w, b = sd[f"{prefix}.weight"], sd[f"{prefix}.bias"]
    return x @ (w * (lr_mul / math.sqrt(w.shape[1]))).T + b * lr_mul


def _upfirdn_up2(x: torch.Tensor, f: torch.Tensor, pad: tuple[int, int]) -> torch.Tensor:
    n, c, h, w = x.shape
    up = torch.zeros(n, c, 2 * h, 2 * w, dtype=x.dtype)
    up[:, :, ::2, ::2] = x
    up = F.pad(up, [pad[0], pad[1], pad[0], pad[1]])
    k = (f * 4).flip([0, 1])[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(up, k, groups=c)


def _modconv(x, weight, styles, demodulate, up, f):
    """One sample at a time: the modulated (and demodulated) weight, then the convolution
    NVIDIA's ``conv2d_resample`` computes (flip_weight only without upsampling)."""
    outs = []
    for i in range(x.shape[0]):
        w = weight * styles[i][None, :, None, None]
        if demodulate:
            w = w * (w.square().sum(dim=[1, 2, 3], keepdim=True) + 1e-8).rsqrt()
        xi = x[i : i + 1]
        if up == 2:
            k = w.shape[-1]
            fw = f.shape[-1]
            pad = (k // 2 + (fw + 1) // 2, k // 2 + (fw - 2) // 2)
            outs.append(F.conv2d(_upfirdn_up2(xi, f, pad), w.flip([2, 3])))
        else:
            outs.append(F.conv2d(xi, w, padding=w.shape[-1] // 2))
    return torch.cat(outs)


def _layer(sd, name, x, w, up, conv_clamp):
    styles = _fc(sd, f"{name}.affine", w)
    f = sd.get(f"{name}.resample_filter")
    x = _modconv(x, sd[f"{name}.weight"], styles, True, up, f)
    x = x + sd[f"{name}.noise_const"] * sd[f"{name}.noise_strength"]
    x = F.leaky_relu(x + sd[f"{name}.bias"][None, :, None, None], 0.2) * math.sqrt(2)
    return x.clamp(-conv_clamp, conv_clamp)


def naive_orig_synthesis(sd: dict, ws: torch.Tensor, resolution: int, conv_clamp: float):
    """ws (N, num_ws, w_dim) -> the image of an 'orig' generator, const noise."""
    res = [2**i for i in range(2, resolution.bit_length())]
    x = sd["synthesis.b4.const"][None].repeat(ws.shape[0], 1, 1, 1)
    x = _layer(sd, "synthesis.b4.conv1", x, ws[:, 0], 1, conv_clamp)
    idx = 1
    for r in res[1:]:
        x = _layer(sd, f"synthesis.b{r}.conv0", x, ws[:, idx], 2, conv_clamp)
        x = _layer(sd, f"synthesis.b{r}.conv1", x, ws[:, idx + 1], 1, conv_clamp)
        idx += 2
    rgb = f"synthesis.b{resolution}.torgb"
    weight = sd[f"{rgb}.weight"]
    styles = _fc(sd, f"{rgb}.affine", ws[:, idx]) / math.sqrt(weight[0].numel())
    img = _modconv(x, weight, styles, False, 1, None) + sd[f"{rgb}.bias"][None, :, None, None]
    return img.clamp(-conv_clamp, conv_clamp)


@pytest.fixture(scope="module")
def orig(tmp_path_factory):
    net = random_generator(tiny_config(architecture="orig"), seed=7)
    path = tmp_path_factory.mktemp("orig") / "network-snapshot-orig.pkl"
    return load_model(str(write_nvidia_pickle(path, net))), net


def test_orig_pickle_opens_and_matches_the_naive_reference(orig):
    model, net = orig
    assert model.num_ws == 6 and model.resolution == 16
    sd = {k: v.double() for k, v in net.state_dict().items()}
    assert not any(".torgb." in k for k in sd if not k.startswith("synthesis.b16."))
    with torch.no_grad():
        ws = model.map(torch.from_numpy(model.sample_z(3, 4)).float())
        expected = naive_orig_synthesis(sd, ws.double(), 16, 256.0).float()
        for images in (model.synthesize(ws), model.net.synthesis(ws, fast=False),
                       model.net.synthesis(ws, fast=False, fused=True)):
            scale = expected.abs().max().item()
            assert (images - expected).abs().max().item() <= 1e-5 * max(scale, 1.0)


def test_orig_has_no_lower_resolution_preview(orig):
    model, _ = orig
    assert model.preview_resolutions() == (16,)
    with torch.no_grad():
        ws = model.map(torch.from_numpy(model.sample_z(1, 0)).float())
        torch.testing.assert_close(model.synthesize_preview(ws, 8), model.synthesize(ws))
