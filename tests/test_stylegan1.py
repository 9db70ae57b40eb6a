"""StyleGAN (v1): NVIDIA's TensorFlow pickles and genforce's .pth open as our network and
give the official numbers.

The TensorFlow pickle is checked against an independent naive numpy ``G_style``
(:mod:`stylegan1_reference`, written from the TF ops); genforce's file holds the same
weights in its own layout and must give the same images.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stylegan1_fixtures import (
    W_DIM,
    Z_DIM,
    component_state,
    genforce_state_dict,
    gs_state,
    random_variables,
    tf_snapshot,
    write_genforce,
    write_tf_data,
    write_tf_pickle,
)
from stylegan1_reference import g_style, instance_norm, lrelu, mapping, synthesis, truncate

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.registry import load_model

TINY_128 = {4: 8, 8: 8, 16: 4, 32: 4, 64: 4, 128: 4}


def seeded(n: int, seed: int = 3) -> np.ndarray:
    return np.random.RandomState(seed).randn(n, Z_DIM)


def image(model, z: np.ndarray, psi: float = 1.0, cutoff: int | None = None,
          noise_mode: str = "const") -> np.ndarray:
    with torch.no_grad():
        ws = model.truncate(model.map(torch.from_numpy(z).float()), psi, cutoff)
        return model.synthesize(ws, noise_mode).double().numpy()


@pytest.mark.parametrize(("kwargs", "fused_from"),
                         [({}, 128), ({"fused_scale": True}, 8), ({"fused_scale": False}, 10**9)],
                         ids=["auto", "fused", "not-fused"])
def test_tf_pickle_matches_the_naive_reference_and_never_runs_its_code(tmp_path, kwargs,
                                                                        fused_from):
    v = random_variables(seed=1)
    marker = tmp_path / "executed"
    model = load_model(str(write_tf_pickle(tmp_path / "g.pkl", v, marker, **kwargs)))
    z = seeded(3)
    ours, ref = image(model, z, 0.7, 8), g_style(v, z, 0.7, 8, fused_from)
    assert ours.shape == (3, 3, 32, 32) and 0.5 < np.abs(ref).max() <= 3
    assert np.abs(ours - ref).max() <= 1e-4
    assert not marker.exists()
    assert model.format == "stylegan1-tf-pickle"
    assert (model.num_ws, model.z_dim, model.w_dim) == (8, Z_DIM, W_DIM)
    assert model.default_truncation == (0.7, 8)


def test_fused_and_plain_upscaling_differ_so_the_setting_is_read(tmp_path):
    v = random_variables(seed=1)
    fused = load_model(str(write_tf_pickle(tmp_path / "f.pkl", v, tmp_path / "m",
                                           fused_scale=True)))
    plain = load_model(str(write_tf_pickle(tmp_path / "p.pkl", v, tmp_path / "m")))
    z = seeded(1)
    assert np.abs(image(fused, z) - image(plain, z)).max() > 0.05


def test_tf_and_genforce_files_of_one_network_give_one_image_with_auto_fusing(tmp_path):
    # 128 px: the 128x128 Conv0_up is fused under fused_scale='auto', the others are not
    v = random_variables(channels=TINY_128, seed=2)
    tf_model = load_model(str(write_tf_pickle(tmp_path / "g.pkl", v, tmp_path / "m",
                                              protocol=2)))
    gf_model = load_model(str(write_genforce(tmp_path / "g.pth", v)))
    assert gf_model.format == "stylegan1-genforce" and gf_model.num_ws == 12
    z = seeded(2, seed=9)
    ref = g_style(v, z, 0.7, 8, fused_from=128)
    assert np.abs(image(tf_model, z, 0.7, 8) - ref).max() <= 1e-4
    assert np.abs(image(gf_model, z, 0.7, 8) - ref).max() <= 1e-4
    unfused_ref = g_style(v, z, 0.7, 8, fused_from=10**9)
    assert np.abs(ref - unfused_ref).max() > 1e-3  # the fused layer made a difference


def test_genforce_reads_the_moving_average_generator(tmp_path):
    smooth, raw = random_variables(seed=4), random_variables(seed=5)
    path = tmp_path / "both.pth"
    torch.save({"generator": genforce_state_dict(raw),
                "generator_smooth": genforce_state_dict(smooth)}, path)
    z = seeded(2)
    assert np.abs(image(load_model(str(path)), z) - g_style(smooth, z)).max() <= 1e-4
    only_raw = write_genforce(tmp_path / "raw.pth", raw, key="generator")
    assert np.abs(image(load_model(str(only_raw)), z) - g_style(raw, z)).max() <= 1e-4


def test_the_files_truncation_settings_become_the_default(tmp_path):
    v = random_variables(seed=1)
    path = write_tf_pickle(tmp_path / "g.pkl", v, tmp_path / "m", truncation_psi=0.5,
                           truncation_cutoff=4)
    assert load_model(str(path)).default_truncation == (0.5, 4)
    off = write_tf_pickle(tmp_path / "off.pkl", v, tmp_path / "m", truncation_psi=None)
    assert load_model(str(off)).default_truncation == (1.0, None)
    assert load_model(str(write_genforce(tmp_path / "g.pth", v))).default_truncation == (0.7, 8)


def test_noise_modes_const_random_and_none(tmp_path):
    v = random_variables(seed=6)
    model = load_model(str(write_tf_pickle(tmp_path / "g.pkl", v, tmp_path / "m")))
    z = seeded(2)
    without = {k: a for k, a in v.items() if "noise" not in k.lower()}
    assert np.abs(image(model, z, noise_mode="none") - g_style(without, z)).max() <= 1e-4
    const = image(model, z)
    assert np.abs(image(model, z) - const).max() == 0.0  # the file's noise: repeatable
    with torch.no_grad():
        ws = model.map(torch.from_numpy(z).float())
        a = model.synthesize(ws, "random", torch.Generator().manual_seed(1))
        b = model.synthesize(ws, "random", torch.Generator().manual_seed(1))
        c = model.synthesize(ws, "random", torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and float((a - c).abs().max()) > 1e-3
    assert np.abs(a.double().numpy() - const).max() > 1e-3


def test_features_are_layer_outputs_after_the_style(tmp_path):
    v = random_variables(seed=7)
    model = load_model(str(write_genforce(tmp_path / "g.pth", v)))
    assert model.feature_layers[:3] == ("4x4/Conv", "4x4/Const", "8x8/Conv0_up")
    z = seeded(2)
    ws = torch.from_numpy(z).float()
    with torch.no_grad():
        got = model.features(model.map(ws), "4x4/Const").double().numpy()
    w = truncate(v, mapping(v, z), 8, 1.0, 0)
    x = np.tile(v["synthesis/4x4/Const/const"].astype(np.float64), (2, 1, 1, 1))
    x = x + v["synthesis/noise0"] * v["synthesis/4x4/Const/Noise/weight"].reshape(1, -1, 1, 1)
    x = instance_norm(lrelu(x + v["synthesis/4x4/Const/bias"].reshape(1, -1, 1, 1)))
    style = w[:, 0] @ (v["synthesis/4x4/Const/StyleMod/weight"] / np.sqrt(W_DIM)) \
        + v["synthesis/4x4/Const/StyleMod/bias"]
    x = x * (style[:, None, :16, None].transpose(0, 2, 1, 3) + 1) \
        + style[:, None, 16:, None].transpose(0, 2, 1, 3)
    assert np.abs(got - x.reshape(2, -1)).max() <= 1e-4
    assert model.feature_dim("16x16/Conv1") == 8 * 16 * 16
    with torch.no_grad():
        assert model.features(model.map(ws), "32x32/Conv1").shape == (2, 8 * 32 * 32)


def test_sefa_factorises_the_style_weights_as_genforce_sefa_does(tmp_path):
    from guiapp.core.methods import sefa
    from guiapp.core.types import LayerRange

    v = random_variables(seed=8)
    model = load_model(str(write_genforce(tmp_path / "g.pth", v)))
    sd = genforce_state_dict(v)
    for layers, params in [(range(8), sefa.Params(k=4)),
                           (range(2, 4), sefa.Params(k=4, layers=LayerRange(2, 4)))]:
        # genforce/sefa's factorize_weight for stylegan: layer{i}.style.weight.T, stacked
        weight = np.concatenate([sd[f"synthesis.layer{i}.style.weight"].T.double().numpy()
                                 for i in layers], axis=1)
        weight = weight / np.linalg.norm(weight, axis=0, keepdims=True)
        values, vectors = np.linalg.eigh(weight @ weight.T)
        order = np.argsort(values)[::-1]
        ds = sefa.discover(model, params)
        for i in range(4):
            assert ds.directions[i].score == pytest.approx(values[order[i]], rel=1e-4)
            assert abs(float(ds.directions[i].vector @ vectors[:, order[i]])) > 0.999


def test_synthesis_reads_each_layers_own_w(tmp_path):
    v = random_variables(seed=9)
    model = load_model(str(write_tf_pickle(tmp_path / "g.pkl", v, tmp_path / "m")))
    rs = np.random.RandomState(0)
    ws = rs.randn(2, 8, W_DIM)  # a different w per layer (style mixing, w+ edits)
    with torch.no_grad():
        ours = model.synthesize(torch.from_numpy(ws).float()).double().numpy()
    assert np.abs(ours - synthesis(v, ws)).max() <= 1e-4


def refusal(tmp_path, data) -> str:
    path = write_tf_data(tmp_path / "bad.pkl", data)
    with pytest.raises(ModelLoadError) as info:
        load_model(str(path))
    text = str(info.value)
    assert "\n" not in text and "bad.pkl" in text
    return text


@pytest.mark.parametrize(("where", "name"), [(None, "lod"), ("synthesis", "lod")])
def test_a_network_caught_growing_is_refused(tmp_path, where, name):
    data = tf_snapshot(random_variables(seed=1), tmp_path / "m")
    state = gs_state(data) if where is None else component_state(data, where)
    variables = dict(state["variables"])
    variables[name] = np.float32(2.0)
    state["variables"] = list(variables.items())
    text = refusal(tmp_path, data)
    assert "lod" in text and "is 2" in text and "growing" in text
    sd = genforce_state_dict(random_variables(seed=1))
    sd["synthesis.lod"] = torch.tensor(1.0)
    path = tmp_path / "growing.pth"
    torch.save({"generator_smooth": sd}, path)
    with pytest.raises(ModelLoadError, match=r"growing\.pth: .*lod.* is 1"):
        load_model(str(path))


def _var(component, name, value):
    def edit(data):
        state = gs_state(data) if component is None else component_state(data, component)
        variables = dict(state["variables"])
        if value is None:
            del variables[name]
        else:
            variables[name] = value
        state["variables"] = list(variables.items())
    return edit


def _kwarg(key, value):
    def edit(data):
        gs_state(data)["static_kwargs"][key] = value
        component_state(data, "synthesis")["static_kwargs"][key] = value
    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_kwarg("label_size", 10), "class-conditional"),
        (_var("mapping", "LabelConcat/weight", np.ones((10, 16), np.float32)), "LabelConcat"),
        (_var("synthesis", "8x8/Conv1/StyleMod/weight", None), "8x8/Conv1/StyleMod/weight"),
        (_var("synthesis", "16x16/Conv1/bias", np.zeros(5, np.float32)), "16x16/Conv1/bias"),
        (_var("synthesis", "64x64/Conv1/weight", np.zeros((3, 3, 8, 8), np.float32)),
         "unexpected"),
        (_var("synthesis", "4x4/Conv/weight", np.full((3, 3, 16, 16), np.nan, np.float32)),
         "NaN"),
        (_var(None, "dlatent_avg", np.zeros(16, np.int32)), "not floating point"),
        (_kwarg("resolution", 2**40), "resolution"),
        (_kwarg("use_styles", False), "use_styles=False"),
        (_kwarg("const_input_layer", False), "const_input_layer=False"),
        (_kwarg("fused_scale", "sometimes"), "fused_scale"),
        (_kwarg("nonlinearity", "tanh"), "nonlinearity"),
        (lambda d: component_state(d, "synthesis").update(build_func_name="G_other"),
         "G_other"),
        (lambda d: gs_state(d).update(version=1), "version 1"),
        (lambda d: gs_state(d)["components"].pop("mapping"), "'mapping' component"),
    ],
    ids=["labels", "label-concat", "missing", "shape", "extra", "nan", "int", "huge",
         "no-styles", "no-const", "fused", "activation", "synthesis-func", "version",
         "no-mapping"],
)
def test_bad_tf_pickles_get_one_line_naming_the_problem(tmp_path, edit, expected):
    data = tf_snapshot(random_variables(seed=1), tmp_path / "m")
    edit(data)
    assert expected in refusal(tmp_path, data)


def test_a_lone_g_style_network_is_not_taken_for_stylegan2(tmp_path):
    data = tf_snapshot(random_variables(seed=1), tmp_path / "m")
    text = refusal(tmp_path, data[2])
    assert "(G, D, Gs)" in text and "StyleGAN2" not in text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda sd: sd.pop("synthesis.layer3.style.weight"), "8x8/Conv1/StyleMod/weight"),
        (lambda sd: sd.update({"synthesis.layer2.weight": torch.zeros(12, 16, 3, 4)}),
         "synthesis.layer2.weight"),
        (lambda sd: sd.update({"mapping.label_weight": torch.zeros(3, 16)}), "class-conditional"),
        (lambda sd: sd.update({"junk": torch.zeros(1)}), "junk"),
        (lambda sd: sd.update({"synthesis.layer1.bias": torch.zeros(16, dtype=torch.int64)}),
         "not a floating-point"),
        (lambda sd: sd.update({"truncation.w_avg": torch.full((16,), float("inf"))}), "NaN"),
    ],
    ids=["missing", "shape", "labels", "extra", "int", "inf"],
)
def test_bad_genforce_files_get_one_line(tmp_path, change, expected):
    sd = genforce_state_dict(random_variables(seed=1))
    change(sd)
    path = tmp_path / "bad.pth"
    torch.save({"generator_smooth": sd}, path)
    with pytest.raises(ModelLoadError) as info:
        load_model(str(path))
    assert "bad.pth" in str(info.value) and expected in str(info.value)
    assert "\n" not in str(info.value)


def test_drag_preview_reads_a_lower_layer_and_follows_the_latent(tmp_path):
    v = random_variables(channels={4: 16, 8: 16, 16: 12, 32: 8}, seed=8)
    model = load_model(str(write_genforce(tmp_path / "g.pth", v)))
    assert model.preview_resolutions() == (8, 16, 32)
    with torch.no_grad():
        ws = model.map(torch.from_numpy(seeded(2)).float())
        small = model.synthesize_preview(ws, 16)
        full = torch.nn.functional.adaptive_avg_pool2d(model.synthesize(ws), 16)
        moved = ws.clone()
        moved[:, :4] += 2 * torch.randn(1, 1, W_DIM)  # the layers up to 16 px: seen
        changed = model.synthesize_preview(moved, 16)
        above = ws.clone()
        above[:, 6:] += 2 * torch.randn(1, 1, W_DIM)  # 32 px layers: beyond the stop
        skipped = model.synthesize_preview(above, 16)
    assert small.shape == (2, 3, 16, 16)
    # closer to the true downscaled image than the best constant image is
    err = float(((small - full) ** 2).mean())
    constant = float(((full - full.mean(dim=(0, 2, 3), keepdim=True)) ** 2).mean())
    assert err < 0.8 * constant
    assert float((changed - small).abs().max()) > 1e-3
    assert torch.equal(skipped, small)
    assert model.preview_fit(16)["psnr_db"] > 0
    from guiapp.core.live_render import LiveRenderer, RenderRequest

    result = LiveRenderer(model).render(RenderRequest(seed=1, preview=True))
    assert result.preview_resolution == 16 and result.image.shape == (32, 32, 3)


def test_a_drag_preview_starts_from_the_image_shown_and_follows_the_edit(tmp_path):
    """Anchored on the full image shown before the drag, the read-out preview of a SeFa
    edit is that image (downscaled) at alpha 0, moves the way the full image does, and is
    nearer the downscaled full image of the edit than the plain read-out is."""
    from guiapp.core.methods import sefa

    v = random_variables(channels={4: 16, 8: 16, 16: 12, 32: 8}, seed=8)
    model = load_model(str(write_genforce(tmp_path / "g.pth", v)))
    ds = sefa.discover(model, sefa.Params(k=3))
    pool = torch.nn.functional.adaptive_avg_pool2d
    plain, anchored, cosines = [], [], []
    with torch.inference_mode():
        for seed in range(3):
            base = model.map(torch.from_numpy(seeded(1, seed)).float())
            for d in ds.directions:
                ws = base + 1.5 * torch.from_numpy(d.vector).float()
                model.to("cpu")  # no anchor; the batch below records none
                truth, unedited = pool(model.synthesize(torch.cat([ws, base])), 16).split(1)
                plain.append(float(((model.synthesize_preview(ws, 16) - truth) ** 2).mean()))
                model.synthesize(base)  # the image shown before the drag
                torch.testing.assert_close(model.synthesize_preview(base, 16), unedited,
                                           atol=1e-5, rtol=0)
                dragged = model.synthesize_preview(ws, 16)
                moved, wanted = (dragged - unedited).flatten(), (truth - unedited).flatten()
                cosines.append(float(moved @ wanted / (moved.norm() * wanted.norm())))
                anchored.append(float(((dragged - truth) ** 2).mean()))
    # a toy network's read-out follows the change only roughly (layers above 16 px are
    # beyond the stop), yet starting from the shown image never makes it worse
    assert np.mean(cosines) > 0.3
    assert np.mean(anchored) < np.mean(plain)


def test_a_state_version_2_g_style_pickle_is_read_as_stylegan_not_pggan(tmp_path):
    # NVlabs/stylegan's Network.__setstate__ takes versions 2 and 3; PGGAN's pickles are 2
    v = random_variables(seed=1)
    data = tf_snapshot(v, tmp_path / "m")
    for net in (data[2], *gs_state(data)["components"].values()):
        net.state["version"] = 2
    model = load_model(str(write_tf_data(tmp_path / "v2.pkl", data)))
    assert model.format == "stylegan1-tf-pickle"
    z = seeded(1)
    assert np.abs(image(model, z) - g_style(v, z)).max() <= 1e-4
