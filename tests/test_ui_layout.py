"""What the user sees fits: direction rows keep their number box and reset button in view at
the narrowest window, the LatentCLR form fits its panel, single-latent models show no layer
line, long tooltips wrap; and Ctrl+Z works from a row's number box. Geometry, not pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtGui import QGuiApplication, QHelpEvent
from PySide6.QtWidgets import QApplication, QFormLayout, QWidget

from guiapp.core.types import Direction, DirectionSet, ModelInfo
from guiapp.ui.direction_row import DirectionRow
from guiapp.ui.main_window import MainWindow
from guiapp.ui.method_panel import MethodPanel
from guiapp.ui.session_store import SessionStore
from guiapp.ui.settings import AppSettings

Z_INFO = ModelInfo("m", "f", 64, 100, None, 1, "abc")
STYLE_INFO = ModelInfo("s", "f", 256, 512, 512, 14, "def")


def _store(info: ModelInfo, k: int = 4) -> SessionStore:
    store = SessionStore()
    store.set_model("m", info)
    dim, space = (info.w_dim, "w") if info.w_dim else (info.z_dim, "z")
    vectors = np.eye(k, dim, dtype=np.float32)
    store.set_direction_set(DirectionSet("sefa", space, info.model_id, {},
                                         tuple(Direction(v, 1.0) for v in vectors)))
    return store


def inside(widget: QWidget, area: QWidget) -> bool:
    """``widget`` lies wholly inside ``area``'s rectangle (the part of the screen that shows)."""
    top_left = widget.mapTo(area, QPoint(0, 0))
    return area.rect().contains(QRect(top_left, widget.size()))


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=AppSettings(tmp_path / "config"), offer_restore=False)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.open_model()
    qtbot.waitUntil(lambda: not win.runner.is_busy())  # the load's own "finished" has come
    yield win
    win.close()


# -- Ctrl+Z from the number box -----------------------------------------------------------------
def _type_alpha(qtbot, row: DirectionRow, text: str) -> None:
    row.alpha_box.lineEdit().selectAll()
    qtbot.keyClicks(row.alpha_box, text)
    qtbot.keyClick(row.alpha_box, Qt.Key.Key_Return)


def test_ctrl_z_in_the_alpha_box_undoes_and_redoes_the_store(qtbot):
    store = _store(STYLE_INFO)
    row = DirectionRow(store, 1)
    qtbot.addWidget(row)
    _type_alpha(qtbot, row, "1.5")
    assert store.alpha(1) == 1.5
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(row.alpha_box, Qt.Key.Key_Z, ctrl)
    assert store.alpha(1) == 0.0 and row.alpha_box.value() == 0.0
    qtbot.keyClick(row.alpha_box, Qt.Key.Key_Z, ctrl | shift)
    assert store.alpha(1) == 1.5 and row.alpha_box.value() == 1.5
    qtbot.keyClick(row.alpha_box, Qt.Key.Key_Z, ctrl)
    qtbot.keyClick(row.alpha_box, Qt.Key.Key_Y, ctrl)  # the other redo key
    assert store.alpha(1) == 1.5
    qtbot.keyClick(row.last_layer_box, Qt.Key.Key_Z, ctrl)  # the layer boxes too
    assert store.alpha(1) == 0.0


def test_ctrl_z_in_the_windows_alpha_box_undoes_one_step(window, qtbot):
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):
        window.run_method("sefa", {"k": 4})
    row = window.direction_list.row(0)
    window.activateWindow()
    row.alpha_box.setFocus()
    _type_alpha(qtbot, row, "1")
    _type_alpha(qtbot, row, "2")
    assert window.store.alpha(0) == 2.0
    qtbot.keyClick(row.alpha_box, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.store.alpha(0) == 1.0  # one step back, not two
    assert row.alpha_box.value() == 1.0


# -- direction rows -------------------------------------------------------------------------------
def test_single_latent_rows_have_no_layer_line(qtbot):
    flat = DirectionRow(_store(Z_INFO), 1)
    styled = DirectionRow(_store(STYLE_INFO), 1)
    for row in (flat, styled):
        qtbot.addWidget(row)
        row.show()
    assert all(w.isHidden() for w in flat.layer_widgets())
    assert not any(w.isHidden() for w in styled.layer_widgets())
    assert flat.sizeHint().height() < styled.sizeHint().height()  # one line, not two


def test_rows_keep_number_box_and_reset_in_view_at_the_narrowest_window(window, qtbot):
    with qtbot.waitSignal(window.runner.finished, timeout=30_000):
        window.run_method("sefa", {"k": 12})
    viewport = window.direction_list.scroll_area.viewport()
    window.resize(200, 200)  # as narrow as it goes: the window keeps its minimum size
    qtbot.waitUntil(lambda: window.width() == window.minimumSizeHint().width())
    row = window.direction_list.row(0)
    qtbot.waitUntil(lambda: row.width() <= viewport.width())
    for widget in (row.alpha_box, row.reset_button, row.alpha_slider, row.label_edit):
        assert inside(widget, viewport), widget.accessibleName()
    window.resize(1400, 880)
    qtbot.waitUntil(lambda: row.width() == viewport.width())  # the rows grow back
    assert inside(row.reset_button, viewport)
    assert row.alpha_slider.width() > 100


# -- the LatentCLR page ------------------------------------------------------------------------
def _fields(form: QFormLayout) -> list[QWidget]:
    """The form's fields that show (rows that do not apply are hidden)."""
    items = (form.itemAt(r, QFormLayout.ItemRole.FieldRole) for r in range(form.rowCount()))
    page = form.parentWidget()
    return [i.widget() for i in items if i is not None and i.widget().isVisibleTo(page)]


def test_latentclr_page_fits_its_panel_at_the_default_size(window, qtbot):
    window.methods._tabs.setCurrentIndex(2)
    page = window.methods.latentclr
    area = window.methods._tabs.currentWidget()
    qtbot.waitUntil(page.isVisible)
    assert not area.verticalScrollBar().isVisible()  # the whole form shows, no scrolling
    fields = _fields(page._form)
    assert page.k in fields and page.depth not in fields  # depth applies to non-linear only
    assert page.layers not in fields  # one latent: no layers to pick
    for field in fields:
        assert inside(field, area.viewport()), field.toolTip()
        assert field.width() >= field.minimumSizeHint().width()  # arrows not cut off


def test_latentclr_fields_stay_left_of_the_scroll_bar_when_the_panel_is_narrow(qtbot):
    store = SessionStore()
    store.set_model("m", STYLE_INFO)
    panel = MethodPanel(store)
    qtbot.addWidget(panel)
    panel._tabs.setCurrentIndex(2)
    panel.latentclr.model_type.setCurrentIndex(panel.latentclr.model_type.findData("nonlinear"))
    panel.resize(10, 300)  # a short, narrow panel: the form must scroll
    panel.show()
    qtbot.waitExposed(panel)
    area = panel._tabs.currentWidget()
    qtbot.waitUntil(area.verticalScrollBar().isVisible)
    for field in _fields(panel.latentclr._form):
        right = field.mapTo(area.viewport(), QPoint(field.width(), 0)).x()
        assert right <= area.viewport().width(), field.toolTip()
        assert field.width() >= field.minimumSizeHint().width()


# -- tooltips -------------------------------------------------------------------------------------
def _shown_tooltip() -> QWidget:
    tips = [w for w in QApplication.topLevelWidgets()
            if w.objectName() == "qtooltip_label" and w.isVisible()]
    assert len(tips) == 1
    return tips[0]


def test_long_tooltips_wrap_at_a_readable_width(qtbot):
    panel = MethodPanel(_store(Z_INFO))
    qtbot.addWidget(panel)
    panel._tabs.setCurrentIndex(2)
    panel.show()
    qtbot.waitExposed(panel)
    field = panel.latentclr.keep_best
    screen = QGuiApplication.primaryScreen().geometry().width()
    one_line = field.fontMetrics().horizontalAdvance(field.toolTip())
    assert screen // 2 < one_line < screen  # Qt itself wraps only what is wider than the screen
    event = QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), field.mapToGlobal(QPoint(5, 5)))
    QApplication.sendEvent(field, event)
    tip = _shown_tooltip()
    assert tip.width() < one_line  # wrapped, not one long line
    assert tip.height() > 1.5 * tip.fontMetrics().height()  # on several lines
    assert "running loss" in tip.text()


def test_no_application_wide_event_filter():
    """An event filter on the QApplication is handed every object that gets an event, Qt's
    internal ones too; wrapping those in Python inside the filter segfaulted a CI run."""
    import re
    from pathlib import Path

    ui = Path(__file__).resolve().parents[1] / "guiapp"
    app_filter = re.compile(r"(\bapp|instance\(\)|qApp)\s*\.\s*installEventFilter\(")
    offenders = [str(p) for p in ui.rglob("*.py") if app_filter.search(p.read_text())]
    assert offenders == []
