"""View → Compare sets in the window: the |cos| heat map and pairs equal core's
comparison, a chosen pair's strips are core's strips on the current face, labels travel
to a planted copy (undoably, above the threshold only), and the metrics table is core's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from window_support import menu_action, open_window, settled

from guiapp.core.compare import compare_sets, metrics_table
from guiapp.core.io import save_direction_set
from guiapp.core.models.registry import load_model
from guiapp.core.render import render_request
from guiapp.core.types import StripSpec


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    yield win
    win.close()


def run(window, qtbot, method: str, params: dict) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.run_method(method, params)
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)


def compared(window, qtbot) -> None:
    """Open the view from the menu and press Compare."""
    menu_action(window, "Compare sets").trigger()
    assert window.compare_dock.isVisible()
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.compare.compare_button.click()
    assert window.compare.comparison is not None, window.last_error


def test_heat_map_and_pairs_are_cores_comparison(window, qtbot):
    run(window, qtbot, "sefa", {"k": 4})
    run(window, qtbot, "ganspace", {"k": 5, "samples": 2000})
    compared(window, qtbot)
    view, ws = window.compare, window.store.workspace
    assert view.matrix_shape() == (4, 5)
    expected = compare_sets(ws.sets[0].directions, ws.sets[1].directions)
    np.testing.assert_allclose(view.heat_image.image, expected.matrix, atol=1e-6)
    assert view.pairs.rowCount() == 4
    assert [float(view.pairs.item(r, 2).text()) for r in range(4)] == pytest.approx(
        [m.cos for m in expected.pairs], abs=1e-3)
    assert "vectors" in view.note.text()

    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        view.pairs.selectRow(0)  # the user picks the best pair: its two strips render
    model, request = load_model(window.store.model_ref), window.current_request(preview=False)
    best = expected.pairs[0]
    for strip, set_id, index in ((view.strips[0], ws.ids[0], best.a),
                                 (view.strips[1], ws.ids[1], best.b)):
        spec = StripSpec(index, tuple(request.strip_alphas), None, set_id)
        np.testing.assert_array_equal(strip, render_request(model, replace(request,
                                                                           output=spec)))


def test_labels_travel_to_a_planted_copy_and_undo(window, qtbot, tmp_path):
    run(window, qtbot, "sefa", {"k": 5})
    store = window.store
    store.set_label(1, "smile")
    store.set_label(3, "age")
    original = store.direction_set
    order = [4, 3, 0, 1, 2]  # the copy's direction n is the original's order[n]
    plant = replace(original, directions=tuple(replace(original.directions[i], label="")
                                               for i in order))
    path = tmp_path / "copy.npz"
    save_direction_set(path, plant)
    window.files.import_directions(str(path))
    assert len(store.workspace) == 2 and store.label(3) == ""
    compared(window, qtbot)
    view = window.compare
    view.threshold.setValue(0.99)
    assert view.transfer_labels() == 2
    copy = store.workspace.sets[1].directions
    assert [d.label for d in copy.directions] == ["", "age", "", "smile", ""]
    assert "2 labels moved" in window.status_label.text()
    menu_action(window, "Undo").trigger()
    assert [d.label for d in store.workspace.sets[1].directions.directions] == [""] * 5


def test_labels_stay_below_the_threshold(window, qtbot, tmp_path):
    run(window, qtbot, "sefa", {"k": 3})
    store = window.store
    store.set_label(0, "smile")
    ds = store.direction_set
    rng = np.random.default_rng(0)
    noisy = []
    for d in ds.directions:  # each vector tilted to |cos| ~ 0.9 with its original
        v = d.vector + 0.5 * rng.standard_normal(d.vector.shape) / np.sqrt(d.vector.size)
        noisy.append(replace(d, vector=(v / np.linalg.norm(v)).astype(np.float32), label=""))
    path = tmp_path / "noisy.npz"
    save_direction_set(path, replace(ds, directions=tuple(noisy)))
    window.files.import_directions(str(path))
    compared(window, qtbot)
    cos = window.compare.comparison.matrix[0, 0]
    assert 0.5 < cos < 0.99
    window.compare.threshold.setValue(min(1.0, cos + 0.01))
    assert window.compare.transfer_labels() == 0
    window.compare.threshold.setValue(cos - 0.01)
    assert window.compare.transfer_labels() == 1
    assert store.workspace.sets[1].directions.directions[0].label == "smile"


def test_metrics_table_is_cores_with_the_random_baseline(window, qtbot):
    run(window, qtbot, "sefa", {"k": 4})
    run(window, qtbot, "ganspace", {"k": 4, "samples": 2000})
    menu_action(window, "Compare sets").trigger()
    view = window.compare
    view.metric_seeds.setValue(8)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        view.measure_button.click()
    ws = window.store.workspace
    expected = metrics_table(load_model(window.store.model_ref),
                             [(s.name, s.directions) for s in ws.sets], seeds=8)
    table = view.metrics_table
    assert table.rowCount() == 3 and table.item(2, 0).text().startswith("random")
    for row, exp in enumerate(expected):
        assert table.item(row, 0).text() == exp.name
        assert float(table.item(row, 1).text()) == pytest.approx(exp.metrics.distinctness,
                                                                 abs=2e-3)
        assert float(table.item(row, 2).text()) == pytest.approx(exp.metrics.consistency,
                                                                 abs=2e-3)


def test_measuring_shows_progress_and_cancel_keeps_the_view(window, qtbot):
    run(window, qtbot, "sefa", {"k": 4})
    menu_action(window, "Compare sets").trigger()
    view = window.compare
    view.metric_seeds.setValue(4096)  # long enough to be cancelled on the way
    view.measure_button.click()
    qtbot.waitUntil(window.cancel_button.isVisible, timeout=10_000)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.cancel_button.click()
    assert view.metrics_table.rowCount() == 0 and view.metrics == ()
    assert window.last_error == ""
