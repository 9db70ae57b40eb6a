"""The one strip/grid rule in core (render.strip_latents): a row along direction i replaces
i's own edit by each column's alpha on i's layers and holds the other edits; grids report
each row and stop when cancelled."""

from __future__ import annotations

import numpy as np
import pytest
from stylegan_fixtures import random_generator, write_nvidia_pickle

from guiapp.core.methods import run_method
from guiapp.core.models.registry import load_model
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.render import render_grid, render_image, render_strip
from guiapp.core.types import Edit, LayerRange

ALPHAS = (-2.0, 0.0, 1.5)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = write_nvidia_pickle(tmp_path_factory.mktemp("rule") / "g.pkl",
                               random_generator(seed=8))
    return load_model(str(path))


@pytest.fixture(scope="module")
def directions(model):
    return run_method(model, "sefa", {"k": 3})


def test_a_strip_replaces_its_own_edit_and_holds_the_others(model, directions):
    others = (Edit(0, 1.0, LayerRange(0, 2)),)
    own = Edit(1, 2.5, LayerRange(2, 5))
    with_own = render_strip(model, 4, directions, 1, ALPHAS, 0.8, None, (*others, own))
    without = render_strip(model, 4, directions, 1, ALPHAS, 0.8, LayerRange(2, 5), others)
    np.testing.assert_array_equal(with_own, without)  # the own alpha is replaced, not added
    width = model.resolution
    for j, alpha in enumerate(ALPHAS):
        column = with_own[:, width * j : width * (j + 1)]
        expected = render_image(model, 4, 0.8, directions,
                                (*others, Edit(1, alpha, LayerRange(2, 5))))
        np.testing.assert_array_equal(column, expected)
    # Another range for the strip moves other layers.
    assert not np.array_equal(
        with_own, render_strip(model, 4, directions, 1, ALPHAS, 0.8, LayerRange(0, 1),
                               (*others, own)))


def test_grid_rows_are_strips_on_their_own_layers(model, directions):
    edits = (Edit(0, 1.0), Edit(2, -1.0, LayerRange(1, 3)))
    rows = (LayerRange(0, 6), LayerRange(3, 6), None)
    grid = render_grid(model, 2, directions, [0, 1, 2], ALPHAS, 0.9, edits, layers=rows)
    res = model.resolution
    for n, index in enumerate([0, 1, 2]):
        strip = render_strip(model, 2, directions, index, ALPHAS, 0.9, rows[n], edits)
        np.testing.assert_array_equal(grid[res * n : res * (n + 1)], strip)
    with pytest.raises(ValueError, match="needs as many layer ranges"):
        render_grid(model, 2, directions, [0, 1], ALPHAS, layers=rows)


def test_grid_reports_each_row_and_stops_when_cancelled(model, directions):
    heard: list[str] = []
    render_grid(model, 1, directions, [0, 1, 2], ALPHAS,
                progress=lambda fraction, message: heard.append(message))
    assert heard[:3] == [f"Rendering row {n} of 3" for n in (1, 2, 3)]
    cancel = CancelToken()

    def cancel_after_first(fraction: float, message: str) -> None:
        heard.append(message)
        if message == "Rendering row 2 of 3":
            cancel.cancel()

    heard.clear()
    with pytest.raises(Cancelled):
        render_grid(model, 1, directions, [0, 1, 2], ALPHAS, progress=cancel_after_first,
                    cancel=cancel)
    assert heard == ["Rendering row 1 of 3", "Rendering row 2 of 3"]
