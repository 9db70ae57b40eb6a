"""Frame plans (core.animation): the walk's frames are the strip rule's images at each alpha,
the morph's ends are the two seeds' images, batching changes no pixel, and progress/cancel
work as for every long job."""

from __future__ import annotations

import numpy as np
import pytest
from stylegan_fixtures import random_generator, write_nvidia_pickle

from guiapp.core.animation import (
    Face,
    MorphPlan,
    WalkPlan,
    bounce_values,
    check_plan,
    frame_count,
    render_all,
    render_frames,
    slerp,
    walk_plan,
)
from guiapp.core.methods import run_method
from guiapp.core.models.registry import load_model
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.render import render_image, render_request
from guiapp.core.types import Edit, LayerRange, ProjectedLatent, RenderRequest
from guiapp.core.workspace import Workspace


def assert_within_rounding(a: np.ndarray, b: np.ndarray) -> None:
    """The same image up to rounding: a batch of several latents sums in another order on
    the CPU than a batch of one (the kernel is chosen per batch size), so a value right at
    .5 can round to the next grey level. Exact comparisons render with batch_size=1."""
    assert a.shape == b.shape
    diff = np.abs(a.astype(int) - b.astype(int))
    assert diff.max() <= 1 and np.count_nonzero(diff) <= max(1, diff.size // 1000)


@pytest.fixture(scope="module")
def builtin():
    model = load_model("builtin:dcgan-digiface")
    return model, run_method(model, "sefa", {"k": 4})


@pytest.fixture(scope="module")
def stylegan(tmp_path_factory):
    path = write_nvidia_pickle(tmp_path_factory.mktemp("anim") / "g.pkl",
                               random_generator(seed=5))
    model = load_model(str(path))
    return model, run_method(model, "sefa", {"k": 3})


def test_walk_middle_is_the_unedited_image_and_ends_are_the_plus_minus_edits(builtin):
    model, ds = builtin
    plan = walk_plan(Face(7, 0.8), ds, 1, 2.5, 5, bounce=False)
    assert plan.alphas == (-2.5, -1.25, 0.0, 1.25, 2.5)
    frames = render_all(model, plan, batch_size=1)
    assert frames.shape == (5, model.resolution, model.resolution, 3)
    np.testing.assert_array_equal(frames[2], render_image(model, 7, 0.8))
    np.testing.assert_array_equal(frames[0], render_image(model, 7, 0.8, ds, [Edit(1, -2.5)]))
    np.testing.assert_array_equal(frames[4], render_image(model, 7, 0.8, ds, [Edit(1, 2.5)]))
    assert not np.array_equal(frames[0], frames[4])


def test_walk_goes_back_without_repeating_its_ends(builtin):
    model, ds = builtin
    once = render_all(model, walk_plan(Face(3), ds, 0, 2.0, 4, bounce=False), 1)
    loop_plan = walk_plan(Face(3), ds, 0, 2.0, 4)
    assert frame_count(loop_plan) == 6
    loop = render_all(model, loop_plan, 1)
    np.testing.assert_array_equal(loop[:4], once)
    np.testing.assert_array_equal(loop[4:], once[2:0:-1])  # back, ends not repeated
    assert bounce_values(np.array([0.0, 1.0, 2.0]), True) == (0.0, 1.0, 2.0, 1.0)


def test_walk_holds_the_other_edits_and_moves_its_own_layers(stylegan):
    model, ds = stylegan
    others = Edit(0, 1.5, LayerRange(0, 2))
    own = Edit(2, 0.7, LayerRange(3, 6))  # replaced by each frame's alpha, on its layers
    face = Face(11, 0.9)
    plan = WalkPlan(face, ds, 2, -2.0, 2.0, 3, (others, own), bounce=False)
    frames = render_all(model, plan, 1)
    for frame, alpha in zip(frames, (-2.0, 0.0, 2.0), strict=True):
        expected = render_image(model, 11, 0.9, ds, [others, Edit(2, alpha, LayerRange(3, 6))])
        np.testing.assert_array_equal(frame, expected)
    alone = render_all(model, WalkPlan(face, ds, 2, -2.0, 2.0, 3, (others, own),
                                       hold_edits=False, bounce=False), 1)
    np.testing.assert_array_equal(alone[1], render_image(model, 11, 0.9))
    assert not np.array_equal(alone[0], frames[0])


def test_walk_across_sets_holds_every_other_sets_edits(stylegan):
    model, ds = stylegan
    other = run_method(model, "ganspace", {"k": 3, "samples": 2000, "seed": 1})
    work, first = Workspace().add_set(ds, "sefa")
    work, second = work.add_set(other, "ganspace")
    work = work.set_edit(first, 0, 1.0).set_edit(second, 1, -1.5, LayerRange(0, 3))
    work = work.set_edit(first, 2, 0.5, LayerRange(2, 6))  # replaced by each frame's alpha
    plan = WalkPlan(Face(4), ds, 2, -2.0, 2.0, 3, workspace=work, set_id=first, bounce=False)
    frames = render_all(model, plan, 1)
    for frame, alpha in zip(frames, (-2.0, 0.0, 2.0), strict=True):
        moved = work.set_edit(first, 2, alpha, LayerRange(2, 6))
        expected = render_request(model, RenderRequest(seed=4, workspace=moved))
        np.testing.assert_array_equal(frame, expected)
    alone = render_all(model, WalkPlan(Face(4), ds, 2, -2.0, 2.0, 3, workspace=work,
                                       set_id=first, hold_edits=False, bounce=False), 1)
    np.testing.assert_array_equal(alone[1], render_image(model, 4))
    morph = render_all(model, MorphPlan(Face(4), 8, 3, "w", workspace=work), 1)
    np.testing.assert_array_equal(morph[-1], render_request(model, RenderRequest(
        seed=8, workspace=work)))


def test_walk_from_a_projected_latent(stylegan):
    model, ds = stylegan
    rng = np.random.RandomState(3)
    latent = ProjectedLatent("w+", rng.randn(model.num_ws, model.latent_dim).astype(np.float32))
    plan = WalkPlan(Face(0, latent=latent), ds, 1, -1.0, 1.0, 3, bounce=False)
    frames = render_all(model, plan, 1)
    np.testing.assert_array_equal(frames[1], render_request(model, RenderRequest(latent=latent)))
    with pytest.raises(ValueError, match="seed to seed"):
        check_plan(model, MorphPlan(Face(0, latent=latent), 3, 5))


@pytest.mark.parametrize("space", ["z", "w"])
def test_morph_ends_are_the_two_seeds(stylegan, space):
    model, ds = stylegan
    edits = (Edit(1, 1.0),)
    plan = MorphPlan(Face(2, 0.7), 9, 5, space, ds, edits)
    frames = render_all(model, plan, batch_size=1)
    assert len(frames) == 5
    np.testing.assert_array_equal(frames[0], render_image(model, 2, 0.7, ds, edits))
    np.testing.assert_array_equal(frames[-1], render_image(model, 9, 0.7, ds, edits))
    assert not np.array_equal(frames[2], frames[0])
    assert not np.array_equal(frames[2], frames[-1])


def test_z_and_w_morphs_differ_mid_way_and_bounce_returns(stylegan):
    model, _ = stylegan
    z = render_all(model, MorphPlan(Face(2), 9, 3, "z"), 1)
    w = render_all(model, MorphPlan(Face(2), 9, 3, "w"), 1)
    assert not np.array_equal(z[1], w[1])
    back = render_all(model, MorphPlan(Face(2), 9, 3, "z", bounce=True), 1)
    assert len(back) == 4
    np.testing.assert_array_equal(back[3], z[1])


def test_slerp_keeps_the_norm_that_a_straight_line_loses():
    rng = np.random.RandomState(0)
    a, b = rng.randn(512), rng.randn(512)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    mid = slerp(a, b, 0.5)
    assert np.linalg.norm(mid) == pytest.approx(np.linalg.norm(a), rel=1e-9)
    assert np.linalg.norm((a + b) / 2) < 0.8 * np.linalg.norm(a)
    assert slerp(a, b, 0.0) is a and slerp(a, b, 1.0) is b


def test_batches_render_the_same_frames_as_one_at_a_time(builtin, stylegan):
    for model, ds in (builtin, stylegan):
        plan = walk_plan(Face(5), ds, 2, 3.0, 7, (Edit(0, 1.0),))
        single, batched = render_all(model, plan, 1), render_all(model, plan, 5)
        for a, b in zip(single, batched, strict=True):
            assert_within_rounding(a, b)


def test_frames_report_progress_and_stop_when_cancelled(builtin):
    model, ds = builtin
    plan = walk_plan(Face(5), ds, 0, 3.0, 6, bounce=False)
    seen: list[float] = []
    batches = list(render_frames(model, plan, batch_size=2,
                                 progress=lambda f, _m: seen.append(f)))
    assert [len(b) for b in batches] == [2, 2, 2]
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 4
    token = CancelToken()
    frames = render_frames(model, plan, batch_size=2, cancel=token)
    next(frames)
    token.cancel()
    with pytest.raises(Cancelled):
        next(frames)


def test_bad_plans_are_refused_before_rendering(builtin):
    model, ds = builtin
    with pytest.raises(ValueError, match="2 to 2000 frames"):
        check_plan(model, walk_plan(Face(1), ds, 0, 3.0, 1))
    with pytest.raises(IndexError):
        check_plan(model, walk_plan(Face(1), ds, 9, 3.0, 10))
    with pytest.raises(ValueError, match="z or w"):
        check_plan(model, MorphPlan(Face(1), 2, 10, "x"))
    with pytest.raises(ValueError, match="second seed"):
        check_plan(model, MorphPlan(Face(1), 2**32, 10))
    with pytest.raises(ValueError, match="finite"):
        check_plan(model, WalkPlan(Face(1), ds, 0, float("nan"), 1.0, 10))
