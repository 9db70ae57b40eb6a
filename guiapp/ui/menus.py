"""The window's menu bar: File, Edit (undo, redo, reset) and View, with their shortcuts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from guiapp.ui.main_window import MainWindow


def _action(window: MainWindow, menu: Any, text: str, slot: Any, shortcut: Any = None,
            tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def build_menus(w: MainWindow) -> QAction:
    """Fill ``w``'s menu bar; return the View menu's checkable "Ranking plot" action."""
    f, files = w.menuBar().addMenu("&File"), w.files
    _action(w, f, "&Open model…", w.picker.open_file_dialog, QKeySequence.StandardKey.Open)
    f.addSeparator()
    _action(w, f, "Open &session…", files.open_session, "Ctrl+Shift+O")
    _action(w, f, "Save s&ession…", files.save_session, QKeySequence.StandardKey.Save)
    f.addSeparator()
    _action(w, f, "&Import directions…", files.import_directions, "Ctrl+I")
    _action(w, f, "&Export directions…", files.export_directions, "Ctrl+E")
    f.addSeparator()
    _action(w, f, "Save &image…", files.save_image, "Ctrl+Shift+S")
    _action(w, f, "Save image &upscaled ×4…", lambda: files.save_image(scale=4))
    _action(w, f, "Save s&trip…", files.save_strip, "Ctrl+T")
    _action(w, f, "Save &grid…", files.save_grid, "Ctrl+G",
            "The first 10 directions across the strip's alphas")
    f.addSeparator()
    _action(w, f, "&Quit", w.close, QKeySequence.StandardKey.Quit)

    e, store = w.menuBar().addMenu("&Edit"), w.store
    undo = store.undo_stack.createUndoAction(w, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = store.undo_stack.createRedoAction(w, "&Redo")
    redo.setShortcut(QKeySequence.StandardKey.Redo)
    e.addActions([undo, redo])
    e.addSeparator()
    _action(w, e, "Reset &all directions", store.reset_all, "Ctrl+R")

    v = w.menuBar().addMenu("&View")
    show_plot = _action(w, v, "Ranking &plot", w.plot.setVisible)
    show_plot.setCheckable(True)
    show_plot.setChecked(True)
    _action(w, v, "&Next seed", lambda: store.set_seed(store.seed + 1), "Ctrl+Right")
    _action(w, v, "&Previous seed", lambda: store.set_seed(store.seed - 1), "Ctrl+Left")
    return show_plot
