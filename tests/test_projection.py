"""Projection: the latent found reproduces the target, renders as the session's face, and
cancel keeps the best so far (issue 12). Few steps, small generators: quality figures at
100-1000 steps are benchmarks/bench_projection.py's."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from stylegan_fixtures import random_generator, write_nvidia_pickle

from guiapp.core.models.registry import load_model
from guiapp.core.perceptual import load_lpips
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.projection import ProjectionSettings, project
from guiapp.core.projection_loss import ReconstructionLoss, image_tensor, image_uint8, psnr
from guiapp.core.render import render_request
from guiapp.core.types import RenderRequest


@pytest.fixture(scope="module")
def dcgan():
    return load_model("builtin:dcgan-digiface")


@pytest.fixture(scope="module")
def style_model(tmp_path_factory):
    path = write_nvidia_pickle(tmp_path_factory.mktemp("sg2") / "g.pkl", random_generator())
    return load_model(str(path))


def _seed_image(model, seed: int) -> np.ndarray:
    z = torch.from_numpy(model.sample_z(1, seed)).float()
    with torch.no_grad():
        return image_uint8(model.synthesize(model.map(z)))[0]


def test_z_projection_reproduces_a_generated_face(dcgan):
    """On an image the built-in model made itself, 20 steps bring the loss down and the
    image closer than the best starting point; z stays on the prior's sphere; the
    reconstruction shown is exactly what the session renders for the latent."""
    target = _seed_image(dcgan, 11)
    previews: list[int] = []
    result = project(dcgan, target, ProjectionSettings(steps=20, restarts=2, candidates=8,
                                                       preview_every=8),
                     source="gt.png", sha256="0" * 64,
                     on_preview=lambda step, img: previews.append(step))
    assert result.latent.space == "z" and result.latent.array.shape == (dcgan.z_dim,)
    assert math.isclose(float(np.linalg.norm(result.latent.array)), math.sqrt(dcgan.z_dim),
                        rel_tol=1e-4)
    assert result.losses[-1] < 0.6 * result.losses[0]
    assert result.steps_done == 20 and not result.cancelled
    assert previews == [8, 16, 20]
    rendered = render_request(dcgan, RenderRequest(latent=result.latent))
    assert np.array_equal(rendered, result.image)
    assert result.psnr == psnr(result.image, target) > 15
    assert (result.latent.source, result.latent.sha256) == ("gt.png", "0" * 64)


@pytest.mark.parametrize("space", ["w", "w+"])
def test_w_projection_on_a_stylegan2_file(style_model, space):
    """NVIDIA's recipe on a StyleGAN2 pickle: the loss falls from w_avg's, the latent has
    the space's shape and renders to the reconstruction."""
    target = _seed_image(style_model, 5)
    result = project(style_model, target, ProjectionSettings(space=space, steps=12))
    want = (style_model.w_dim,) if space == "w" else (style_model.num_ws, style_model.w_dim)
    assert result.latent.space == space and result.latent.array.shape == want
    assert min(result.losses) < 0.8 * result.losses[0]
    rendered = render_request(style_model, RenderRequest(latent=result.latent))
    assert np.array_equal(rendered, result.image)


def test_cancel_keeps_the_best_so_far(dcgan):
    target = _seed_image(dcgan, 3)
    token = CancelToken()
    seen: list[float] = []

    def progress(fraction: float, message: str) -> None:
        if message.startswith("step"):
            seen.append(fraction)
            if len(seen) == 6:
                token.cancel()

    result = project(dcgan, target, ProjectionSettings(steps=50, restarts=1, candidates=4),
                     progress=progress, cancel=token)
    # Cancel came during step 6's report: step 7, already rendered, is counted, not taken
    assert result.cancelled and result.steps_done == 7
    assert np.array_equal(render_request(dcgan, RenderRequest(latent=result.latent)),
                          result.image)
    loss = ReconstructionLoss(target)
    with torch.no_grad():
        final = float(loss(image_tensor(result.image))[0])
    assert final == pytest.approx(float(np.min(result.losses)), rel=0.05)

    early = CancelToken()
    early.cancel()
    with pytest.raises(Cancelled):
        project(dcgan, target, ProjectionSettings(steps=5), cancel=early)


def test_wrong_spaces_and_targets_are_refused(dcgan, style_model):
    target = _seed_image(dcgan, 0)
    with pytest.raises(ValueError, match="no mapping network"):
        project(dcgan, target, ProjectionSettings(space="w"))
    with pytest.raises(ValueError, match="projects into w or w"):
        project(style_model, _seed_image(style_model, 0), ProjectionSettings(space="z"))
    with pytest.raises(ValueError, match=r"target must be \(64, 64, 3\)"):
        project(dcgan, target[:32], ProjectionSettings(steps=1))
    with pytest.raises(ValueError, match="steps"):
        project(dcgan, target, ProjectionSettings(steps=0))


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_is_a_distance_that_tolerates_shifts(net):
    """Zero for equal images, symmetric, growing with noise; a 1-pixel shift of a photo
    costs far less than noise of the same pixel error (the point of the ST variant)."""
    from skimage import data

    lpips = load_lpips(net)
    photo = image_tensor(data.astronaut()[::4, ::4].copy())
    gen = torch.Generator().manual_seed(0)
    shifted = torch.roll(photo, 1, dims=-1)
    pixel_error = float((shifted - photo).square().mean().sqrt())
    noisy = photo + pixel_error * torch.randn(photo.shape, generator=gen)
    with torch.no_grad():
        same = float(lpips(photo, photo)[0])
        d_shift, d_noise = float(lpips(photo, shifted)[0]), float(lpips(photo, noisy)[0])
        back = float(lpips(noisy, photo)[0])
        louder = float(lpips(photo, photo + 2 * (noisy - photo))[0])
    assert same == 0.0
    assert back == pytest.approx(d_noise, rel=1e-5)
    assert d_noise < louder
    assert d_shift < 0.5 * d_noise
