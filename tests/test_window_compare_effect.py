"""View → Compare sets in the window, for two sets of different latent spaces: SeFa's w
directions on a small StyleGAN2 and an imported set of z directions of the same model.
The view compares them by effect (the mean image change over its seeds), says so, and
shows core's heat map; the z set is kept for comparing but never edited (edits move w)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from stylegan_fixtures import random_generator, write_nvidia_pickle
from window_support import answer_dialogs, menu_action, open_window, settled

from guiapp.core.compare import compare_sets
from guiapp.core.io import save_direction_set
from guiapp.core.models.registry import load_model
from guiapp.core.render import render_request
from guiapp.core.types import Direction, DirectionSet, StripSpec

Z_DIRECTIONS = 3


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    path = write_nvidia_pickle(tmp_path / "tiny.pkl", random_generator(seed=5))
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.open_model(str(path))
    qtbot.waitUntil(lambda: settled(win) and not win.runner.is_busy(), timeout=30_000)
    yield win
    win.close()


def save_z_set(model, path) -> None:
    """Three seeded unit z directions of the model, saved as a direction file."""
    vectors = np.random.RandomState(4).randn(Z_DIRECTIONS, model.z_dim)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ds = DirectionSet("ganspace", "z", model.model_id, {}, tuple(
        Direction(v.astype(np.float32), 1.0) for v in vectors))
    save_direction_set(path, ds)


def test_z_and_w_sets_are_compared_by_effect(window, qtbot, tmp_path, monkeypatch):
    model = window.loaded.model
    assert model.w_dim is not None and model.z_dim != 0
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.run_method("sefa", {"k": 4})
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)
    answer_dialogs(window, monkeypatch, open_=tmp_path / "z.npz")
    save_z_set(model, tmp_path / "z.npz")
    menu_action(window, "Import directions…").trigger()
    ws = window.store.workspace
    assert [s.directions.space for s in ws.sets] == ["w", "z"], window.last_error

    menu_action(window, "Compare sets").trigger()
    view = window.compare
    assert window.compare_dock.isVisible()
    view.set_a.setCurrentIndex(view.set_a.findData(ws.ids[0]))
    view.set_b.setCurrentIndex(view.set_b.findData(ws.ids[1]))
    view.effect_seeds.setValue(6)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        view.compare_button.click()
    assert view.comparison is not None, window.last_error
    assert "compared by effect" in view.note.text() and "6 seeds" in view.note.text()
    assert view.matrix_shape() == (4, Z_DIRECTIONS)
    fresh = load_model(window.store.model_ref)  # core's comparison on the same file
    expected = compare_sets(ws.sets[0].directions, ws.sets[1].directions, fresh, seeds=6)
    assert expected.kind == "effect"
    np.testing.assert_allclose(view.heat_image.image, expected.matrix, atol=1e-5)
    assert view.pairs.rowCount() == Z_DIRECTIONS

    best = expected.pairs[0]
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        view.pairs.selectRow(0)  # the pair's strips: the z direction moves the face's z
    assert len(view.strips) == 2, window.last_error
    face = render_request(fresh, window.current_request(preview=False))
    width = face.shape[1]
    for strip in view.strips:
        tiles = [strip[:, i * width:(i + 1) * width] for i in range(strip.shape[1] // width)]
        assert len(tiles) == 7
        np.testing.assert_array_equal(tiles[3], face)  # alpha 0: the face itself
        assert not np.array_equal(tiles[0], tiles[6])
    assert best.cos == pytest.approx(float(view.pairs.item(0, 2).text()), abs=1e-3)

    window.store.select_set(ws.ids[1])  # the z set's sliders change nothing: edits move w
    window.store.select(1)  # its direction 1: the strip beside the image moves z
    qtbot.waitUntil(lambda: settled(window) and window.last_result.strip is not None
                    and window.last_result.request.strip_index == 1, timeout=30_000)
    from guiapp.core.compare_strips import z_strip

    shown = window.last_result
    np.testing.assert_array_equal(shown.strip, z_strip(fresh, shown.request,
                                                       ws.sets[1].directions, 1))
    z_set = ws.sets[1].directions
    as_w = DirectionSet(z_set.method, "w", z_set.model_id, {}, z_set.directions)
    in_w = render_request(fresh, replace(shown.request, workspace=None, direction_set=as_w,
                                         edits=(), output=StripSpec(
                                             1, shown.request.strip_alphas)))
    assert not np.array_equal(shown.strip, in_w)  # its vector is not moved in w
    window.store.set_alpha(1, 2.0)
    assert window.store.workspace.edits == ()
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)
    assert window.last_error == ""
