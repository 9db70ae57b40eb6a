"""Tooltips that wrap at a readable width.

Qt shows a plain-text tooltip on one line however long it is (a setting's explanation ran
across the whole screen); rich text wraps. ``set_tip`` keeps the widget's tooltip plain
(what ``toolTip()`` returns, what tests read) and, for a long one, installs a filter on that
widget alone that shows it as rich text.

The filter is per widget on purpose: an application-wide Python event filter is handed every
object that receives an event, Qt's internal ones included, and building Python wrappers for
those inside the filter crashed the test suite now and then (a segfault in PySide6).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QHelpEvent, Qt
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

WRAP_AFTER = 60
"""Tooltips longer than this many characters are shown wrapped."""


def wrapped(text: str) -> str:
    """``text`` as rich text that Qt wraps (line breaks kept); rich text is left alone."""
    if Qt.mightBeRichText(text) or len(text) <= WRAP_AFTER:
        return text
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


class _WrapToolTips(QObject):
    """Shows the watched widget's plain tooltip wrapped (installed on single widgets)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
            return False
        text = watched.toolTip() if isinstance(watched, QWidget) else ""
        shown = wrapped(text)
        if text and shown != text:
            QToolTip.showText(event.globalPos(), shown, watched)
            return True
        return False


def _filter() -> _WrapToolTips | None:
    app = QApplication.instance()
    if app is None:
        return None
    found = app.findChild(_WrapToolTips, "guiapp-tooltips")
    if found is None:
        found = _WrapToolTips(app)
        found.setObjectName("guiapp-tooltips")
    return found


def set_tip(widget: QWidget, text: str) -> None:
    """``widget.setToolTip(text)``, shown wrapped when it is long."""
    widget.setToolTip(text)
    wrapper = _filter()
    if wrapper is not None and wrapped(text) != text:
        widget.installEventFilter(wrapper)  # installing twice keeps one
