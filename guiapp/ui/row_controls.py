"""The controls of a direction row, which tell their row when they are clicked, focused,
or sent a key the row handles.

They replace an event filter on every control: a Python filter is called for every event
the control receives (moves, resizes, paints, shows), and a set of 100 directions arriving
sent thousands of them through Python. An overridden handler is only called for its own
event, so layout and painting stay in C++.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QLineEdit,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)
from superqt import QRangeSlider


class RowHooks(Protocol):
    """What a row does when one of its controls is used."""

    def control_pressed(self, control: QWidget) -> None: ...

    def control_focus(self, control: QWidget, focused: bool) -> None: ...

    def control_key(self, control: QWidget, event: QKeyEvent) -> bool:
        """True: the row handled the key (the control does not see it)."""
        ...

    def control_double_clicked(self, control: QWidget) -> bool: ...

    def control_wheel(self, control: QWidget) -> bool:
        """True: the control should leave the wheel to the list (it scrolls)."""
        ...


class _RowControl:
    """Mixin: forwards presses, focus, keys, double-clicks and the wheel to ``hooks``."""

    hooks: RowHooks | None = None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.hooks is not None:
            self.hooks.control_pressed(self)  # type: ignore[arg-type]
        super().mousePressEvent(event)  # type: ignore[misc]

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.hooks is not None and self.hooks.control_double_clicked(self):  # type: ignore[arg-type]
            return
        super().mouseDoubleClickEvent(event)  # type: ignore[misc]

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self.hooks is not None:
            self.hooks.control_focus(self, True)  # type: ignore[arg-type]
        super().focusInEvent(event)  # type: ignore[misc]

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if self.hooks is not None:
            self.hooks.control_focus(self, False)  # type: ignore[arg-type]
        super().focusOutEvent(event)  # type: ignore[misc]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.hooks is not None and self.hooks.control_key(self, event):  # type: ignore[arg-type]
            return
        super().keyPressEvent(event)  # type: ignore[misc]

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hooks is not None and self.hooks.control_wheel(self):  # type: ignore[arg-type]
            event.ignore()  # the list scrolls instead of nudging an unfocused control
            return
        super().wheelEvent(event)  # type: ignore[misc]


class RowLineEdit(_RowControl, QLineEdit):
    def __init__(self, hooks: RowHooks | None = None) -> None:
        super().__init__()
        self.hooks = hooks


class RowSlider(_RowControl, QSlider):
    def __init__(self, hooks: RowHooks, *args: object) -> None:
        super().__init__(*args)
        self.hooks = hooks


class RowRangeSlider(_RowControl, QRangeSlider):
    def __init__(self, hooks: RowHooks, *args: object) -> None:
        super().__init__(*args)
        self.hooks = hooks


class RowToolButton(_RowControl, QToolButton):
    def __init__(self, hooks: RowHooks) -> None:
        super().__init__()
        self.hooks = hooks


def _row_text_field(box: QDoubleSpinBox | QSpinBox, hooks: RowHooks) -> None:
    """Give a number box a text field that reports to the row too (clicks land there)."""
    edit = RowLineEdit(hooks)
    edit.setObjectName("qt_spinbox_lineedit")
    box.setLineEdit(edit)


class RowDoubleSpinBox(_RowControl, QDoubleSpinBox):
    def __init__(self, hooks: RowHooks) -> None:
        super().__init__()
        self.hooks = hooks
        _row_text_field(self, hooks)


class RowSpinBox(_RowControl, QSpinBox):
    def __init__(self, hooks: RowHooks) -> None:
        super().__init__()
        self.hooks = hooks
        _row_text_field(self, hooks)
