"""StyleGAN3 (configs T and R): alias-free resampling, layer geometry, NVIDIA pickles through
load_model, latents, truncation, per-layer edits, features, SeFa and GANSpace on tiny
generators, and hostile or inconsistent files refused."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from stylegan3_fixtures import generator_record, random_generator, tiny_config, write_nvidia_pickle
from stylegan_fixtures import _nvidia_module_names, hostile_source

from guiapp.core.edits import apply_edits
from guiapp.core.methods import ganspace, sefa
from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.ops.filtered_lrelu import design_lowpass_filter, filtered_lrelu
from guiapp.core.models.ops.modulated_conv import modulated_conv2d
from guiapp.core.models.ops.resample import upfirdn2d
from guiapp.core.models.registry import load_model
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan3.network import StyleGAN3Config
from guiapp.core.types import Direction, DirectionSet, Edit, LayerRange


@pytest.fixture(scope="module", params=["T", "R"])
def loaded(request, tmp_path_factory):
    """(model loaded from an NVIDIA pickle, the in-memory network it was written from)."""
    net = random_generator(tiny_config(request.param), seed=5)
    path = tmp_path_factory.mktemp("sg3") / f"{request.param}.pkl"
    return load_model(str(write_nvidia_pickle(path, net))), net


def _ws(model, n=2, seed=0):
    with torch.no_grad():
        return model.map(torch.from_numpy(model.sample_z(n, seed)).float())


# -- resampling ------------------------------------------------------------------------


def test_lowpass_filters_match_scipy_designs():
    signal = pytest.importorskip("scipy.signal")
    special = pytest.importorskip("scipy.special")
    for numtaps, cutoff, width, fs in [(12, 2.0, 4.0, 16), (24, 5.3, 3.1, 64), (6, 1.5, 2.5, 8)]:
        expected = signal.firwin(numtaps=numtaps, cutoff=cutoff, width=width, fs=fs)
        got = design_lowpass_filter(numtaps, cutoff, width, fs)
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-7)
    numtaps, cutoff, width, fs = 12, 8.0, 9.2, 32
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    beta = signal.kaiser_beta(signal.kaiser_atten(numtaps, width / (fs / 2)))
    jinc = special.j1(2 * cutoff * np.pi * r) / (np.pi * r) * np.outer(*[np.kaiser(12, beta)] * 2)
    got = design_lowpass_filter(numtaps, cutoff, width, fs, radial=True)
    np.testing.assert_allclose(got.numpy(), jinc / jinc.sum(), atol=1e-7)
    assert design_lowpass_filter(1, 2.0, 1.0, 8) is None


def upfirdn2d_direct(x, f, up, down, padding, gain):
    """The definition, step by step: zero insertion, pad or crop, a true 2-D convolution
    (the flipped filter), keep every ``down``-th sample (a naive reference)."""
    n, c, h, w = x.shape
    grid = x.new_zeros(n, c, h, up, w, up)
    grid[:, :, :, 0, :, 0] = x
    x = grid.reshape(n, c, h * up, w * up)
    x0, x1, y0, y1 = padding
    x = torch.nn.functional.pad(x, [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)])
    x = x[:, :, max(-y0, 0) : x.shape[2] - max(-y1, 0), max(-x0, 0) : x.shape[3] - max(-x1, 0)]
    kernel = (f * gain).to(x.dtype).flip([0, 1])[None, None].expand(c, 1, *f.shape)
    return torch.nn.functional.conv2d(x, kernel, groups=c)[:, :, ::down, ::down]


@pytest.mark.parametrize(
    ("up", "down", "padding"),
    [(1, 1, (0, 0, 0, 0)), (2, 1, (9, 8, 9, 8)), (4, 1, (-6, -9, 3, 2)), (1, 2, (0, 0, 0, 0)),
     (1, 4, (2, -1, 0, 3)), (2, 1, (-11, -12, -11, -12)), (2, 1, (13, 12, 10, 8)),
     (2, 2, (10, 9, 11, 10))],
)  # fmt: skip
def test_upfirdn2d_matches_the_direct_definition(up, down, padding):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 24, 21, dtype=torch.float64)
    taps = torch.rand(12, dtype=torch.float64)
    for f, f2d in [(taps, torch.outer(taps, taps)), (torch.outer(taps, taps + 1),) * 2]:
        expected = upfirdn2d_direct(x, f2d, up, down, padding, gain=up * up)
        for fast in (False, True):
            got = upfirdn2d(x, f, up, down, padding, gain=up * up, fast=fast)
            torch.testing.assert_close(got, expected, atol=1e-12, rtol=1e-12)


def test_filtered_lrelu_output_size_and_identity_filters():
    x = torch.randn(1, 2, 22, 22)  # a 3x3 conv's output for 20 x 20
    fu, fd = design_lowpass_filter(12, 2.0, 4.0, 32), design_lowpass_filter(12, 2.0, 4.0, 32)
    assert filtered_lrelu(x, fu, fd, None, 2, 2, (9, 8, 9, 8)).shape == (1, 2, 20, 20)
    b = torch.tensor([0.5, -1.0])
    y = filtered_lrelu(x, None, None, b, gain=1.0, slope=1.0, clamp=0.25)
    torch.testing.assert_close(y, (x + b.reshape(1, 2, 1, 1)).clamp(-0.25, 0.25))


@pytest.mark.parametrize("demodulate", [True, False])
def test_fused_and_unfused_modulated_conv_agree(demodulate):
    torch.manual_seed(1)
    x, w, s = torch.randn(3, 8, 6, 6), torch.randn(5, 8, 3, 3), torch.randn(3, 8)
    gain = torch.tensor(0.7)
    args = {"demodulate": demodulate, "padding": 2, "input_gain": gain, "normalize": True}
    fused = modulated_conv2d(x, w, s, fused=True, **args)
    assert fused.shape == (3, 5, 8, 8)
    torch.testing.assert_close(fused, modulated_conv2d(x, w, s, **args), atol=1e-5, rtol=1e-5)


# -- geometry --------------------------------------------------------------------------


def test_layer_geometry_of_the_released_1024_configs():
    t = StyleGAN3Config().layer_specs()
    assert [s.name for s in t] == [
        "L0_36_512", "L1_36_512", "L2_52_512", "L3_52_512", "L4_84_512", "L5_148_512",
        "L6_148_512", "L7_276_323", "L8_276_203", "L9_532_128", "L10_1044_81",
        "L11_1044_51", "L12_1044_32", "L13_1024_32", "L14_1024_3",
    ]  # fmt: skip
    assert (t[9].up, t[9].down, t[9].padding) == (4, 2, (-6, -9, -6, -9))
    assert (t[13].padding, t[14].padding, t[14].up_taps) == ((-11, -12, -11, -12), (0,) * 4, 1)
    r = StyleGAN3Config(channel_base=65536, channel_max=1024, conv_kernel=1,
                        use_radial_filters=True).layer_specs()  # fmt: skip
    assert [s.name for s in r][-3:] == ["L12_1044_64", "L13_1024_64", "L14_1024_3"]
    assert r[0].padding == (11, 10, 11, 10) and r[0].down_radial and not r[12].down_radial


# -- loading and latents ---------------------------------------------------------------


def test_pickle_loads_as_our_network(loaded):
    model, net = loaded
    assert isinstance(model, StyleGANModel) and model.format == "stylegan3-nvidia-pickle"
    assert (model.z_dim, model.w_dim, model.resolution, model.c_dim) == (16, 16, 32, 0)
    assert model.num_ws == net.cfg.num_layers + 2 == 6
    ws = _ws(model, 3)
    assert ws.shape == (3, 6, 16) and torch.equal(ws[:, :1].expand_as(ws), ws)
    with torch.no_grad():
        image = model.synthesize(ws)
        assert image.shape == (3, 3, 32, 32)
        torch.testing.assert_close(image, net.synthesis(ws), atol=0, rtol=0)
    assert torch.equal(model.w_avg, net.mapping.w_avg)
    assert model.preview_resolutions() == (32,)
    with pytest.raises(ValueError, match=r"ws must be \(N, 6, 16\)"):
        model.synthesize(ws[:, :5])


def test_determinism_batches_and_noise_modes(loaded):
    model, _ = loaded
    ws = _ws(model, 3, seed=11)
    with torch.no_grad():
        batch = model.synthesize(ws)
        assert torch.equal(model.synthesize(_ws(model, 3, seed=11)), batch)
        single = torch.cat([model.synthesize(ws[i : i + 1]) for i in range(3)])
        torch.testing.assert_close(single, batch, atol=1e-5, rtol=1e-5)
        for mode in ("random", "none"):  # StyleGAN3 has no noise inputs
            assert torch.equal(model.synthesize(ws, mode), batch)
        assert torch.equal(model.synthesize_preview(ws, 8), batch)
    with pytest.raises(ValueError, match="noise_mode"):
        model.synthesize(ws, "loud")


def test_truncation_towards_w_avg(loaded):
    model, _ = loaded
    ws = _ws(model, 2)
    torch.testing.assert_close(model.truncate(ws, 0.0), model.w_avg.expand_as(ws))
    cut = model.truncate(ws, 0.5, cutoff=2)
    torch.testing.assert_close(cut[:, :2] - model.w_avg, 0.5 * (ws[:, :2] - model.w_avg))
    assert torch.equal(cut[:, 2:], ws[:, 2:])


def _all_outputs(synth, ws):
    """The input's and every layer's output: w index i drives output i."""
    outputs = [synth.input(ws[:, 0])]
    for i, layer in enumerate(synth.layers()):
        outputs.append(layer(outputs[-1], ws[:, i + 1]))
    return outputs


def test_each_w_index_reaches_only_its_layer_and_those_after(loaded):
    model, _ = loaded
    synth = model.net.synthesis
    ws = _ws(model, 2)
    ds = DirectionSet("sefa", "w", model.model_id, {},
                      (Direction(np.ones(16, np.float32) / 4, 1.0, 1.0),))  # fmt: skip
    with torch.no_grad():
        base = _all_outputs(synth, ws)
        torch.testing.assert_close(synth.features(ws, synth.layer_names[1]), base[2])
        for index in range(model.num_ws):
            edited = apply_edits(ws, ds, [Edit(0, 2.0, LayerRange(index, index + 1))])
            outputs = _all_outputs(synth, edited)
            same = [torch.equal(a, b) for a, b in zip(outputs, base, strict=True)]
            assert same == [j < index for j in range(model.num_ws)], index


def test_feature_layers(loaded):
    model, net = loaded
    first = net.synthesis.layers()[0].spec
    assert model.feature_layers == ("input", first.name, net.synthesis.layer_names[1])
    ws = _ws(model, 2)
    with torch.no_grad():
        assert model.features(ws, "input").shape == (2, first.in_channels * first.in_size**2)
        assert model.features(ws, first.name).shape == (2, first.out_channels * first.out_size**2)
    with pytest.raises(ValueError, match="unknown layer"):
        model.features(ws, net.synthesis.layer_names[-1])


def test_features_are_differentiable(loaded):
    model, _ = loaded
    ws = _ws(model, 2).requires_grad_(True)
    model.features(ws, model.feature_layers[-1]).square().sum().backward()
    assert ws.grad is not None and ws.grad[:, :3].abs().sum() > 0


# -- methods ---------------------------------------------------------------------------


def test_sefa_over_the_layer_affines(loaded):
    model, net = loaded
    synth = net.synthesis
    torch.testing.assert_close(model.sefa_weights((0, 1)), synth.input.affine.effective_weight())
    layers = synth.layers()
    assert model.sefa_weights((1, 6)).shape == (sum(x.spec.in_channels for x in layers), 16)
    torch.testing.assert_close(model.sefa_weights((5, 6)), layers[-1].affine.effective_weight())
    ds = sefa.discover(model, sefa.Params(k=6, layers=LayerRange(1, 4)))
    vectors = np.stack([d.vector for d in ds.directions]).astype(np.float64)
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(6), atol=1e-5)
    scores = [d.score for d in ds.directions]
    assert scores == sorted(scores, reverse=True) and ds.space == "w"
    raw = torch.cat([x.affine.weight for x in layers[:3]]).double().numpy()
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    np.testing.assert_allclose(scores, np.linalg.eigvalsh(raw.T @ raw)[::-1][:6], rtol=1e-6)


def test_ganspace_in_w(loaded):
    model, _ = loaded
    ds = ganspace.discover(model, ganspace.Params(k=4, samples=1000, batch_size=500))
    assert ds.space == "w" and len(ds.directions) == 4
    vectors = np.stack([d.vector for d in ds.directions]).astype(np.float64)
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(4), atol=1e-4)
    assert all(d.unit_scale > 0 for d in ds.directions)


# -- other records ---------------------------------------------------------------------


def test_latentclr_trains_on_the_layer_features(loaded):
    from guiapp.core.methods.latentclr import Params, discover

    model, _ = loaded
    ds = discover(model, Params(k=3, batch=3, iterations=4, eval_samples=4))
    assert ds.method == "latentclr" and ds.space == "w" and len(ds) == 3
    assert ds.params["layer"] == model.feature_layers[1]  # the first synthesis layer
    assert model.feature_layers[0] == "input"
    assert np.isfinite(ds.scores).all() and (ds.scores > 0).all()


def test_conditional_generator_takes_a_class(tmp_path):
    net = random_generator(tiny_config("T", c_dim=3, conv_clamp=None), seed=2)
    model = load_model(str(write_nvidia_pickle(tmp_path / "cond.pkl", net, protocol=2)))
    z = torch.randn(2, 16)
    c = torch.zeros(2, 3)
    c[:, 2] = 1
    model.class_index = 2
    with torch.no_grad():
        torch.testing.assert_close(model.synthesize(model.map(z)), net(z, c), atol=0, rtol=0)


def _write_record(path, record):
    with _nvidia_module_names():
        path.write_bytes(pickle.dumps({"G_ema": record}, protocol=4))
    return str(path)


def test_synthesis_kwargs_from_the_generator_record(tmp_path):
    net = random_generator(tiny_config("R"), seed=4)
    record = generator_record(net)
    record.meta["state"]["_modules"]["synthesis"].meta["state"]["_init_kwargs"] = {}
    model = load_model(_write_record(tmp_path / "r.pkl", record))
    ws = _ws(model, 1)
    with torch.no_grad():
        assert torch.equal(model.synthesize(ws), net.synthesis(ws))


def test_record_that_contradicts_its_configuration_is_refused(tmp_path):
    net = random_generator(tiny_config("T"), seed=4)
    record = generator_record(net)
    synth = record.meta["state"]["_modules"]["synthesis"].meta["state"]
    synth["_modules"][net.synthesis.layer_names[2]].meta["state"]["padding"] = [1, 1, 1, 1]
    with pytest.raises(ModelLoadError, match=r"L2_\w+\.padding is \[1, 1, 1, 1\]"):
        load_model(_write_record(tmp_path / "bad.pkl", record))
    synth["_init_kwargs"]["first_cutoff"] = 3.0  # changes the layer names' derivation
    synth["_modules"][net.synthesis.layer_names[2]].meta["state"]["padding"] = [9, 8, 9, 8]
    with pytest.raises(ModelLoadError, match=r"cutoff|bandwidth|do not match"):
        load_model(_write_record(tmp_path / "bad2.pkl", record))


def test_stylegan3_record_with_malicious_module_source_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    net = random_generator(tiny_config("R"), seed=1)
    path = write_nvidia_pickle(tmp_path / "evil.pkl", net, module_src=hostile_source(marker))
    with pytest.raises(ModelLoadError, match="refused to load: the code stored with network"):
        load_model(str(path))
    assert not marker.exists()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(loaded):
    model, _ = loaded
    ws = _ws(model, 2)
    with torch.no_grad():
        cpu = model.synthesize(ws).clone()
        model.to("cuda")
        try:
            cuda = model.synthesize(ws.cuda()).cpu()
        finally:
            model.to("cpu")
    assert (cuda - cpu).abs().max().item() <= 1e-4
