"""What a run reports, in the window: SeFa's eigenvalues in the ranking plot, a cancelled
LatentCLR run's kept iterations in the status bar, and a new set costing one render.

Driven through the method panel's Run button, the status bar's Cancel button and the
direction list's own controls, on the built-in model.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from window_support import open_window, run_sefa_from_panel, settled

from guiapp.core.types import Direction, DirectionSet, RunStatus, TrainingCurve


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    yield win
    win.close()


def test_sefa_run_from_the_panel_plots_its_eigenvalues(window, qtbot):
    run_sefa_from_panel(window, qtbot, 12)
    ds = window.store.direction_set
    assert ds.ranking.kind == "eigenvalues" and ds.status is None
    np.testing.assert_allclose(window.plot.bar_values(), ds.ranking.values[:12])
    np.testing.assert_allclose(window.plot.bar_values(), ds.scores)  # eigenvalue = score
    assert window.plot.plot_item.getAxis("left").labelText == "Eigenvalue"
    assert window.plot.caption.text().startswith("Direction 0: eigenvalue ")
    assert not window.plot.training.isVisible()  # SeFa trains nothing
    assert window.status_label.text().startswith("Found 12 directions: added as")


def test_cancelled_latentclr_says_how_many_iterations_it_kept(window, qtbot):
    page = window.methods.latentclr
    page.k.setValue(4)
    page.batch.setValue(4)
    page.iterations.setValue(page.iterations.maximum())  # until Cancel
    page.keep_best.setChecked(True)
    window.methods._tabs.setCurrentIndex(2)
    window.methods._run.click()
    qtbot.waitUntil(lambda: len(window.plot.training.history()[0]) >= 2, timeout=60_000)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.cancel_button.click()
    ds = window.store.direction_set
    assert ds.method == "latentclr" and len(ds) == 4 and ds.cancelled
    done = ds.status.iterations_done
    assert done >= 20 and ds.status == RunStatus(cancelled=True, iterations_done=done)
    assert window.status_label.text().startswith(
        f"Cancelled after {done} iterations: kept the best 4 directions so far")
    iterations, loss, _ = window.plot.training.history()  # the kept set's own curve
    assert tuple(iterations) == ds.training.iterations and tuple(loss) == ds.training.loss
    assert window.last_error == ""


def _set(k: int, seed: int, curve: TrainingCurve | None = None) -> DirectionSet:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((k, 100))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dirs = tuple(Direction(v.astype(np.float32), float(k - i)) for i, v in enumerate(vectors))
    return DirectionSet("sefa", "z", "", {}, dirs, training=curve)


def test_a_new_set_costs_one_render_and_shows_its_image(window, qtbot):
    store = window.store
    store.add_set(_set(3, 0))
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)
    before = window.render_queue.latest_id
    store.add_set(_set(100, 1))  # its selection changes too: still one request
    assert window.render_queue.latest_id == before + 1
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)
    assert window.last_result.request.strip_set == store.set_id
    store.set_alpha(0, 2.0)  # a real change still renders
    assert window.render_queue.latest_id == before + 2


def test_a_set_without_a_curve_hides_the_training_plot(window, qtbot):
    store = window.store
    store.add_set(_set(3, 0, TrainingCurve((10, 20), (1.0, 0.5), (0.2, 0.6))))
    assert window.plot.training.isVisible()
    assert window.plot.training.history() == ([10, 20], [1.0, 0.5], [0.2, 0.6])
    store.add_set(_set(3, 1))
    assert not window.plot.training.isVisible() and window.plot.training.is_empty()


def test_clicking_inside_a_rows_controls_selects_its_direction(window, qtbot):
    run_sefa_from_panel(window, qtbot, 8)
    rows = window.direction_list
    for index, widget in ((3, rows.row(3).alpha_box.lineEdit()), (5, rows.row(5).alpha_slider),
                          (2, rows.row(2).last_layer_box.lineEdit()),
                          (6, rows.row(6).label_edit)):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(4, widget.height() // 2))
        assert window.store.selected == index, widget
        assert rows.row(index).is_selected() and window.plot.highlighted_index() == index


def test_undo_and_f2_keys_in_a_rows_number_box(window, qtbot):
    run_sefa_from_panel(window, qtbot, 4)
    row = window.direction_list.row(1)
    box = row.alpha_box
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "1.5")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.store.alpha(1) == 1.5 and window.store.selected == 1
    qtbot.keyClick(box, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.store.alpha(1) == 0.0 and box.value() == 0.0  # the session's history
    qtbot.keyClick(box, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert window.store.alpha(1) == 1.5  # and redo
    qtbot.keyClick(box, Qt.Key.Key_F2)
    assert row.label_edit.hasFocus()  # F2 anywhere in the row renames
