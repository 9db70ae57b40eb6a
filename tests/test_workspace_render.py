"""Rendering a workspace: edits from several sets add up in latent space, a one-set
request gives the pixels of the one-set renderer, strips hold every other set's edits, and
a projected latent (z, w or w+) renders in place of a seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stylegan_fixtures import random_generator, write_nvidia_pickle

from guiapp.core.edits import apply_edits, apply_workspace_edits
from guiapp.core.live_render import LiveRenderer
from guiapp.core.methods import run_method
from guiapp.core.models.registry import load_model
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.render import base_latents, render_image, render_request, render_strip
from guiapp.core.types import (
    Direction,
    DirectionSet,
    Edit,
    GridSpec,
    LayerRange,
    ProjectedLatent,
    RenderRequest,
    StripSpec,
)
from guiapp.core.workspace import Workspace

REF = "builtin:dcgan-digiface"


@pytest.fixture(scope="module")
def model():
    return load_model(REF)


def random_set(model, k: int, seed: int, method: str = "ganspace") -> DirectionSet:
    q, _ = np.linalg.qr(np.random.RandomState(seed).randn(model.latent_dim, k))
    dirs = tuple(Direction(q[:, i].astype(np.float32), 1.0, unit_scale=0.5 + i)
                 for i in range(k))
    return DirectionSet(method, model.latent_space, model.model_id, {}, dirs)


@pytest.fixture(scope="module")
def workspace(model):
    sefa = run_method(model, "sefa", {"k": 6})
    ws, a = Workspace().add_set(sefa)
    ws, b = ws.add_set(random_set(model, 5, 1))
    return ws, a, b


def test_two_sets_edits_equal_their_sum_in_latent_space(model, workspace):
    ws, a, b = workspace
    ws = ws.set_edit(a, 0, 2.0).set_edit(a, 3, -1.0).set_edit(b, 2, 1.5)
    base = base_latents(model, 4, 0.8)
    combined = apply_workspace_edits(base, ws)
    da, db = ws.get(a).directions, ws.get(b).directions
    shift_a = apply_edits(base, da, ws.edits_for(a)) - base
    shift_b = apply_edits(base, db, ws.edits_for(b)) - base
    torch.testing.assert_close(combined, base + shift_a + shift_b, rtol=0, atol=1e-6)
    expected = 2.0 * da.vectors[0] - 1.0 * da.vectors[3] + 1.5 * 2.5 * db.vectors[2]
    np.testing.assert_allclose((combined - base)[0, 0].numpy(), expected, atol=1e-5)
    image = render_request(model, RenderRequest(seed=4, truncation=0.8, workspace=ws))
    assert not np.array_equal(image, render_image(model, 4, 0.8))


def test_a_one_set_request_is_the_one_set_renderer(model, workspace):
    ws, a, _ = workspace
    ds, edits = ws.get(a).directions, (Edit(1, 2.5), Edit(2, -1.0))
    old = render_image(model, 7, 0.7, ds, edits)
    shorthand = render_request(model, RenderRequest(seed=7, truncation=0.7, direction_set=ds,
                                                    edits=edits))
    one_set = render_request(model, RenderRequest(
        seed=7, truncation=0.7, workspace=ws.with_set_edits(a, edits)))
    np.testing.assert_array_equal(shorthand, old)
    np.testing.assert_array_equal(one_set, old)


def test_a_strip_holds_the_other_sets_edits(model, workspace):
    ws, a, b = workspace
    ws = ws.set_edit(a, 0, 1.0).set_edit(b, 1, 2.0).select(b)
    alphas = (-2.0, 0.0, 2.0)
    strip = render_request(model, RenderRequest(seed=3, workspace=ws,
                                                output=StripSpec(1, alphas)))
    width = model.resolution
    assert strip.shape == (width, width * 3, 3)
    image = render_request(model, RenderRequest(seed=3, workspace=ws))
    np.testing.assert_array_equal(strip[:, 2 * width:], image)  # the current alpha's column
    held = render_strip(model, 3, ws.get(b).directions, 1, alphas)  # set a's edit left out
    assert not np.array_equal(strip, held)
    only_b = render_request(model, RenderRequest(seed=3, workspace=ws.clear_edit(a, 0),
                                                 output=StripSpec(1, alphas)))
    np.testing.assert_array_equal(only_b, held)


def test_a_grid_reports_rows_and_stops_when_cancelled(model, workspace):
    ws, a, _ = workspace
    seen = []
    grid = render_request(model, RenderRequest(seed=1, workspace=ws, output=GridSpec(
        (0, 1, 2), (-1.0, 1.0), set_id=a)), progress=lambda f, m: seen.append(f))
    assert grid.shape == (3 * model.resolution, 2 * model.resolution, 3)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) == 4
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        render_request(model, RenderRequest(seed=1, workspace=ws, output=GridSpec(
            (0, 1), (0.0,), set_id=a)), cancel=token)


def test_a_set_with_an_edit_from_another_space_is_refused_by_name(model, workspace):
    ws = workspace[0]
    wrong = DirectionSet("sefa", "w", "x", {}, (Direction(np.eye(8, dtype=np.float32)[0], 1.0),))
    ws, c = ws.add_set(wrong, "other model")
    render_request(model, RenderRequest(seed=0, workspace=ws))  # no edit of it: fine
    with pytest.raises(ValueError, match="other model"):
        render_request(model, RenderRequest(seed=0, workspace=ws.set_edit(c, 0, 1.0)))


def test_the_live_renderer_shows_the_workspace_image_and_strip(model, workspace):
    ws, a, b = workspace
    ws = ws.set_edit(a, 2, 1.5).set_edit(b, 0, -1.0)
    req = RenderRequest(seed=5, workspace=ws, strip_index=0, strip_set=b,
                        strip_alphas=(-1.0, 1.0))
    result = LiveRenderer(model).render(req)
    np.testing.assert_array_equal(result.image, render_request(model, req))
    np.testing.assert_array_equal(result.strip, render_request(
        model, RenderRequest(seed=5, workspace=ws, output=StripSpec(0, (-1.0, 1.0), set_id=b))))
    np.testing.assert_array_equal(result.original, render_image(model, 5))


def test_a_z_latent_renders_as_its_seed(model):
    z = model.sample_z(1, 11)[0]
    face = ProjectedLatent("z", z.astype(np.float32), "z.npy")
    got = render_request(model, RenderRequest(seed=0, truncation=0.6, latent=face))
    np.testing.assert_array_equal(got, render_image(model, 11, 0.6))
    with pytest.raises(ValueError, match="no w space"):
        render_request(model, RenderRequest(latent=ProjectedLatent("w", z)))


@pytest.fixture(scope="module")
def stylegan(tmp_path_factory):
    path = tmp_path_factory.mktemp("sg2") / "network-snapshot.pkl"
    return load_model(str(write_nvidia_pickle(path, random_generator(seed=3))))


def test_w_and_w_plus_latents_are_the_face_itself(stylegan):
    m = stylegan
    ws = base_latents(m, 2, 1.0)[0].numpy()
    plus = ProjectedLatent("w+", ws)
    np.testing.assert_array_equal(render_request(m, RenderRequest(latent=plus)),
                                  render_image(m, 2))
    # truncation does not apply to a w+ latent (it would to the seed)
    np.testing.assert_array_equal(render_request(m, RenderRequest(latent=plus, truncation=0.5)),
                                  render_image(m, 2))
    w = ProjectedLatent("w", ws[0])
    np.testing.assert_array_equal(
        render_request(m, RenderRequest(latent=w, truncation=0.3)),
        render_request(m, RenderRequest(latent=ProjectedLatent("w+", np.repeat(
            ws[:1], m.num_ws, axis=0)))))
    with pytest.raises(ValueError, match="shape"):
        render_request(m, RenderRequest(latent=ProjectedLatent("w+", ws[:2])))


def test_an_edit_on_a_latent_face_moves_only_its_layers(stylegan):
    m = stylegan
    ds = run_method(m, "sefa", {"k": 3})
    ws, a = Workspace().add_set(ds)
    face = ProjectedLatent("w+", base_latents(m, 6, 1.0)[0].numpy())
    plain = render_request(m, RenderRequest(latent=face, workspace=ws))
    moved = render_request(m, RenderRequest(latent=face, workspace=ws.set_edit(
        a, 0, 3.0, LayerRange(0, 2))))
    np.testing.assert_array_equal(plain, render_image(m, 6))
    np.testing.assert_array_equal(moved, render_image(m, 6, 1.0, ds, [Edit(0, 3.0,
                                                                           LayerRange(0, 2))]))
