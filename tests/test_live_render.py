"""The live renderer gives the same pixels as the plain render path and reuses its caches."""

from __future__ import annotations

import numpy as np
import pytest

from guiapp.core.live_render import LiveRenderer, RenderRequest
from guiapp.core.models.registry import DEFAULT_MODEL, load_model
from guiapp.core.render import render_image, render_strip
from guiapp.core.types import Direction, DirectionSet, Edit


@pytest.fixture(scope="module")
def model():
    return load_model(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def directions(model):
    rng = np.random.default_rng(3)
    vecs = rng.normal(size=(3, model.z_dim))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return DirectionSet("sefa", "z", model.model_id, {},
                        tuple(Direction(v.astype(np.float32), 1.0, 2.0) for v in vecs))


def test_live_render_matches_render_image(model, directions):
    renderer = LiveRenderer(model)
    edits = (Edit(0, 2.0), Edit(2, -1.0))
    req = RenderRequest(seed=5, truncation=0.8, direction_set=directions, edits=edits,
                        strip_index=1)
    result = renderer.render(req)
    np.testing.assert_array_equal(
        result.image, render_image(model, 5, 0.8, directions, edits))
    np.testing.assert_array_equal(result.original, render_image(model, 5, 0.8))
    expected_strip = render_strip(model, 5, directions, 1, req.strip_alphas, 0.8,
                                  edits=edits)
    np.testing.assert_array_equal(result.strip, expected_strip)
    assert result.strip.shape == (64, 64 * 7, 3)


def test_moving_the_strip_direction_reuses_the_strip(model, directions):
    renderer = LiveRenderer(model)
    first = renderer.render(RenderRequest(1, 1.0, directions, (Edit(1, 1.0),), strip_index=1))
    second = renderer.render(RenderRequest(1, 1.0, directions, (Edit(1, 2.5),), strip_index=1))
    assert second.strip is first.strip  # only the selected alpha moved
    assert not np.array_equal(first.image, second.image)
    third = renderer.render(RenderRequest(1, 1.0, directions, (Edit(1, 2.5), Edit(0, 1.0)),
                                          strip_index=1))
    assert third.strip is not first.strip  # another direction moved: new base face


def test_incompatible_directions_are_refused(model):
    other = DirectionSet("sefa", "w", "x", {}, (Direction(np.ones(512, np.float32) / 512**0.5,
                                                          1.0),))
    with pytest.raises(ValueError, match="another model"):
        LiveRenderer(model).render(RenderRequest(0, 1.0, other, (Edit(0, 1.0),)))
