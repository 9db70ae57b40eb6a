"""BigGAN-deep: files of ``pytorch_pretrained_biggan``'s format open, and give the images of
a naive reference network written from the reference's op definitions
(:mod:`tests.biggan_fixtures`), seed for seed, class for class, truncation for truncation."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from biggan_fixtures import SMALL_CONFIG, make_naive, reference_noise, write_biggan

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.biggan.network import stats_weights
from guiapp.core.models.registry import load_model
from guiapp.core.render import render_image

Z = SMALL_CONFIG["z_dim"]
BLOCKS = len(SMALL_CONFIG["layers"])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("biggan")
    return {
        "legacy": write_biggan(root / "legacy", legacy=True),
        "zip": write_biggan(root / "zip", legacy=False),
    }


@pytest.fixture(scope="module")
def naive() -> torch.nn.Module:
    return make_naive()


@pytest.mark.parametrize("kind", ["legacy", "zip"])
def test_both_torch_formats_open_with_the_reference_sizes(files, kind):
    assert files["legacy"].read_bytes()[:2] == b"\x80\x02"  # the pre-zip format
    assert files["zip"].read_bytes()[:4] == b"PK\x03\x04"
    model = load_model(str(files[kind]))
    info = model.info
    assert (info.resolution, info.z_dim, info.w_dim, info.num_ws, info.c_dim) == (
        32, Z, None, BLOCKS + 1, 1000)
    assert info.format == "biggan-deep-pytorch"
    assert info.name == kind  # pytorch_model.bin is named after its folder


@pytest.mark.parametrize(("psi", "cls", "seed"), [(1.0, 0, 1), (0.4, 207, 5), (0.37, 999, 2),
                                                  (0.05, 18, 7)])
def test_seed_class_and_truncation_give_the_reference_image(files, naive, psi, cls, seed):
    """The reference: z = truncated_noise_sample(1, z_dim, psi, seed), its BN statistics at
    psi (interpolated its way, e.g. 0.37 lies between two of the 51), one-hot class."""
    model = load_model(str(files["legacy"]))
    z = torch.from_numpy(reference_noise(seed, Z, psi))
    want = naive([z] * (BLOCKS + 1), cls, psi)
    ws = model.truncate(model.map_for_class(torch.from_numpy(model.sample_z(1, seed)).float(),
                                            cls), psi)
    got = model.synthesize(ws)
    assert float(want.std()) > 0.1
    assert float((got - want).abs().max()) <= 1e-4
    image = render_image(model, seed, psi, class_index=cls)
    want_u8 = ((want.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)[0].permute(1, 2, 0)
    assert np.abs(image.astype(int) - want_u8.numpy().astype(int)).max() <= 1


def test_each_latent_feeds_its_own_block(files, naive):
    """Latent 0 feeds gen_z, latent k block k - 1 (GANSpace's per-layer feeding)."""
    model = load_model(str(files["zip"]))
    gen = torch.Generator().manual_seed(3)
    zs = [torch.randn(2, Z, generator=gen) for _ in range(BLOCKS + 1)]
    model.class_index = 42
    model.truncation = 0.6
    got = model.synthesize(torch.stack(zs, dim=1))
    assert float((got - naive(zs, 42, 0.6)).abs().max()) <= 1e-4
    # Changing only latent 3 changes the image, and only as block 2's input would.
    moved = list(zs)
    moved[3] = moved[3] + 1.5
    got_moved = model.synthesize(torch.stack(moved, dim=1))
    assert float((got_moved - got).abs().max()) > 1e-3
    assert float((got_moved - naive(moved, 42, 0.6)).abs().max()) <= 1e-4


def test_truncation_picks_statistics_as_the_reference_does():
    assert stats_weights(1.0, 51) == (50, 1.0, 50, 0.0)
    assert stats_weights(0.5, 51) == (25, 1.0, 25, 0.0)
    i, a, j, b = stats_weights(0.37, 51)
    assert (i, j) == (18, 19) and a == pytest.approx(0.5) and b == pytest.approx(0.5)
    i, a, j, b = stats_weights(0.302, 51)  # coef 0.1: the reference weights s[15] by 0.1
    assert (i, j) == (15, 16) and a == pytest.approx(0.1) and b == pytest.approx(0.9)


def test_seeds_follow_truncated_noise_sample(files):
    model = load_model(str(files["legacy"]))
    for seed in (0, 1, 123456):
        np.testing.assert_array_equal(model.sample_z(3, seed).astype(np.float32),
                                      reference_noise(seed, Z, 1.0, n=3))
    assert np.abs(model.sample_z(200, 9)).max() <= 2.0


def test_bin_alone_infers_the_config_and_cache_names_find_theirs(files, tmp_path, naive):
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(files["legacy"], alone / "weights.bin")
    cached = tmp_path / "cache"
    cached.mkdir()
    shutil.copy(files["zip"], cached / "biggan-deep-32-pytorch_model.bin")
    shutil.copy(files["zip"].parent / "config.json", cached / "biggan-deep-32-config.json")
    ref = render_image(load_model(str(files["legacy"].parent)), 4, 0.5, class_index=7)
    for path in (alone / "weights.bin", cached / "biggan-deep-32-pytorch_model.bin",
                 files["zip"].parent):
        model = load_model(str(path))
        assert model.num_ws == BLOCKS + 1
        np.testing.assert_array_equal(render_image(model, 4, 0.5, class_index=7), ref)


def test_class_names_are_imagenet_and_searchable(files):
    from guiapp.core.models.biggan.classes import find_class

    model = load_model(str(files["legacy"]))
    names = model.class_names
    assert len(names) == 1000 and len(set(names)) == 1000
    assert names[0] == "tench" and names[207] == "golden retriever"
    assert find_class(names, "Golden Retriever") == 207
    assert find_class(names, "207") == 207
    with pytest.raises(ValueError, match="no single class"):
        find_class(names, "retriever")


def test_sefa_weights_are_the_z_columns_of_gen_z_and_the_chosen_blocks(files, naive):
    model = load_model(str(files["legacy"]))
    gen = naive.generator
    gen_z = gen.gen_z.weight[:, :Z]  # torch's own spectral norm, eval mode
    torch.testing.assert_close(model.sefa_weights(), gen_z, atol=1e-5, rtol=1e-5)
    rows = model.sefa_weights((2, 4))  # blocks 1 and 2
    blocks = [m for m in gen.layers if hasattr(m, "bn_0")]
    want = torch.cat([getattr(getattr(b, f"bn_{k}"), part).weight[:, :Z]
                      for b in blocks[1:3] for k in range(4) for part in ("scale", "offset")])
    torch.testing.assert_close(rows, want, atol=1e-5, rtol=1e-5)
    assert model.sefa_weights((0, 2)).shape[0] == gen_z.shape[0] + sum(
        2 * getattr(blocks[0], f"bn_{k}").scale.weight.shape[0] for k in range(4))


def test_preview_runs_every_block_at_a_smaller_size(files):
    model = load_model(str(files["legacy"]))
    assert model.preview_resolutions() == (8, 16, 32)
    ws = model.map(torch.from_numpy(model.sample_z(1, 0)).float())
    full = model.synthesize(ws)
    assert tuple(model.synthesize_preview(ws, 16).shape[-2:]) == (16, 16)
    torch.testing.assert_close(model.synthesize_preview(ws, 32), full)


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * np.log10(4.0 / float(((a.clamp(-1, 1) - b.clamp(-1, 1)) ** 2).mean())))


def test_a_preview_of_an_edit_is_the_downscaled_full_image_of_that_edit(files):
    """The drag preview (16 px of 32) of an edit on every layer stays within a few grey
    levels of the full image of the same edit area-downscaled, and moves the way the full
    image moves; anchored on the full image shown before the drag it is that image exactly
    at alpha 0 and nearer to the truth than without the anchor."""
    import torch.nn.functional as F

    from guiapp.core.methods import sefa

    model = load_model(str(files["legacy"]))
    model.class_index, model.truncation = 3, 0.7
    ds = sefa.discover(model, sefa.Params(k=3))
    plain, anchored = [], []
    with torch.inference_mode():
        for seed in range(3):
            base = model.map(torch.from_numpy(model.sample_z(1, seed)).float()) * 0.7
            for d, alpha in zip(ds.directions, (1.0, 3.0, 3.0), strict=True):
                ws = base + alpha * torch.from_numpy(d.vector).float()
                model.to("cpu")  # no anchor: a batch below records none
                truth, unedited = F.adaptive_avg_pool2d(
                    model.synthesize(torch.cat([ws, base])), 16).split(1)
                preview = model.synthesize_preview(ws, 16)
                moved = (preview - model.synthesize_preview(base, 16)).flatten()
                wanted = (truth - unedited).flatten()
                assert float(moved @ wanted / (moved.norm() * wanted.norm())) > 0.8
                plain.append(_psnr(preview, truth))
                model.synthesize(base)  # what the window shows before the drag
                torch.testing.assert_close(model.synthesize_preview(base, 16), unedited,
                                           atol=1e-5, rtol=0)  # (a batch rounds apart)
                anchored.append(_psnr(model.synthesize_preview(ws, 16), truth))
    assert min(plain) > 27.0  # an RMS error under 9 grey levels of 255
    assert min(anchored) > 29.0 and np.mean(anchored) > np.mean(plain) + 2.0


def test_a_preview_costs_less_than_a_full_image_yet_runs_every_block(files):
    """Every block runs in a preview (an edit on any layer shows), and the block that
    reaches the preview size convolves at half of it: counted per convolution call."""
    model = load_model(str(files["legacy"]))
    ws = model.map(torch.from_numpy(model.sample_z(1, 1)).float())
    sizes: dict[str, list[int]] = {"full": [], "preview": []}
    convs = [model.net.generator.conv_to_rgb]
    convs += [getattr(b, f"conv_{k}") for b in model.blocks() for k in range(4)]
    for name, run in (("preview", lambda: model.synthesize_preview(ws, 16)),  # no anchor
                      ("full", lambda: model.synthesize(ws))):
        hooks = [c.register_forward_hook(lambda _m, args, _o, k=name: sizes[k].append(
            args[0].shape[-1])) for c in convs]
        with torch.inference_mode():
            run()
        for h in hooks:
            h.remove()
    blocks = len(model.blocks())
    assert len(sizes["full"]) == len(sizes["preview"]) == 4 * blocks + 1
    assert max(sizes["preview"]) == 16 and max(sizes["full"]) == 32
    reaching = [k for k, b in enumerate(model.blocks()) if b.up][1]  # 8 -> 16
    assert sizes["full"][4 * reaching + 1 : 4 * reaching + 4] == [16, 16, 16]
    assert sizes["preview"][4 * reaching + 1 : 4 * reaching + 4] == [8, 8, 8]
    assert sizes["preview"][4 * reaching + 4] == 16  # the next block reads it upsampled
    assert sum(s * s for s in sizes["preview"]) < sum(s * s for s in sizes["full"]) / 2


def test_anchored_previews_on_a_layer_range_reuse_blocks_and_match_a_fresh_model(files):
    """A drag on latents 4-5 after the full image: the warm model's previews (earlier
    blocks reused from the last image) are the pixels a fresh model anchored on the same
    image gives."""
    warm = load_model(str(files["legacy"]))
    base = torch.from_numpy(warm.sample_z(1, 4)).float()[:, None].repeat(1, BLOCKS + 1, 1)
    with torch.inference_mode():
        warm.synthesize(base)
        for alpha in (0.5, 1.0, -2.0):
            ws = base.clone()
            ws[:, 4:6] += alpha
            fresh = load_model(str(files["legacy"]))
            fresh.synthesize(base)
            assert torch.equal(warm.synthesize_preview(ws, 16), fresh.synthesize_preview(ws, 16))


# -- refusals: one line naming the file, nothing run ----------------------------------------


def _edit_state_dict(src: Path, dst: Path, edit) -> Path:
    from guiapp.core.models.formats.torch_checkpoint import read_torch_file

    sd = dict(read_torch_file(src))
    edit(sd)
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save(sd, dst, _use_new_zipfile_serialization=False)
    return dst


@pytest.mark.parametrize(("edit", "message"), [
    (lambda sd: sd.pop("generator.layers.2.conv_1.weight_v"), "missing"),
    (lambda sd: sd.__setitem__("generator.layers.0.bn_0.running_vars",
                               -sd["generator.layers.0.bn_0.running_vars"]), "negative"),
    (lambda sd: sd.__setitem__("generator.gen_z.weight_u",
                               torch.zeros_like(sd["generator.gen_z.weight_u"])), "spectral"),
    (lambda sd: sd["generator.conv_to_rgb.bias"].fill_(float("nan")), "NaN"),
    (lambda sd: sd.__setitem__("generator.layers.1.conv_0.weight_orig",
                               torch.zeros(3, 3, 1, 1)), "shape"),
])
def test_damaged_weights_are_refused_in_one_line(files, tmp_path, edit, message):
    path = _edit_state_dict(files["legacy"], tmp_path / "bad" / "pytorch_model.bin", edit)
    shutil.copy(files["legacy"].parent / "config.json", path.parent / "config.json")
    with pytest.raises(ModelLoadError) as info:
        load_model(str(path))
    text = str(info.value)
    assert message in text and "\n" not in text and "pytorch_model.bin" in text


def test_config_that_contradicts_the_weights_is_refused(files, tmp_path):
    folder = tmp_path / "wrong"
    folder.mkdir()
    shutil.copy(files["zip"], folder / "pytorch_model.bin")
    cfg = dict(SMALL_CONFIG, channel_width=8)
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match=r"do not fit the config|shape"):
        load_model(str(folder))
    (folder / "config.json").write_text(json.dumps(dict(SMALL_CONFIG, channel_width=10**9)))
    with pytest.raises(ModelLoadError, match=r"config\.json: setting channel_width"):
        load_model(str(folder))
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_model(str(folder))


class _Boom:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_code_in_a_bin_is_refused_without_running(files, tmp_path, capsys):
    path = _edit_state_dict(files["legacy"], tmp_path / "evil" / "pytorch_model.bin",
                            lambda sd: sd.__setitem__("payload", _Boom()))
    with pytest.raises(ModelLoadError, match="refused to load") as info:
        load_model(str(path.parent))
    assert "builtins.print" in str(info.value)
    assert "must never run" not in capsys.readouterr().out
    truncated = tmp_path / "cut.bin"
    truncated.write_bytes(files["legacy"].read_bytes()[:5000])
    with pytest.raises(ModelLoadError, match="truncated"):
        load_model(str(truncated))


def test_a_folder_without_weights_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="is a folder"):
        load_model(str(tmp_path / "empty"))
    assert pickle  # the stdlib pickle only writes the hostile payload above


def test_moving_a_slider_on_later_layers_reuses_the_earlier_blocks(files):
    """A drag on a layer range recomputes only the blocks from that range on, and gives the
    pixels a fresh model gives (full images and previews alike)."""
    warm, fresh = load_model(str(files["legacy"])), load_model(str(files["legacy"]))
    base = torch.from_numpy(warm.sample_z(1, 8)).float()[:, None].repeat(1, BLOCKS + 1, 1)
    calls = []
    blocks = [m for m in warm.net.generator.layers if hasattr(m, "bn_0")]
    for k, block in enumerate(blocks):
        block.register_forward_hook(lambda *_, k=k: calls.append(k))
    with torch.inference_mode():
        for model in (warm, fresh):
            model.class_index, model.truncation = 5, 0.5
        warm.synthesize(base)
        for alpha in (0.5, 1.0, -2.0):
            ws = base.clone()
            ws[:, 4:6] += alpha  # latents 4-5 feed blocks 3 and 4
            calls.clear()
            got = warm.synthesize(ws)
            assert calls == [3, 4, 5]
            assert torch.equal(got, fresh.synthesize(ws))
            assert torch.equal(warm.synthesize_preview(ws, 16), fresh.synthesize_preview(ws, 16))
        for model in (warm, fresh):
            model.class_index = 6  # another class: every block again
        calls.clear()
        assert torch.equal(warm.synthesize(ws), fresh.synthesize(ws))
        assert calls == list(range(BLOCKS))
