"""Tooltips that wrap at a readable width, whichever widget sets them.

Qt shows a plain-text tooltip on one line however long it is (a setting's explanation ran
across the whole screen); rich text wraps. One application-wide event filter shows every
plain tooltip as rich text, so widgets keep calling ``setToolTip`` with plain sentences.
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
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(watched, QWidget):
            text = watched.toolTip()
            shown = wrapped(text)
            if text and shown != text and isinstance(event, QHelpEvent):
                QToolTip.showText(event.globalPos(), shown, watched)
                return True
        return False


def install_wrapped_tooltips(app: QApplication | None = None) -> None:
    """Wrap every long plain tooltip of ``app`` (the running application); idempotent."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    if app is None or app.findChild(_WrapToolTips, "guiapp-tooltips") is not None:
        return
    wrapper = _WrapToolTips(app)
    wrapper.setObjectName("guiapp-tooltips")
    app.installEventFilter(wrapper)
