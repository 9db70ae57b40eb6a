"""Latest-wins rendering for live editing in one long-lived worker thread.

Slider moves call ``request(payload)`` faster than frames can be made. Requests do not
queue: a new one replaces the one still waiting, and the worker, when free, renders
whatever is newest (the stamp scheme of StyleGAN3's visualizer, without its processes).

Each request gets an increasing id. By default a result is delivered only if it is for
the newest request made so far (at delivery time) and no newer result was delivered, so
a stale frame never replaces a newer one and the view shows only the current state.
While a slider is dragged with renders slower than its events, that shows nothing until
the drag pauses; ``show_intermediate=True`` also delivers results that a waiting request
already supersedes, as long as ids delivered still increase, which keeps a preview moving.

The render function runs under ``torch.inference_mode()``, entered in the worker thread
(the mode is per thread); torch is imported there, not when this module loads. It also
runs in a cancel scope (:mod:`guiapp.core.cancel_scope`) that ``shutdown`` cancels, so a
long core loop (a direction model's many Euler steps) stops when the window closes
instead of keeping the thread alive.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from guiapp.core.cancel_scope import cancel_scope
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.workers.threads import abandon, describe_error, register

RenderFn = Callable[[Any], Any]
Deliver = Callable[[int, bool, object], None]

_log = logging.getLogger(__name__)


class _Mailbox:
    """What the GUI thread and the worker share, guarded by one condition."""

    def __init__(self, render_fn: RenderFn) -> None:
        self.cond = threading.Condition()
        self.render_fn = render_fn
        self.pending: tuple[int, Any] | None = None
        self.stopping = False
        self.cancel = CancelToken()  # set by shutdown: the running render stops early


class _RenderThread(QThread):
    """Waits for the newest request, renders it, delivers ``(id, ok, result or message)``."""

    def __init__(self, box: _Mailbox, deliver: Deliver) -> None:
        super().__init__()
        self.setObjectName("guiapp-render")
        self._box = box
        self._deliver = deliver

    def run(self) -> None:
        import torch  # here, so that opening the window never waits for torch

        with cancel_scope(self._box.cancel):
            while (job := self._next()) is not None:
                with torch.inference_mode():
                    self._render(*job)

    def _next(self) -> tuple[int, Any, RenderFn] | None:
        box = self._box
        with box.cond:
            while box.pending is None and not box.stopping:
                box.cond.wait()
            if box.stopping:
                return None
            (request_id, payload), box.pending = box.pending, None
            return request_id, payload, box.render_fn

    def _render(self, request_id: int, payload: Any, render_fn: RenderFn) -> None:
        try:
            result = render_fn(payload)
        except Cancelled:
            return  # shut down mid-render: nobody waits for this frame
        except Exception as exc:
            _log.error("render %d failed", request_id, exc_info=True)
            self._deliver(request_id, False, describe_error(exc))
        else:
            self._deliver(request_id, True, result)


class RenderQueue(QObject):
    """Renders the newest request in one worker thread; stale results are dropped by id.

    Use it from the thread it lives in (the GUI thread); signals arrive there too.
    """

    rendered = Signal(int, object)
    failed = Signal(int, str)

    _done = Signal(int, bool, object)  # id, ok, result or message: from the worker, queued

    def __init__(
        self,
        render_fn: RenderFn,
        parent: QObject | None = None,
        *,
        show_intermediate: bool = False,
    ) -> None:
        super().__init__(parent)
        self._box = _Mailbox(render_fn)
        self._show_intermediate = show_intermediate
        self._thread: _RenderThread | None = None
        self._latest_id = 0
        self._delivered_id = 0
        self._closed = False
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    @property
    def latest_id(self) -> int:
        """Id of the newest request (0 before the first)."""
        return self._latest_id

    def request(self, payload: Any) -> int:
        """Ask for ``render_fn(payload)``, replacing a request not yet started; return its id."""
        if self._closed:
            raise RuntimeError("the render queue was shut down")
        self._latest_id += 1
        with self._box.cond:
            self._box.pending = (self._latest_id, payload)
            self._box.cond.notify()
        if self._thread is None:
            self._start()
        return self._latest_id

    def set_render_fn(self, render_fn: RenderFn) -> None:
        """Use ``render_fn`` for requests that start from now on (e.g. a new model)."""
        with self._box.cond:
            self._box.render_fn = render_fn

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Drop the waiting request, let a running render end, join; safe to call twice."""
        self._closed = True
        with self._box.cond:
            self._box.stopping = True
            self._box.pending = None
            self._box.cancel.cancel()
            self._box.cond.notify_all()
        if self._thread is not None and not self._thread.wait(timeout_ms):
            _log.warning("the render thread did not stop within %d ms", timeout_ms)
            abandon(self._thread)

    def _start(self) -> None:
        signal = self._done

        def deliver(request_id: int, ok: bool, value: object) -> None:
            with contextlib.suppress(RuntimeError):  # the queue was deleted: nobody listens
                signal.emit(request_id, ok, value)

        self._thread = _RenderThread(self._box, deliver)
        self._thread.start()
        register(self._thread)

    @Slot(int, bool, object)
    def _on_done(self, request_id: int, ok: bool, value: Any) -> None:
        if self._closed or request_id <= self._delivered_id:
            return
        if request_id < self._latest_id and not self._show_intermediate:
            return
        self._delivered_id = request_id
        if ok:
            self.rendered.emit(request_id, value)
        else:
            self.failed.emit(request_id, value)
