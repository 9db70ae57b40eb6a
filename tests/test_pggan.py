"""PGGAN: the three file formats open as our network and give the official numbers.

The TensorFlow pickle is checked against an independent naive numpy ``G_paper``
(:mod:`pggan_reference`, written from the TF ops); the other formats hold the same weights
in their projects' layouts and must give the same images.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pggan_fixtures import (
    random_variables,
    tf_snapshot,
    unfused,
    write_gandissect,
    write_genforce,
    write_tf_data,
    write_tf_pickle,
)
from pggan_reference import g_paper, leaky_relu, pixel_norm, wscale

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.registry import load_model

Z_DIM = 16


def seeded(n: int, seed: int = 3) -> np.ndarray:
    return np.random.RandomState(seed).randn(n, Z_DIM)


def image(model, z: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model.synthesize(torch.from_numpy(z).float()[:, None, :]).double().numpy()


@pytest.mark.parametrize("fused", [True, False], ids=["Conv0_up", "Conv0"])
def test_tf_pickle_matches_the_naive_reference_and_never_runs_its_code(tmp_path, fused):
    v = random_variables(seed=1, fused=fused)
    marker = tmp_path / "executed"
    model = load_model(str(write_tf_pickle(tmp_path / "g.pkl", v, marker, fused=fused)))
    z = seeded(4)
    ours, ref = image(model, z), g_paper(v, z, fused)
    assert ours.shape == (4, 3, 16, 16) and np.abs(ref).max() > 0.5
    assert np.abs(ours - ref).max() <= 1e-4
    assert not marker.exists()
    assert model.format == "pggan-tf-pickle" and model.num_ws == 1 and model.w_dim is None


def test_one_network_in_every_format_gives_one_image(tmp_path):
    v = random_variables(seed=2)
    marker = tmp_path / "executed"
    files = {
        "tf fused": write_tf_pickle(tmp_path / "fused.pkl", v, marker),
        "tf unfused": write_tf_pickle(tmp_path / "plain.pkl", unfused(v), marker, fused=False),
        "tf protocol 2": write_tf_pickle(tmp_path / "p2.pkl", v, marker, protocol=2),
        "genforce": write_genforce(tmp_path / "genforce.pth", unfused(v)),
        "gandissect": write_gandissect(tmp_path / "gd.pth", v),
        "gandissect legacy": write_gandissect(tmp_path / "gd_legacy.pth", v, legacy=True),
    }
    z = seeded(3, seed=9)
    ref = g_paper(v, z, True)
    formats = {}
    for label, path in files.items():
        model = load_model(str(path))
        formats[label] = model.format
        assert np.abs(image(model, z) - ref).max() <= 1e-4, label
    assert formats == {"tf fused": "pggan-tf-pickle", "tf unfused": "pggan-tf-pickle",
                       "tf protocol 2": "pggan-tf-pickle",
                       "genforce": "pggan-genforce", "gandissect": "pggan-gandissect",
                       "gandissect legacy": "pggan-gandissect"}


def test_genforce_reads_the_moving_average_generator(tmp_path):
    smooth, raw = random_variables(seed=4, fused=False), random_variables(seed=5, fused=False)
    from pggan_fixtures import genforce_state_dict

    path = tmp_path / "both.pth"
    torch.save({"generator": genforce_state_dict(raw), "generator_smooth":
                genforce_state_dict(smooth)}, path)
    z = seeded(2)
    assert np.abs(image(load_model(str(path)), z) - g_paper(smooth, z, False)).max() <= 1e-4
    only_raw = write_genforce(tmp_path / "raw.pth", raw, key="generator")
    assert np.abs(image(load_model(str(only_raw)), z) - g_paper(raw, z, False)).max() <= 1e-4


def test_features_are_the_layer_outputs_gan_dissection_names(tmp_path):
    v = random_variables(seed=6)
    model = load_model(str(write_gandissect(tmp_path / "gd.pth", v)))
    z = seeded(2)
    # layer1: the dense layer's leaky ReLU output (before the next pixel norm)
    w = v["4x4/Dense/weight"].astype(np.float64)
    x = pixel_norm(z) @ (w * wscale(w.shape, np.sqrt(2) / 4))
    layer1 = leaky_relu(x.reshape(2, -1, 4, 4) + v["4x4/Dense/bias"].reshape(1, -1, 1, 1))
    ws = torch.from_numpy(z).float()[:, None, :]
    got = model.features(ws, "layer1").double().numpy()
    assert np.abs(got - layer1.reshape(2, -1)).max() <= 1e-4
    assert model.feature_layers[0] == "layer2"  # GANSpace's and LatentCLR's default: 4x4 out
    assert model.features(ws, "layer2").shape == (2, 16 * 4 * 4)
    assert model.feature_dim("layer4") == 12 * 8 * 8


def test_sefa_reads_the_dense_layer_as_genforce_factorize_weight_does(tmp_path):
    from pggan_fixtures import genforce_state_dict

    from guiapp.core.methods import sefa

    v = random_variables(seed=7, fused=False)
    model = load_model(str(write_genforce(tmp_path / "g.pth", v)))
    # genforce/sefa utils.factorize_weight for pggan, on the file's own layer0 weight
    weight = genforce_state_dict(v)["layer0.weight"].flip(2, 3).permute(1, 0, 2, 3).flatten(1)
    weight = weight.double().numpy()
    weight = weight / np.linalg.norm(weight, axis=0, keepdims=True)
    values, vectors = np.linalg.eigh(weight @ weight.T)
    order = np.argsort(values)[::-1]
    ds = sefa.discover(model, sefa.Params(k=4))
    for i in range(4):
        assert ds.directions[i].score == pytest.approx(values[order[i]], rel=1e-4)
        cos = abs(float(ds.directions[i].vector @ vectors[:, order[i]]))
        assert cos > 0.999


def test_drag_preview_reads_a_lower_block_and_follows_the_latent(tmp_path):
    v = random_variables(channels={4: 16, 8: 16, 16: 12, 32: 8}, seed=8)
    model = load_model(str(write_gandissect(tmp_path / "gd.pth", v)))
    assert model.preview_resolutions() == (8, 16, 32)
    z = torch.from_numpy(seeded(2)).float()[:, None, :]
    with torch.no_grad():
        small = model.synthesize_preview(z, 16)
        full = torch.nn.functional.adaptive_avg_pool2d(model.synthesize(z), 16)
        moved = model.synthesize_preview(z + 0.5 * torch.randn(1, 1, Z_DIM), 16)
    assert small.shape == (2, 3, 16, 16)
    # closer to the true downscaled image than the best constant image is
    err = float(((small - full) ** 2).mean())
    constant = float(((full - full.mean(dim=(0, 2, 3), keepdim=True)) ** 2).mean())
    assert err < 0.8 * constant
    assert float((moved - small).abs().max()) > 1e-3
    assert model.preview_fit(16)["psnr_db"] > 0
    # the live renderer's first drag frame stops there and shows it at full size
    from guiapp.core.live_render import LiveRenderer, RenderRequest

    result = LiveRenderer(model).render(RenderRequest(seed=1, preview=True))
    assert result.preview_resolution == 16 and result.image.shape == (32, 32, 3)


def test_a_drag_preview_starts_from_the_image_shown_and_follows_the_edit(tmp_path):
    """Anchored on the full image the window showed before the drag, the read-out preview
    of a SeFa edit is that image (downscaled) at alpha 0, moves with the edit the way the
    full image does, and is nearer the downscaled full image of the edit than the plain
    read-out (whose absolute colours a toy network's 12 channels read out poorly)."""
    import torch.nn.functional as F

    from guiapp.core.methods import sefa

    v = random_variables(channels={4: 16, 8: 16, 16: 12, 32: 8}, seed=8)
    model = load_model(str(write_gandissect(tmp_path / "gd.pth", v)))
    ds = sefa.discover(model, sefa.Params(k=3))
    plain, anchored = [], []
    with torch.inference_mode():
        for seed in range(3):
            base = torch.from_numpy(seeded(1, seed)).float()[:, None, :]
            for d in ds.directions:
                ws = base + 1.5 * torch.from_numpy(d.vector).float()
                model.to("cpu")  # no anchor; the batch below records none
                truth, unedited = F.adaptive_avg_pool2d(
                    model.synthesize(torch.cat([ws, base])), 16).split(1)
                preview = model.synthesize_preview(ws, 16)
                plain.append(float(((preview - truth) ** 2).mean()))
                model.synthesize(base)  # the image shown before the drag
                torch.testing.assert_close(model.synthesize_preview(base, 16), unedited,
                                           atol=1e-5, rtol=0)
                dragged = model.synthesize_preview(ws, 16)
                moved, wanted = (dragged - unedited).flatten(), (truth - unedited).flatten()
                assert float(moved @ wanted / (moved.norm() * wanted.norm())) > 0.3
                anchored.append(float(((dragged - truth) ** 2).mean()))
    assert np.mean(anchored) < 0.5 * np.mean(plain)


def refusal(tmp_path, data) -> str:
    path = write_tf_data(tmp_path / "bad.pkl", data)
    with pytest.raises(ModelLoadError) as info:
        load_model(str(path))
    text = str(info.value)
    assert "\n" not in text and "bad.pkl" in text
    return text


def test_a_network_caught_growing_is_refused(tmp_path):
    v = random_variables(seed=1)
    v["lod"] = np.float32(1.5)
    text = refusal(tmp_path, tf_snapshot(v, tmp_path / "m"))
    assert "lod" in text and "1.5" in text and "growing" in text
    from pggan_fixtures import genforce_state_dict

    sd = genforce_state_dict(unfused(random_variables(seed=1)))
    sd["lod"] = torch.tensor(1.0)
    path = tmp_path / "growing.pth"
    torch.save({"generator_smooth": sd}, path)
    with pytest.raises(ModelLoadError, match=r"growing\.pth: .*lod.* is 1"):
        load_model(str(path))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda v, kw: kw.update(label_size=10), "class-conditional"),
        (lambda v, kw: v.pop("8x8/Conv1/weight"), "8x8/Conv1/weight"),
        (lambda v, kw: v.update({"16x16/Conv1/bias": np.zeros(5, np.float32)}), "16x16/Conv1/bias"),
        (lambda v, kw: v.update({"32x32/Conv1/weight": np.zeros((3, 3, 8, 8), np.float32)}),
         "unexpected"),
        (lambda v, kw: v["4x4/Conv/weight"].__setitem__((0, 0, 0, 0), np.nan), "NaN"),
        (lambda v, kw: kw.update(fused_scale=False), "8x8/Conv0/weight"),
        (lambda v, kw: kw.update(resolution=2**40), "resolution"),
    ],
    ids=["labels", "missing", "shape", "extra", "nan", "fused-mismatch", "huge"],
)
def test_bad_tf_pickles_get_one_line_naming_the_problem(tmp_path, change, expected):
    data = tf_snapshot(random_variables(seed=1), tmp_path / "m")
    state = data[2].state
    variables = dict(state["variables"])
    change(variables, state["static_kwargs"])
    state["variables"] = list(variables.items())
    assert expected in refusal(tmp_path, data)


def test_another_tf_build_function_is_not_taken_for_pggan(tmp_path):
    data = tf_snapshot(random_variables(seed=1), tmp_path / "m")
    data[2].state["build_func_name"] = "G_wgan"
    text = refusal(tmp_path, data)
    assert "G_wgan" in text and "G_paper" in text
