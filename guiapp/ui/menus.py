"""The window's menu bar, built from :data:`guiapp.ui.action_table.ACTIONS`.

``build_menus`` knows nothing of the window but the host object the rows' slot paths are
resolved on (and its store's undo stack); the table says what each entry does.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar

from guiapp.ui.action_table import ACTIONS, MENUS, ActionRow

_FALLBACK_KEYS = {
    QKeySequence.StandardKey.Open: "Ctrl+O",
    QKeySequence.StandardKey.Save: "Ctrl+S",
    QKeySequence.StandardKey.Quit: "Ctrl+Q",
}


def _set_shortcut(action: QAction, shortcut: Any) -> None:
    if isinstance(shortcut, QKeySequence.StandardKey):
        # every platform binding (Undo: Ctrl+Z; Redo: Ctrl+Y and Ctrl+Shift+Z), and a key
        # where a platform binds none (Quit under a plain X session)
        fallback = _FALLBACK_KEYS.get(shortcut)
        action.setShortcuts(QKeySequence.keyBindings(shortcut)
                            or ([QKeySequence(fallback)] if fallback else []))
    elif shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))


def _make_action(row: ActionRow, host: Any, parent: QObject) -> QAction:
    """The QAction for ``row``, calling ``host``'s slot (looked up when triggered)."""
    if row.kind in ("undo", "redo"):
        stack = host.store.undo_stack
        make = stack.createUndoAction if row.kind == "undo" else stack.createRedoAction
        action = make(parent, row.text)
    else:
        action = QAction(row.text, parent)
        slot = operator.attrgetter(row.slot)
        if row.kind == "toggle":
            action.setCheckable(True)
            action.setChecked(row.checked)
            action.toggled.connect(lambda checked: slot(host)(checked))
        else:
            action.triggered.connect(lambda _checked=False: slot(host)(*row.args))
    _set_shortcut(action, row.shortcut)
    action.setStatusTip(row.tip)
    return action


def build_menus(menu_bar: QMenuBar, host: Any, parent: QObject,
                rows: Iterable[ActionRow] = ACTIONS) -> dict[str, QAction]:
    """Fill ``menu_bar`` with ``rows`` (menus in :data:`MENUS` order); returns each action
    by its text without ``&`` ("Ranking plot")."""
    rows = tuple(rows)
    actions: dict[str, QAction] = {}
    for title in MENUS:
        name = title.replace("&", "")
        mine = [row for row in rows if row.menu == name]
        if not mine:
            continue
        menu = menu_bar.addMenu(title)
        for i, row in enumerate(mine):
            if i and row.group != mine[i - 1].group:
                menu.addSeparator()
            action = _make_action(row, host, parent)
            menu.addAction(action)
            actions[row.text.replace("&", "")] = action
    unknown = {row.menu for row in rows} - {t.replace("&", "") for t in MENUS}
    if unknown:
        raise ValueError(f"rows name menus that do not exist: {sorted(unknown)}")
    return actions
