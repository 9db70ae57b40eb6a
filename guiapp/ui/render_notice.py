"""Says "updating…" under the edited image when renders fall behind (a slow model)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from guiapp.ui.image_view import ImageView
from guiapp.workers import RenderQueue

SLOW_RENDER_MS = 250
"""A render that takes longer says "updating…" under the image it will replace."""


class SlowRenderNotice(QObject):
    """Shows ``view``'s "updating…" caption when no result has arrived for
    :data:`SLOW_RENDER_MS` while a newer request waits; quiet while results keep coming
    (a slider dragged over a fast model)."""

    def __init__(self, view: ImageView, queue: RenderQueue, parent: QObject | None = None,
                 delay_ms: int = SLOW_RENDER_MS) -> None:
        super().__init__(parent)
        self._view, self._queue = view, queue
        self._delivered_id = 0
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self._on_timeout)

    def set_delay(self, delay_ms: int) -> None:
        """How long a render may take before the caption says "updating…" (tests use 0
        with a render they hold back, so that nothing depends on the clock)."""
        self._timer.setInterval(delay_ms)

    def counting(self) -> bool:
        """True while a request waits and the delay runs: the caption may still come."""
        return self._timer.isActive()

    def requested(self) -> None:
        """A request was queued: start counting unless already counting."""
        if not self._timer.isActive():
            self._timer.start()

    def delivered(self, request_id: int) -> None:
        """A result (or a failure) for ``request_id`` arrived."""
        self._delivered_id = max(self._delivered_id, request_id)
        self._view.set_updating(False)
        if request_id >= self._queue.latest_id:
            self._timer.stop()
        else:
            self._timer.start()  # newer requests wait: count again from now

    def _on_timeout(self) -> None:
        if self._queue.latest_id > self._delivered_id:
            self._view.set_updating(True)
