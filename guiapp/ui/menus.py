"""The window's menu bar: File, Edit (undo, redo, reset) and View, with their shortcuts.

``QAction.triggered`` carries a ``checked`` flag; every slot here is called without it, so
it can never land in a parameter (``save_image(scale=False)`` once saved a 0x0 image).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence

from guiapp.core.seeds import step_seed

if TYPE_CHECKING:
    from guiapp.ui.main_window import MainWindow


_FALLBACK_KEYS = {
    QKeySequence.StandardKey.Open: "Ctrl+O",
    QKeySequence.StandardKey.Save: "Ctrl+S",
    QKeySequence.StandardKey.Quit: "Ctrl+Q",
}


def _action(window: MainWindow, menu: Any, text: str, slot: Callable[[], object],
            shortcut: Any = None, tip: str = "") -> QAction:
    """A menu entry that calls ``slot()`` with no arguments."""
    action = QAction(text, window)
    if isinstance(shortcut, QKeySequence.StandardKey):
        # some platforms bind no key to a standard action (Quit under a plain X session)
        action.setShortcuts(QKeySequence.keyBindings(shortcut)
                            or [QKeySequence(_FALLBACK_KEYS[shortcut])])
    elif shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
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
    _action(w, f, "Save &image…", lambda: files.save_image(scale=1), "Ctrl+Shift+S")
    _action(w, f, "Save image &upscaled ×4…", lambda: files.save_image(scale=4))
    _action(w, f, "Save s&trip…", files.save_strip, "Ctrl+T")
    _action(w, f, "Save &grid…", files.save_grid, "Ctrl+G",
            "The first 10 directions across the strip's alphas")
    f.addSeparator()
    _action(w, f, "&Quit", w.close, QKeySequence.StandardKey.Quit)

    e, store = w.menuBar().addMenu("&Edit"), w.store
    undo = store.undo_stack.createUndoAction(w, "&Undo")
    undo.setShortcuts(QKeySequence.StandardKey.Undo)  # every platform binding, not the first
    redo = store.undo_stack.createRedoAction(w, "&Redo")
    redo.setShortcuts(QKeySequence.StandardKey.Redo)  # Ctrl+Y and Ctrl+Shift+Z
    e.addActions([undo, redo])
    e.addSeparator()
    _action(w, e, "Reset &all directions", store.reset_all, "Ctrl+R")

    v = w.menuBar().addMenu("&View")
    show_plot = QAction("Ranking &plot", w)
    show_plot.setCheckable(True)
    show_plot.setChecked(True)
    show_plot.toggled.connect(w.plot.setVisible)  # the one action whose flag is the point
    v.addAction(show_plot)
    _action(w, v, "&Next seed", lambda: store.set_seed(step_seed(store.seed, 1)), "Ctrl+Right")
    _action(w, v, "&Previous seed", lambda: store.set_seed(step_seed(store.seed, -1)),
            "Ctrl+Left")
    return show_plot
