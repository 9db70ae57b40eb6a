"""Direction rows, the direction list and the ranking plot against a real SessionStore, both
ways: the store changes and the widgets follow; the user acts and the store follows."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from guiapp.core.types import Direction, DirectionSet, LayerRange, ModelInfo, Ranking
from guiapp.ui.direction_list import PLACEHOLDER_TEXT, DirectionList
from guiapp.ui.direction_row import ALPHA_STEPS, DirectionRow
from guiapp.ui.direction_tips import SINGLE_LATENT_TIP
from guiapp.ui.ranking_plot import RankingPlot
from guiapp.ui.session_store import SessionStore

Z_INFO = ModelInfo(
    name="m", format="f", resolution=64, z_dim=100, w_dim=None, num_ws=1, model_id="abc"
)
STYLE_INFO = ModelInfo(
    name="s", format="f", resolution=256, z_dim=512, w_dim=512, num_ws=14, model_id="def"
)
BASELINE = 0.001


def _direction_set(k: int, dim: int, space: str, method: str = "ganspace") -> DirectionSet:
    rng = np.random.default_rng(k)
    vectors = rng.standard_normal((k, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    values = np.sort(rng.random(k))[::-1] / k
    if method == "ganspace":
        plot = Ranking("explained_variance", tuple(values.tolist()), BASELINE)  # hook: typed
    else:
        values = values * 50
        plot = Ranking("eigenvalues", tuple(values.tolist()))
    dirs = tuple(
        Direction(v.astype(np.float32), float(s), unit_scale=2.0)
        for v, s in zip(vectors, values, strict=True)
    )
    return DirectionSet(method, space, "abc", {}, dirs, plot)


def _store(info: ModelInfo, k: int = 5, method: str = "ganspace") -> SessionStore:
    store = SessionStore()
    store.set_model("builtin:x", info)
    space, dim = ("w", info.w_dim) if info.w_dim else ("z", info.z_dim)
    store.set_direction_set(_direction_set(k, dim, space, method))
    return store


@pytest.fixture
def style_store() -> SessionStore:
    return _store(STYLE_INFO)


def _row(qtbot, store: SessionStore, index: int = 1) -> DirectionRow:
    row = DirectionRow(store, index)
    qtbot.addWidget(row)
    return row


# -- one row: store -> widget ---------------------------------------------------------------
def test_row_follows_store_alpha_layers_label_and_undo(qtbot, style_store):
    row = _row(qtbot, style_store)
    style_store.set_alpha(1, 1.25)
    assert row.alpha_slider.value() == round(1.25 * ALPHA_STEPS)
    assert row.alpha_box.value() == pytest.approx(1.25)

    style_store.set_layers(1, LayerRange(2, 6))
    assert row.layer_slider.value() == (2, 5)  # inclusive on screen
    assert (row.first_layer_box.value(), row.last_layer_box.value()) == (2, 5)

    style_store.set_label(1, "smile")
    assert row.label_edit.text() == "smile"

    style_store.undo_stack.undo()  # the label
    assert row.label_edit.text() == ""
    style_store.undo_stack.undo()  # the layers
    assert row.layer_slider.value() == (0, 13)
    style_store.undo_stack.undo()  # the alpha
    assert row.alpha_slider.value() == 0 and row.alpha_box.value() == 0
    assert style_store.undo_stack.count() == 3  # showing never pushed anything back


def test_row_ignores_other_directions(qtbot, style_store):
    row = _row(qtbot, style_store, 1)
    style_store.set_alpha(2, 3.0)
    assert row.alpha_slider.value() == 0


def test_row_ranges_and_tooltips_say_the_units(qtbot, style_store):
    row = _row(qtbot, style_store)
    limit = style_store.alpha_limit(1)
    assert row.alpha_slider.maximum() == round(limit * ALPHA_STEPS)
    assert row.alpha_slider.minimum() == -round(limit * ALPHA_STEPS)
    assert row.alpha_box.maximum() == pytest.approx(limit)
    for control in (row.alpha_slider, row.alpha_box):
        assert style_store.unit_text(1) in control.toolTip()
    assert row.reset_button.toolTip() == "Reset alpha and layers"


# -- one row: widget -> store ---------------------------------------------------------------
def test_slider_keys_and_box_typing_set_alpha(qtbot, style_store):
    row = _row(qtbot, style_store)
    qtbot.keyClick(row.alpha_slider, Qt.Key.Key_Right)
    assert style_store.alpha(1) == pytest.approx(row.alpha_slider.singleStep() / ALPHA_STEPS)
    assert row.alpha_box.value() == pytest.approx(style_store.alpha(1))

    row.alpha_box.lineEdit().selectAll()
    qtbot.keyClicks(row.alpha_box.lineEdit(), "-2.35")
    qtbot.keyClick(row.alpha_box.lineEdit(), Qt.Key.Key_Return)
    assert style_store.alpha(1) == pytest.approx(-2.35)
    assert row.alpha_slider.value() == -235


def test_label_edit_commits_on_enter_and_escape_cancels(qtbot, style_store):
    row = _row(qtbot, style_store)
    qtbot.keyClicks(row.label_edit, "  smile ")
    assert style_store.label(1) == ""  # nothing sent while typing
    qtbot.keyClick(row.label_edit, Qt.Key.Key_Return)
    assert style_store.label(1) == "smile"
    assert row.label_edit.text() == "smile"

    row.label_edit.selectAll()
    qtbot.keyClicks(row.label_edit, "frown")
    qtbot.keyClick(row.label_edit, Qt.Key.Key_Escape)
    assert row.label_edit.text() == "smile"
    assert style_store.label(1) == "smile"


def test_f2_and_double_click_start_renaming(qtbot, style_store):
    row = _row(qtbot, style_store)
    style_store.set_label(1, "smile")
    row.show()
    with qtbot.waitActive(row):
        row.activateWindow()
    qtbot.keyClick(row.alpha_slider, Qt.Key.Key_F2)
    assert row.label_edit.hasFocus()
    assert row.label_edit.selectedText() == "smile"
    row.label_edit.deselect()
    qtbot.mouseDClick(row.label_edit, Qt.MouseButton.LeftButton)
    assert row.label_edit.selectedText() == "smile"


def test_layer_slider_and_boxes_set_half_open_layers(qtbot, style_store):
    row = _row(qtbot, style_store)
    row.layer_slider.setValue((3, 7))  # what a drag emits
    assert style_store.layers(1) == LayerRange(3, 8)

    row.last_layer_box.lineEdit().selectAll()
    qtbot.keyClicks(row.last_layer_box.lineEdit(), "9")
    qtbot.keyClick(row.last_layer_box.lineEdit(), Qt.Key.Key_Return)
    assert style_store.layers(1) == LayerRange(3, 10)
    assert row.layer_slider.value() == (3, 9)

    row.first_layer_box.lineEdit().selectAll()  # past the last: the range closes up
    qtbot.keyClicks(row.first_layer_box.lineEdit(), "12")
    qtbot.keyClick(row.first_layer_box.lineEdit(), Qt.Key.Key_Return)
    assert style_store.layers(1) == LayerRange(12, 13)
    assert row.last_layer_box.value() == 12


def test_reset_button_resets_alpha_and_layers(qtbot, style_store):
    row = _row(qtbot, style_store)
    style_store.set_alpha(1, 2.0)
    style_store.set_layers(1, LayerRange(4, 5))
    qtbot.mouseClick(row.reset_button, Qt.MouseButton.LeftButton)
    assert style_store.alpha(1) == 0.0
    assert style_store.layers(1) == LayerRange(0, 14)
    assert row.alpha_slider.value() == 0 and row.layer_slider.value() == (0, 13)


def test_layer_range_disabled_for_a_single_latent_model(qtbot):
    store = _store(Z_INFO)
    row = _row(qtbot, store)
    assert not row.layer_slider.isEnabled()
    assert not row.first_layer_box.isEnabled() and not row.last_layer_box.isEnabled()
    assert row.layer_slider.toolTip() == SINGLE_LATENT_TIP
    assert row.layer_slider.value() == (0, 0)


def test_layer_range_follows_a_model_with_more_layers(qtbot, style_store):
    row = _row(qtbot, style_store)
    assert row.layer_slider.isEnabled()
    assert (row.layer_slider.minimum(), row.layer_slider.maximum()) == (0, 13)
    bigger = ModelInfo(
        name="b", format="f", resolution=1024, z_dim=512, w_dim=512, num_ws=18, model_id="ghi"
    )
    style_store.set_model("builtin:y", bigger)  # same latent size: the set is kept
    assert row.layer_slider.maximum() == 17 and row.last_layer_box.maximum() == 17
    row.layer_slider.setValue((10, 17))
    assert style_store.layers(1) == LayerRange(10, 18)


def test_clicking_a_row_selects_it_and_highlights(qtbot, style_store):
    row = _row(qtbot, style_store, 3)
    assert not row.is_selected()
    qtbot.mouseClick(row.index_label, Qt.MouseButton.LeftButton)
    assert style_store.selected == 3 and row.is_selected()
    style_store.select(0)
    assert not row.is_selected()


# -- the list -------------------------------------------------------------------------------
def _list(qtbot, store: SessionStore) -> DirectionList:
    widget = DirectionList(store)
    qtbot.addWidget(widget)
    widget.resize(520, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_list_shows_placeholder_then_rows(qtbot):
    store = SessionStore()
    store.set_model("builtin:x", STYLE_INFO)
    widget = _list(qtbot, store)
    assert widget.row_count() == 0
    assert widget.placeholder.isVisible() and widget.placeholder.text() == PLACEHOLDER_TEXT
    assert not widget.reset_all_button.isEnabled()

    store.set_direction_set(_direction_set(100, 512, "w"))
    assert widget.row_count() == 100
    assert not widget.placeholder.isVisible()
    assert 0 < len(widget.built_rows()) < 100  # rows out of view wait until scrolled to
    assert [widget.row(i).index for i in range(100)] == list(range(100))
    assert widget.row(0).is_selected() and not widget.row(99).is_selected()

    store.set_direction_set(None)
    assert widget.row_count() == 0 and widget.placeholder.isVisible()


def test_list_rows_drop_the_old_set(qtbot, style_store):
    widget = _list(qtbot, style_store)
    style_store.set_label(1, "old name")
    style_store.set_alpha(1, 2.0)
    old_rows = widget.built_rows()
    style_store.set_direction_set(_direction_set(2, 512, "w"))
    assert widget.row_count() == 2
    assert not any(r.isVisible() for r in old_rows if r.index >= 2)  # the old set's extra rows
    style_store.set_alpha(1, 1.0)
    assert widget.row(1).alpha_slider.value() == ALPHA_STEPS
    assert widget.row(1).label_edit.text() == style_store.label(1) != "old name"


def test_a_name_being_typed_when_the_set_changes_stays_with_its_set(qtbot, style_store):
    """Rows are reused from set to set: text typed into a row of the old set must not
    rename the direction of the new set that the row shows next."""
    widget = _list(qtbot, style_store)
    with qtbot.waitActive(widget):
        widget.activateWindow()
    row = widget.row(1)
    row.edit_label()
    qtbot.keyClicks(row.label_edit, "typed")
    style_store.set_direction_set(_direction_set(6, 512, "w"))
    widget.setFocus()  # the typing ends (editingFinished)
    assert style_store.label(1) == ""
    assert widget.row(1).label_edit.text() == ""


def test_list_keeps_the_selection_in_view(qtbot):
    store = _store(STYLE_INFO, k=100)
    widget = _list(qtbot, store)
    store.select(80)
    assert widget.row(80).is_selected() and not widget.row(0).is_selected()
    qtbot.waitUntil(
        lambda: widget.row(80).visibleRegion().boundingRect().height() == widget.row(80).height()
    )


def test_up_down_keys_move_the_selection(qtbot, style_store):
    widget = _list(qtbot, style_store)
    qtbot.keyClick(widget, Qt.Key.Key_Down)
    qtbot.keyClick(widget, Qt.Key.Key_Down)
    assert style_store.selected == 2
    qtbot.keyClick(widget, Qt.Key.Key_Up)
    assert style_store.selected == 1
    # from a row's label the arrows reach the list too, past the scroll area
    qtbot.keyClick(widget.row(1).label_edit, Qt.Key.Key_Down)
    assert style_store.selected == 2


def test_reset_all_button(qtbot, style_store):
    widget = _list(qtbot, style_store)
    style_store.set_alpha(0, 1.0)
    style_store.set_alpha(4, -2.0)
    style_store.set_layers(2, LayerRange(1, 3))
    qtbot.mouseClick(widget.reset_all_button, Qt.MouseButton.LeftButton)
    assert [style_store.alpha(i) for i in range(5)] == [0.0] * 5
    assert style_store.layers(2) == LayerRange(0, 14)
    style_store.undo_stack.undo()  # one step
    assert style_store.alpha(4) == -2.0 and widget.row(4).alpha_box.value() == -2.0


# -- the ranking plot -----------------------------------------------------------------------
def _plot(qtbot, store: SessionStore) -> RankingPlot:
    plot = RankingPlot(store)
    qtbot.addWidget(plot)
    plot.resize(480, 320)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def _click_bar(qtbot, plot: RankingPlot, index: int) -> None:
    """A real mouse click on the middle of bar ``index``, mapped from data coordinates."""
    QApplication.processEvents()  # let the view box take its size and range
    view_box = plot.plot_item.getViewBox()
    height = float(plot.bar_values()[index])
    scene_point = view_box.mapViewToScene(QPointF(index, height / 2))
    point = plot.plot_widget.mapFromScene(scene_point)
    qtbot.mouseClick(
        plot.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point.x(), point.y())
    )


def test_plot_has_one_bar_per_direction_with_the_baseline(qtbot, style_store):
    plot = _plot(qtbot, style_store)
    ds = style_store.direction_set
    assert plot.bar_count() == len(ds) == 5
    np.testing.assert_allclose(plot.bar_values(), np.asarray(ds.plot["values"]) * 100)
    assert plot.baseline_line.isVisible()
    assert plot.baseline_line.value() == pytest.approx(BASELINE * 100)
    assert "random" in plot.baseline_text
    assert "variance" in plot.plot_item.getAxis("left").labelText


def test_plot_shows_sefa_eigenvalues_without_baseline(qtbot):
    store = _store(STYLE_INFO, k=7, method="sefa")
    plot = _plot(qtbot, store)
    assert plot.bar_count() == 7
    np.testing.assert_allclose(plot.bar_values(), store.direction_set.plot["values"])
    assert not plot.baseline_line.isVisible()
    assert plot.plot_item.getAxis("left").labelText == "Eigenvalue"


def test_clicking_a_bar_selects_its_direction_and_the_list_follows(qtbot, style_store):
    plot = _plot(qtbot, style_store)
    widget = _list(qtbot, style_store)
    _click_bar(qtbot, plot, 3)
    assert style_store.selected == 3
    assert widget.row(3).is_selected() and not widget.row(0).is_selected()
    assert plot.highlighted_index() == 3


def test_selecting_a_row_highlights_its_bar(qtbot, style_store):
    plot = _plot(qtbot, style_store)
    widget = _list(qtbot, style_store)
    assert plot.highlighted_index() == 0
    qtbot.mouseClick(widget.row(2).index_label, Qt.MouseButton.LeftButton)
    assert plot.highlighted_index() == 2
    assert "Direction 2" in plot.caption.text()


def test_plot_is_empty_without_directions_and_shows_a_loss_curve(qtbot, style_store):
    plot = _plot(qtbot, style_store)
    style_store.set_direction_set(None)
    assert plot.bar_count() == 0 and plot.highlighted_index() == -1
    assert not plot.bars.isVisible() and not plot.baseline_line.isVisible()
    assert not plot.training.isVisible()
    plot.show_training([10, 20], [3.0, 2.0], [0.25, 0.5])
    plot.append_training(30, 1.5, 0.75)
    assert plot.training.isVisible()
    assert plot.training.history() == ([10, 20, 30], [3.0, 2.0, 1.5], [0.25, 0.5, 0.75])
    np.testing.assert_allclose(plot.training.loss_curve.yData, [3.0, 2.0, 1.5])
    np.testing.assert_allclose(plot.training.accuracy_curve.xData, [10, 20, 30])
    np.testing.assert_allclose(plot.training.accuracy_curve.yData, [25, 50, 75])
    plot.hide_training()
    assert not plot.training.isVisible()


def test_tab_walks_the_rows_in_order_building_them_on_the_way(qtbot):
    store = _store(STYLE_INFO, k=60)
    widget = _list(qtbot, store)
    with qtbot.waitActive(widget):
        widget.activateWindow()
    built = len(widget.built_rows())
    last = widget.row(built - 1)
    last.reset_button.setFocus()
    qtbot.keyClick(last.reset_button, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: widget.row(built).label_edit.hasFocus())
    assert store.selected == built


def test_plot_shows_repeated_directions_apart(qtbot, style_store):
    import dataclasses

    from guiapp.ui.ranking_plot import BAR_COLOR, REPEAT_BAR_COLOR

    ds = style_store.direction_set
    dirs = list(ds.directions)
    dirs[3] = dataclasses.replace(dirs[3], notes="near-duplicate of direction 0")
    style_store.set_direction_set(dataclasses.replace(ds, directions=tuple(dirs)))
    plot = _plot(qtbot, style_store)
    brushes = plot.bars.colors()  # hook: ranked bars (one item, coloured overlays)
    assert brushes[3] == REPEAT_BAR_COLOR and brushes[2] == BAR_COLOR
    style_store.select(3)
    assert "near-duplicate of direction 0" in plot.caption.text()


def test_row_says_when_its_direction_repeats_another(qtbot, style_store):
    import dataclasses

    ds = style_store.direction_set
    dirs = list(ds.directions)
    dirs[1] = dataclasses.replace(dirs[1], notes="near-duplicate of direction 0")
    style_store.set_direction_set(dataclasses.replace(ds, directions=tuple(dirs)))
    widget = _list(qtbot, style_store)
    widget.resize(440, 400)  # the window's default width for the list
    row = widget.row(1)
    qtbot.waitUntil(lambda: row.label_edit.width() > 0)
    edit = row.label_edit
    assert edit.placeholderText() == "≈ direction 0 (F2)"
    shown = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
    assert shown <= edit.contentsRect().width()  # readable in full, not elided
    assert edit.toolTip().startswith("Near-duplicate of direction 0.")  # the note in full
    assert widget.row(2).label_edit.placeholderText() == "unnamed (F2)"


def test_plot_ticks_are_whole_direction_numbers(qtbot, style_store):
    plot = _plot(qtbot, style_store)
    ticks = plot.plot_item.getAxis("bottom")._tickLevels[0]
    assert [t[0] for t in ticks] == [0, 1, 2, 3, 4]
    style_store.set_direction_set(_direction_set(50, 512, "w"))
    ticks = plot.plot_item.getAxis("bottom")._tickLevels[0]
    assert [t[0] for t in ticks] == list(range(0, 50, 3))
