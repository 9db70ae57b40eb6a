"""Ctrl+Z and Ctrl+Shift+Z (or Ctrl+Y) reach the session's history from a number box.

A spin box's line edit claims Ctrl+Z for its own text history, so while it has focus the
window's Edit > Undo never fires: the user moved an alpha with the box, pressed Ctrl+Z and
nothing happened. This filter gives those keys to the undo stack instead.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import QAbstractSpinBox

_CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def undo_step(event: QKeyEvent) -> int:
    """-1 for an undo key, +1 for a redo key, 0 for anything else."""
    if event.matches(QKeySequence.StandardKey.Undo):
        return -1
    if event.matches(QKeySequence.StandardKey.Redo) or (
        event.key() == Qt.Key.Key_Z and event.modifiers() == _CTRL_SHIFT
    ):
        return 1
    return 0


class UndoKeys(QObject):
    """Installed on spin boxes: their undo and redo keys step ``stack``, then ``after()``
    runs (the owner shows the store's values again, dropping unentered typing)."""

    def __init__(self, stack: QUndoStack, after: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stack, self._after = stack, after

    def watch(self, *boxes: QAbstractSpinBox) -> None:
        for box in boxes:
            box.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        return self.handle(event)

    def handle(self, event: QKeyEvent) -> bool:
        """Step the history for an undo or redo key (True), or leave the key (False);
        for boxes that report their keys themselves instead of being watched."""
        step = undo_step(event)
        if step == 0:
            return False
        if step < 0:
            self._stack.undo()
        else:
            self._stack.redo()
        self._after()
        return True
