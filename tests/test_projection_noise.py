"""Projected faces keep their optimised noise maps (issue 12, NVIDIA's projector recipe):
projection optimises them with w, every render of the face uses them (image, strip,
previews, the CLI), and they travel in latent files and sessions; old files without them
still open. Small generators, few steps."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from cli_support import PREFIX, run
from PIL import Image
from stylegan_fixtures import random_generator, tiny_config, write_nvidia_pickle

from guiapp.core.animation import Face, WalkPlan, render_all
from guiapp.core.image_metadata import read_image_metadata
from guiapp.core.latent_files import LatentFileError, load_latent, read_latent, save_latent
from guiapp.core.live_render import LiveRenderer
from guiapp.core.methods import sefa
from guiapp.core.models.registry import load_model
from guiapp.core.projection import ProjectionSettings, noise_regularizer, project
from guiapp.core.projection_loss import image_uint8
from guiapp.core.render import render_request
from guiapp.core.safe_files import FileFormatError
from guiapp.core.session_io import load_workspace_session, save_session
from guiapp.core.types import ProjectedLatent, RenderRequest, StripSpec
from guiapp.core.workspace import WorkspaceSession
from guiapp.core.workspace_metadata import render_from_workspace_metadata


@pytest.fixture(scope="module")
def style_file(tmp_path_factory):
    return write_nvidia_pickle(tmp_path_factory.mktemp("sg2") / "g.pkl", random_generator())


@pytest.fixture(scope="module")
def style_model(style_file):
    return load_model(str(style_file))


@pytest.fixture(scope="module")
def target(style_model):
    """A face the model made with noise other than its file's (as a photo's would be)."""
    z = torch.from_numpy(style_model.sample_z(1, 5)).float()
    with torch.no_grad():
        images = style_model.synthesize(style_model.map(z), "random",
                                        generator=torch.Generator().manual_seed(7))
    return image_uint8(images)[0]


@pytest.fixture(scope="module")
def projected(style_model, target):
    return project(style_model, target, ProjectionSettings(steps=16))


def test_the_noise_override_is_the_files_noise_when_given_it(style_model):
    """Handing the network its own fixed noise changes nothing, on the fast (inference)
    path and on the autograd path; a wrong count or size is refused."""
    synth = style_model.net.synthesis
    own = [b for n, b in synth.named_buffers() if n.endswith("noise_const")]
    assert [tuple(b.shape) for b in own] == list(style_model.noise_shapes())
    ws = style_model.map(torch.from_numpy(style_model.sample_z(2, 1)).float())
    with torch.inference_mode():
        assert torch.equal(style_model.synthesize(ws, noise=own), style_model.synthesize(ws))
    with torch.enable_grad():
        grad_ws = ws.clone().requires_grad_(True)
        same = style_model.synthesize(grad_ws, noise=own)
        torch.testing.assert_close(same, style_model.synthesize(grad_ws), rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="noise inputs"):
        style_model.synthesize(ws, noise=own[:-1])
    with pytest.raises(ValueError, match="noise map of shape"):
        style_model.synthesize(ws, noise=[own[0]] * len(own))


def test_projection_optimises_the_noise_maps_and_the_face_keeps_them(style_model, target,
                                                                   projected):
    """One map per noise input, normalised as NVIDIA's recipe does, not the file's; the
    reconstruction shown is what renders of the face give, and those use the maps."""
    noise = projected.latent.noise
    assert noise is not None
    assert [n.shape for n in noise] == list(style_model.noise_shapes())
    own = [b.numpy() for n, b in style_model.net.synthesis.named_buffers()
           if n.endswith("noise_const")]
    for mine, files in zip(noise, own, strict=True):
        assert abs(float(mine.mean())) < 1e-4 and abs(float(mine.std()) - 1) < 1e-3
        assert not np.allclose(mine, files)
    rendered = render_request(style_model, RenderRequest(latent=projected.latent))
    assert np.array_equal(rendered, projected.image)
    files_noise = render_request(style_model,
                                 RenderRequest(latent=replace(projected.latent, noise=None)))
    assert not np.array_equal(files_noise, projected.image)

    off = project(style_model, target, ProjectionSettings(steps=4, noise=False))
    assert off.latent.noise is None


def test_the_regulariser_penalises_structure_not_noise():
    white = [torch.randn((64, 64), generator=torch.Generator().manual_seed(0))]
    ramp = torch.linspace(-1, 1, 64)
    smooth = [(ramp[None, :] + ramp[:, None])]
    assert float(noise_regularizer(white)) < 1e-3 < float(noise_regularizer(smooth))


def test_every_render_of_the_face_uses_its_noise(style_model, projected):
    """A strip, an animation, the live renderer's image, original and previews: with the
    face's maps."""
    latent = projected.latent
    bare = replace(latent, noise=None)
    ds = sefa.discover(style_model, sefa.Params(k=3))
    strip = StripSpec(0, (-2.0, 0.0, 2.0))
    with_maps = render_request(style_model, RenderRequest(latent=latent, direction_set=ds,
                                                          output=strip))
    res = style_model.resolution
    assert np.array_equal(with_maps[:, res : 2 * res], projected.image)  # alpha 0
    assert not np.array_equal(
        with_maps, render_request(style_model, RenderRequest(latent=bare, direction_set=ds,
                                                             output=strip)))
    walk = WalkPlan(Face(0, latent=latent), ds, 0, -2.0, 2.0, 3)  # an animation's frames
    assert np.array_equal(render_all(style_model, walk)[1], projected.image)
    live = LiveRenderer(style_model, preview_resolution=8)
    full = live.render(RenderRequest(latent=latent, want_original=True))
    assert np.array_equal(full.image, projected.image)
    assert np.array_equal(full.original, projected.image)
    previews = [LiveRenderer(style_model, preview_resolution=8).render(
        RenderRequest(latent=face, preview=True)).image for face in (latent, bare)]
    assert not np.array_equal(*previews)


def test_latent_files_keep_the_maps_and_old_files_still_open(tmp_path, style_model,
                                                            projected):
    latent = projected.latent
    save_latent(tmp_path / "face.npz", latent, style_model.model_id)
    back = load_latent(tmp_path / "face.npz", style_model)
    assert back.noise is not None
    for a, b in zip(back.noise, latent.noise, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(render_request(style_model, RenderRequest(latent=back)),
                          projected.image)
    np.savez(tmp_path / "old.npz", latent=latent.array)  # written before noise maps
    assert load_latent(tmp_path / "old.npz", style_model).noise is None

    other = load_model(str(write_nvidia_pickle(
        tmp_path / "big.pkl", random_generator(tiny_config(img_resolution=32)))))
    with pytest.raises(LatentFileError, match=r"face\.npz.*noise maps.*another model"):
        load_latent(tmp_path / "face.npz", other)
    meta = {"format": "guiapp.latent", "version": 1, "space": "w", "noise_maps": 2}
    np.savez(tmp_path / "cut.npz", latent=latent.array, meta=np.array(json.dumps(meta)),
             noise_0=latent.noise[0])
    with pytest.raises(LatentFileError, match=r"cut\.npz.*noise_1 is missing"):
        read_latent(tmp_path / "cut.npz")


def test_sessions_keep_the_maps_and_old_sessions_open(tmp_path, style_file, projected):
    session = WorkspaceSession(str(style_file), projected.latent)
    save_session(tmp_path / "s.json", session)
    back, _ = load_workspace_session(tmp_path / "s.json")
    assert isinstance(back.face, ProjectedLatent) and back.face.noise is not None
    for a, b in zip(back.face.noise, projected.latent.noise, strict=True):
        assert np.array_equal(a, b)

    data = json.loads((tmp_path / "s.json").read_text())
    del data["latent"]["noise"]  # a session saved before noise maps
    (tmp_path / "old.json").write_text(json.dumps(data))
    old, _ = load_workspace_session(tmp_path / "old.json")
    assert old.face.noise is None and np.array_equal(old.face.array, projected.latent.array)
    data["latent"]["noise"] = [{"shape": [4, 4], "float32_le_base64": "AAAA"}]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(FileFormatError, match=r"bad\.json"):
        load_workspace_session(tmp_path / "bad.json")


def test_a_latent_with_maps_on_a_model_without_noise_is_refused(projected):
    dcgan = load_model("builtin:dcgan-digiface")
    z = ProjectedLatent("z", np.zeros(dcgan.z_dim, np.float32), noise=projected.latent.noise)
    with pytest.raises(ValueError, match="no noise inputs"):
        render_request(dcgan, RenderRequest(latent=z))


def test_cli_project_keeps_the_maps_unless_no_noise(tmp_path, style_file, style_model,
                                                     target, capsys):
    photo = tmp_path / "face.png"
    Image.fromarray(target).resize((64, 64), Image.Resampling.NEAREST).save(photo)
    code, out, err = run(capsys, "project", style_file, photo, "-o", tmp_path / "a.npz",
                         "--steps", "3", "--crop", "0,0,64", "--no-progress")
    assert code == 0, err
    assert f"{len(style_model.noise_shapes())} noise maps" in out
    assert len(read_latent(tmp_path / "a.npz").noise) == len(style_model.noise_shapes())
    code, _, err = run(capsys, "render", style_file, "--latent", tmp_path / "a.npz",
                       "-o", tmp_path / "a.png")
    assert code == 0, err
    image = np.asarray(Image.open(tmp_path / "a.png").convert("RGB"))
    want = render_request(style_model, RenderRequest(latent=load_latent(tmp_path / "a.npz",
                                                                        style_model)))
    assert np.array_equal(image, want)
    meta = read_image_metadata(tmp_path / "a.png")  # the PNG re-renders with the maps
    assert len(meta["face"]["latent"]["noise"]) == len(style_model.noise_shapes())
    assert np.array_equal(render_from_workspace_metadata(meta, style_model, []), image)

    code, out, err = run(capsys, "project", style_file, photo, "-o", tmp_path / "b.npz",
                         "--steps", "3", "--crop", "0,0,64", "--no-noise", "--no-progress")
    assert code == 0, err
    assert read_latent(tmp_path / "b.npz").noise is None and "noise maps" not in out
    code, out, err = run(capsys, "project", style_file, photo, "-o", tmp_path / "c.npy",
                         "--steps", "3", "--crop", "0,0,64", "--no-progress")
    assert code == 0 and "keeps no noise maps" in out, err
    code, _, err = run(capsys, "render", "builtin:dcgan-digiface", "--latent",
                       tmp_path / "a.npz", "-o", tmp_path / "x.png")
    assert code == 2 and err.startswith(PREFIX) and err.count("\n") == 1, err
